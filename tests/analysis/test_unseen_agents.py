"""The detectors on agents they were not designed around, written by the real Recorder.

Each world below is a small history of runs of a differently shaped agent: an LLM-tool agent
whose tools answer in plain text, a GraphQL client, a gRPC-style service, a Slack-style API and
job runner, and a mixed root (legacy files, a run without ``run.json``, two tasks interleaved).
Healthy runs are full of words like "error", "failed" and "unauthorized" inside *data*, of
numbers like 404 and 16 in fields named ``code``, and of lists whose length varies: none of
that may raise a finding.  The broken runs must raise the right kind, quoting the right field.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from forensics_tui.capture import Recorder
from forensics_tui.cli.main import cli
from forensics_tui.core.analysis.engine import Analysis

from .conftest import open_analysis

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
Call = tuple[Any, ...]  # (tool, input, output[, status[, error]])


class World:
    """Writes runs in time order (one hour apart) under one root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hour = 0

    def run(
        self,
        run_id: str,
        calls: list[Call],
        *,
        task: str | None = "t",
        agent: str = "agent",
        status: str | None = None,
        manifest: bool = True,
    ) -> str:
        start = T0 + timedelta(hours=self.hour)
        self.hour += 1
        rec = Recorder(
            self.root, run_id, agent=agent, task=task, write_manifest=manifest, redact=False
        )
        for i, (tool, inp, out, *rest) in enumerate(calls):
            call_status = rest[0] if rest else "ok"
            error = rest[1] if len(rest) > 1 else None
            ts = (start + timedelta(seconds=i)).isoformat()
            rec.record(tool, inp, out, call_status, error=error, ts=ts, duration_ms=5.0)
        rec.end(status)
        assert rec.dropped == 0
        return run_id

    def legacy(self, run_id: str, calls: list[Call]) -> str:
        """The 30-line snippet's format: ``<tool>_<NNN>.json``, no run.json, naive ts."""
        start = T0 + timedelta(hours=self.hour)
        self.hour += 1
        folder = self.root / run_id
        folder.mkdir(parents=True)
        for i, (tool, inp, out, *rest) in enumerate(calls):
            doc = {
                "run_id": run_id,
                "tool": tool,
                "input": inp,
                "output": out,
                "status": rest[0] if rest else "ok",
                "ts": (start + timedelta(seconds=i)).replace(tzinfo=None).isoformat(),
            }
            (folder / f"{tool}_{i + 1:03d}.json").write_text(json.dumps(doc))
        return run_id


def kinds(analysis: Analysis, run_id: str) -> set[tuple[str, str]]:
    return {(f.kind, f.tool) for f in analysis.findings(run_id)}


def evidence(analysis: Analysis, run_id: str, kind: str) -> str:
    return " | ".join(f.evidence for f in analysis.findings(run_id) if f.kind == kind)


# -- an LLM-tool agent: plain-text outputs, documents full of scary words -------------------

DOCS = [
    {
        "title": "Fixing 401 Unauthorized errors in nginx",
        "snippet": "If the token expired, the server answers 401 Unauthorized; error pages...",
        "url": "https://example.org/a?status=500",
    },
    {
        "title": "Rate limit exceeded: what it means",
        "snippet": "Too many requests make the API return 429. Error handling with retries.",
        "url": "https://example.org/b",
    },
    {
        "title": "Why deployments failed last week",
        "snippet": "status: failed. The job failed with an exception; forbidden access...",
        "url": "https://example.org/c",
    },
    {"title": "Error codes", "snippet": "code 16 UNAUTHENTICATED, code 14", "url": "x"},
    {"title": "Success stories", "snippet": "ok: false is how Slack says no", "url": "y"},
]
SOURCE = (
    "def handler(event):\n"
    "    # raise an error when the token expired (401 Unauthorized)\n"
    "    if not event.get('ok'):\n"
    "        raise PermissionError('forbidden: invalid token')\n" * 20
)


def _llm_run(world: World, run_id: str, **faults: Any) -> str:
    calls: list[Call] = [
        ("web_search", {"q": "nginx 401"}, faults.get("search", DOCS)),
        ("read_file", {"path": "handler.py"}, faults.get("read", SOURCE)),
        ("http_get", {"url": "https://api.example.org/v1/report"}, faults.get("http", "HTTP 200 OK\n\n{\"rows\": 12}")),
        ("answer", {"question": "why 401?"}, "The error is a 401 Unauthorized: the token expired."),
        ("notes", {"topic": "errors"}, faults.get("notes", "Error handling in Python: use try/except.")),
    ]  # fmt: skip
    return world.run(run_id, calls, task="answer", agent="llm-assistant")


@pytest.fixture
def llm(tmp_path: Path) -> Analysis:
    world = World(tmp_path / "llm")
    _llm_run(world, "a1")
    _llm_run(world, "a2", search=DOCS[:2], notes="404 results found for 'shoes'")
    _llm_run(world, "a3", search=DOCS[:1], read=SOURCE[:400], notes="Rate limit policy: 100/min")
    _llm_run(world, "a4", read="Error: permission denied: /srv/app/handler.py")
    _llm_run(world, "a5", http="HTTP 403 Forbidden")
    _llm_run(world, "a6", search="Too Many Requests", http="HTTP/1.1 503 Service Unavailable")
    _llm_run(world, "a7", search=[], notes="Failed deployments are listed below: none")
    return open_analysis(world.root)


def test_llm_healthy_runs_with_scary_words_have_no_findings(llm: Analysis) -> None:
    for run_id in ("a1", "a2", "a3", "a7"):
        assert llm.findings(run_id) == [], run_id


def test_llm_plain_text_error_is_a_soft_error_not_auth(llm: Analysis) -> None:
    assert ("soft_error", "read_file") in kinds(llm, "a4")
    assert ("auth_expiry", "read_file") not in kinds(llm, "a4")
    assert "permission denied" in evidence(llm, "a4", "soft_error")


def test_llm_http_403_in_text_is_auth(llm: Analysis) -> None:
    assert ("auth_expiry", "http_get") in kinds(llm, "a5")
    assert "403" in evidence(llm, "a5", "auth_expiry")
    assert not {k for k in kinds(llm, "a5") if k[1] != "http_get"}


def test_llm_rate_limit_and_503_in_text(llm: Analysis) -> None:
    found = kinds(llm, "a6")
    assert ("rate_limited", "web_search") in found
    assert ("soft_error", "http_get") in found
    assert "503" in evidence(llm, "a6", "soft_error")


# -- a GraphQL client ---------------------------------------------------------------------

USERS = {
    "data": {
        "users": {
            "nodes": [{"id": f"u{i}", "lastLogin": {"status": "failed"}} for i in range(4)],
            "pageInfo": {"hasNextPage": False, "endCursor": None},
        }
    }
}
CHARGE = {"data": {"charge": {"id": "ch_1", "status": "failed", "failureCode": "card_declined"}}}


def _gql_run(world: World, run_id: str, users: Any = USERS, charge: Any = CHARGE) -> str:
    calls: list[Call] = [
        ("graphql", {"query": "{ users { nodes { id } } }"}, users),
        ("graphql", {"query": "{ charge(id: 1) { status } }"}, charge),
    ]
    return world.run(run_id, calls, task="sync-users", agent="gql")


@pytest.fixture
def gql(tmp_path: Path) -> Analysis:
    world = World(tmp_path / "gql")
    _gql_run(world, "g1")
    _gql_run(world, "g2")
    bad_field = {
        "data": None,
        "errors": [
            {
                "message": 'Cannot query field "emial" on type "User".',
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ],
    }
    _gql_run(world, "g3", users=bad_field)
    jwt = {
        "data": None,
        "errors": [{"message": "Context creation failed: jwt expired", "extensions": {"code": "UNAUTHENTICATED"}}],
    }  # fmt: skip
    _gql_run(world, "g4", users=jwt)
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}
    _gql_run(world, "g5", charge=throttled)
    return open_analysis(world.root)


def test_gql_data_that_says_failed_is_not_a_finding(gql: Analysis) -> None:
    assert gql.findings("g1") == [] and gql.findings("g2") == []


def test_gql_errors(gql: Analysis) -> None:
    assert ("soft_error", "graphql") in kinds(gql, "g3")
    assert "output.errors" in evidence(gql, "g3", "soft_error")
    assert ("auth_expiry", "graphql") in kinds(gql, "g4")
    assert "jwt expired" in evidence(gql, "g4", "auth_expiry")
    assert ("rate_limited", "graphql") in kinds(gql, "g5")


# -- a gRPC-style service: "code" is not HTTP ----------------------------------------------

RESERVED = {
    "reservation_id": "r-9",
    "warehouse": {"code": 16, "name": "north"},
    "bin": {"code": 503, "label": "B-503"},
    "status": "RESERVED",
}


def _grpc_run(world: World, run_id: str, out: Any = RESERVED) -> str:
    calls: list[Call] = [("Reserve", {"sku": "A", "n": 3}, out)]
    return world.run(run_id, calls, task="reserve", agent="grpc")


@pytest.fixture
def grpc(tmp_path: Path) -> Analysis:
    world = World(tmp_path / "grpc")
    _grpc_run(world, "c1")
    _grpc_run(world, "c2")
    _grpc_run(world, "c3", {"code": 16, "message": "UNAUTHENTICATED: token expired", "details": []})
    _grpc_run(world, "c4", {"code": 14, "message": "UNAVAILABLE", "details": []})
    _grpc_run(world, "c5", {"code": 8, "message": "RESOURCE_EXHAUSTED: quota exceeded"})
    _grpc_run(world, "c6")
    return open_analysis(world.root)


def test_grpc_codes_in_data_are_not_http(grpc: Analysis) -> None:
    for run_id in ("c1", "c2", "c6"):
        assert grpc.findings(run_id) == [], run_id


def test_grpc_status_objects(grpc: Analysis) -> None:
    assert ("auth_expiry", "Reserve") in kinds(grpc, "c3")
    assert "status_code = 16" not in evidence(grpc, "c3", "auth_expiry")
    assert ("soft_error", "Reserve") in kinds(grpc, "c4")
    assert "output.code = 14" in evidence(grpc, "c4", "soft_error")
    assert ("rate_limited", "Reserve") in kinds(grpc, "c5")


# -- a Slack-style API, a ticket API with success:false, a job runner ------------------------

POSTED = {
    "ok": True,
    "channel": "C1",
    "ts": "1710000000.0001",
    "message": {"text": "Deploy failed on staging: error rate 5%, token expired for bot"},
}
TICKET = {"success": True, "ticket": {"id": 7, "title": "Login fails with 403"}}
JOBS = {
    "jobs": [
        {"id": 1, "status": "failed", "error": "OOMKilled"},
        {"id": 2, "status": "succeeded", "error": None},
        {"id": 3, "status": "failed", "error": "exit 1"},
    ],
    "retry_policy": {"retry_after": 30},
}


def _ops_run(world: World, run_id: str, **faults: Any) -> str:
    calls: list[Call] = [
        ("list_jobs", {"state": "any"}, faults.get("jobs", JOBS)),
        ("create_ticket", {"title": "x"}, faults.get("ticket", TICKET)),
        ("chat.postMessage", {"channel": "C1", "text": "hi"}, faults.get("post", POSTED)),
    ]
    return world.run(run_id, calls, task="triage", agent="ops-bot")


@pytest.fixture
def ops(tmp_path: Path) -> Analysis:
    world = World(tmp_path / "ops")
    _ops_run(world, "s1")
    _ops_run(world, "s2", jobs={**JOBS, "jobs": JOBS["jobs"][:1]})
    _ops_run(world, "s3", post={"ok": False, "error": "invalid_auth"})
    _ops_run(world, "s4", post={"ok": False, "error": "ratelimited", "retry_after": 30})
    _ops_run(world, "s5", post={"ok": False, "error": "channel_not_found"})
    _ops_run(world, "s6", ticket={"success": False, "errors": ["Title can't be blank"]})
    _ops_run(world, "s7", jobs={"job": {"id": 9, "status": "failed"}, "status": "failed"})
    return open_analysis(world.root)


def test_ops_data_lists_and_policies_are_not_findings(ops: Analysis) -> None:
    assert ops.findings("s1") == [] and ops.findings("s2") == []


def test_ops_slack_style(ops: Analysis) -> None:
    assert kinds(ops, "s3") >= {("auth_expiry", "chat.postMessage")}
    assert "invalid_auth" in evidence(ops, "s3", "auth_expiry")
    assert ("rate_limited", "chat.postMessage") in kinds(ops, "s4")
    assert "retry_after = 30" in evidence(ops, "s4", "rate_limited")
    assert ("soft_error", "chat.postMessage") in kinds(ops, "s5")
    assert "output.ok = false" in evidence(ops, "s5", "soft_error")


def test_ops_success_false_and_failed_envelope(ops: Analysis) -> None:
    assert ("soft_error", "create_ticket") in kinds(ops, "s6")
    assert "output.success = false" in evidence(ops, "s6", "soft_error")
    assert ("soft_error", "list_jobs") in kinds(ops, "s7")
    assert 'output.status = "failed"' in evidence(ops, "s7", "soft_error")


# -- a mixed root: legacy files, a run without run.json, two tasks interleaved ---------------

ITEMS = [{"id": i, "name": f"item {i}", "tags": ["a"]} for i in range(5)]


def _sync(world: World, run_id: str, pushes: int = 3, items: Any = ITEMS, **kw: Any) -> str:
    calls: list[Call] = [("list_items", {"page": 1}, {"items": items, "total": len(items)})]
    calls += [("push", {"batch": b}, {"pushed": 2}) for b in range(1, pushes + 1)]
    return world.run(run_id, calls, task="sync", agent="etl", **kw)


def _report(world: World, run_id: str, **kw: Any) -> str:
    calls: list[Call] = [
        ("fetch_metrics", {"day": "mon"}, {"rows": [[1, 2], [3, 4], [5, 6]]}),
        ("render", {"fmt": "pdf"}, {"bytes": 2048}),
        ("upload", {"to": "s3"}, {"key": "r.pdf"}),
    ]
    return world.run(run_id, calls, agent="etl", **{"task": "report", **kw})


@pytest.fixture
def mixed(tmp_path: Path) -> tuple[Path, Analysis]:
    world = World(tmp_path / "mixed")
    world.legacy("m00_legacy", [("crm_lookup", {"id": 1}, {"tier": "gold"}), ("post_slack", {}, {"ok": True})])  # fmt: skip
    _sync(world, "m01_sync")
    _report(world, "m02_report")
    _sync(world, "m03_sync", items=ITEMS[:2])  # shorter list
    _report(world, "m04_report")
    _sync(world, "m05_sync", pushes=2)  # claims ok, lacks push #3
    _report(world, "m06_report")  # must be compared with m04, not with the sync runs
    _sync(world, "m07_sync", items=[])  # empty list: not drift
    _report(world, "m08_nomanifest", task=None, manifest=False)
    world.legacy("m09_legacy", [("crm_lookup", {"id": 1}, {"tier": "gold"}), ("post_slack", {}, {"ok": True})])  # fmt: skip
    _sync(world, "m10_sync", items=ITEMS + ITEMS)
    return world.root, open_analysis(world.root)


def test_mixed_partial_step_only_against_the_same_task(mixed: tuple[Path, Analysis]) -> None:
    _, analysis = mixed
    partial = analysis.findings("m05_sync")
    assert [(f.kind, f.tool, f.call_id) for f in partial] == [("partial_step", "push", None)]
    assert "m03_sync" in partial[0].evidence and "the 3rd" in partial[0].evidence
    assert analysis.last_good_run("m06_report").run_id == "m04_report"


def test_mixed_no_false_positives(mixed: tuple[Path, Analysis]) -> None:
    _, analysis = mixed
    for run_id in ("m00_legacy", "m01_sync", "m02_report", "m03_sync", "m04_report"):
        assert analysis.findings(run_id) == [], run_id
    for run_id in ("m06_report", "m07_sync", "m08_nomanifest", "m09_legacy", "m10_sync"):
        assert analysis.findings(run_id) == [], run_id
    assert [r.run_id for r in analysis.store.runs()][:2] == ["m00_legacy", "m01_sync"]


def test_mixed_list_length_diff_reads_as_items(mixed: tuple[Path, Analysis]) -> None:
    root, _ = mixed
    result = CliRunner().invoke(
        cli, ["diff", "--run", "m10_sync", "--tool", "list_items", "--json", "--dir", str(root)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["input_changed"] is False and data["status"] == {"old": "ok", "new": "ok"}
    added = [c for c in data["changes"] if c["kind"] == "item_added"]
    assert added and all(c["path"].startswith("items[") for c in added)
    assert "upstream" in data["verdict"]


def test_mixed_check_cli(mixed: tuple[Path, Analysis]) -> None:
    root, _ = mixed
    runner = CliRunner()
    ok = runner.invoke(cli, ["check", "m06_report", "m09_legacy", "--dir", str(root)])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(cli, ["check", "m05_sync", "--json", "--dir", str(root)])
    assert bad.exit_code == 1
    assert json.loads(bad.output)["runs"][0]["findings"][0]["kind"] == "partial_step"
