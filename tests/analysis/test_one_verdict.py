"""Issue 10, item by item: one verdict on every surface.

Each test builds a real fixture root with the package's factories (or the real recorder) and
asks the real CLI and the analysis model; each failed on the code before the analysis model
(the item it covers is in its name).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from forensics_tui.cli.main import cli
from forensics_tui.core.storage.factories import make_run_dir
from forensics_tui.core.storage.store import FixtureStore
from tests.analysis.conftest import open_analysis

GOOD = {"status_code": 200, "body": {"id": 1, "name": "a"}}


def cli_run(root: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, [*args, "--dir", str(root)], env={"COLUMNS": "200"})


def cli_json(root: Path, *args: str) -> Any:
    result = cli_run(root, *args, "--json")
    assert "Traceback" not in result.output, result.output
    return json.loads(result.stdout)


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"type": kind, "message": message, "traceback": None}


def test_item1_runs_outcome_is_what_check_gates_on(tmp_path: Path) -> None:
    make_run_dir(tmp_path, "20260101_000000", [{"tool": "crm", "output": GOOD}])
    expired = {"status_code": 200, "body": {"error": "token_expired"}}
    make_run_dir(tmp_path, "20260102_000000", [{"tool": "crm", "output": expired}])
    runs = {r["run_id"]: r for r in cli_json(tmp_path, "runs")}
    assert runs["20260102_000000"]["status"] == "ok"  # what the run claims
    assert runs["20260102_000000"]["outcome"] == "silent_failure"  # the verdict
    assert runs["20260101_000000"]["outcome"] == "ok"
    assert "silent_failure" in cli_run(tmp_path, "runs").stdout
    for run_id, row in runs.items():
        check = cli_run(tmp_path, "check", run_id)
        assert (check.exit_code == 0) == (row["outcome"] in ("ok", "running")), run_id


def test_item2_one_classifier_for_findings_and_diff(tmp_path: Path) -> None:
    calls = [{"tool": "fetch", "output": GOOD}, {"tool": "notify", "output": {"sent": True}}]
    make_run_dir(tmp_path, "20260101_000000", calls)
    failures = [
        ("fetch", _error("requests.exceptions.ReadTimedOut", "read took too long"), "timeout"),
        ("notify", _error("Error", "the request timed out after 5 s"), "timeout"),
    ]
    make_run_dir(
        tmp_path,
        "20260102_000000",
        [{"tool": t, "status": "error", "error": e} for t, e, _ in failures],
        status="failed",
    )
    unreachable = [{"tool": "fetch", "status": "error", "error": _error("httpx.ConnectError", "[Errno 111] refused")}]  # fmt: skip
    make_run_dir(tmp_path, "20260103_000000", unreachable, status="failed")
    analysis = open_analysis(tmp_path)
    kinds = {(f.tool, f.kind) for f in analysis.findings("20260102_000000")}
    assert kinds == {("fetch", "timeout"), ("notify", "timeout")}
    for tool, _, _ in failures:
        diff = cli_json(tmp_path, "diff", "--run", "20260102_000000", "--tool", tool)
        assert "timed out" in diff["verdict"], diff["verdict"]
    (finding,) = analysis.findings("20260103_000000")
    assert finding.kind == "unreachable"
    diff = cli_json(tmp_path, "diff", "--run", "20260103_000000", "--tool", "fetch")
    assert "unreachable" in diff["verdict"]


def test_item3_one_baseline_with_its_reason(tmp_path: Path) -> None:
    a = {"status_code": 200, "body": {"id": 1}}
    b = {"status_code": 200, "body": {"id": 1, "extra": "x"}}
    make_run_dir(tmp_path, "20260101_000000", [{"tool": "t", "output": a}, {"tool": "u"}])
    # run 2: t is good, but u failed: not a good *run*, still t's last known-good call
    make_run_dir(
        tmp_path,
        "20260102_000000",
        [{"tool": "t", "output": a}, {"tool": "u", "status": "error", "error": _error("E", "x")}],
        status="failed",
    )
    make_run_dir(tmp_path, "20260103_000000", [{"tool": "t", "output": b}, {"tool": "u"}])
    analysis = open_analysis(tmp_path)
    (drift,) = [f for f in analysis.findings("20260103_000000") if f.kind == "schema_drift"]
    call = analysis.store.calls("20260103_000000")[0]
    baseline = analysis.verdict(call).baseline
    assert baseline is not None and baseline.run_id == "20260102_000000"
    assert baseline.run_id in drift.evidence
    diff = cli_json(tmp_path, "diff", "--run", "20260103_000000", "--tool", "t")
    assert diff["baseline_run"] == baseline.run_id and diff["baseline_reason"] == baseline.reason
    assert "most recent earlier run" in baseline.reason
    text = cli_run(tmp_path, "diff", "--run", "20260103_000000", "--tool", "t").stdout
    assert f"# baseline: {baseline.reason}" in text
    pm = cli_json_pm(tmp_path, "20260103_000000")
    assert pm["first_failure"]["baseline"]["run_id"] == baseline.run_id
    assert pm["diff"]["baseline_run"] == baseline.run_id
    # the run-level baseline (missing steps) is another one, and says so
    ra = analysis.run_analysis("20260103_000000")
    assert ra.baseline_run == "20260101_000000" and "missing steps" in (
        ra.baseline_run_reason or ""
    )


def cli_json_pm(root: Path, run_id: str) -> Any:
    result = cli_run(root, "postmortem", run_id, "--format", "json")
    return json.loads(result.stdout)


def _reexec_history(root: Path) -> None:
    out = {"status_code": 200, "body": {"ok": True}, "request_id": "r1"}
    make_run_dir(root, "20260101_000000", [{"tool": "api", "output": out}])
    make_run_dir(
        root,
        "20260102_000000",
        [{"tool": "api", "status": "error", "error": _error("HTTPError", "HTTP 503")}],
        status="failed",
    )
    original = "20260102_000000-000001"
    make_run_dir(
        root,
        "20260103_000000",
        [
            {
                "tool": "api",
                "output": {"status_code": 200, "body": {"ok": True}},  # no request_id
                "meta": {"reexec_of": {"call_id": original, "run_id": "20260102_000000"}},
            }
        ],
        manifest={"labels": {"reexec_of": original, "reexec_of_run": "20260102_000000"}},
    )


def test_item4_reexecution_runs_are_labelled_and_never_the_default(tmp_path: Path) -> None:
    _reexec_history(tmp_path)
    analysis = open_analysis(tmp_path)
    ra = analysis.run_analysis("20260103_000000")
    assert ra.kind == "reexec" and ra.findings == [] and ra.outcome() == "ok"
    assert ra.reexec_of == "20260102_000000-000001"
    call = analysis.store.calls("20260103_000000")[0]
    baseline = analysis.verdict(call).baseline
    assert baseline is not None and baseline.call_id == "20260102_000000-000001"
    assert "re-execution" in baseline.reason
    runs = {r["run_id"]: r for r in cli_json(tmp_path, "runs")}
    assert runs["20260103_000000"]["kind"] == "reexec"
    assert "re-execution" in cli_run(tmp_path, "runs").stdout
    check = cli_json(tmp_path, "check")  # no RUN: the newest *agent* run
    assert [r["run_id"] for r in check["runs"]] == ["20260102_000000"]
    assert cli_json_pm(tmp_path, "20260102_000000")["run_id"] == "20260102_000000"
    pm = json.loads(cli_run(tmp_path, "postmortem", "--format", "json").stdout)
    assert pm["run_id"] == "20260102_000000"
    patterns = cli_json(tmp_path, "patterns")
    assert all("20260103_000000" not in p["runs"] for p in patterns)


def test_item5_promotion_by_tool_and_kind(tmp_path: Path) -> None:
    make_run_dir(tmp_path, "20260101_000000", [{"tool": "send_notification", "output": GOOD}])
    raised = [
        _error("httpx.ReadTimeout", "timed out"),
        _error("httpx.ConnectTimeout", "connect timeout to 10.0.0.7:443"),
        _error("TimeoutError", "deadline exceeded while waiting for the webhook"),
    ]
    for i, error in enumerate(raised, start=2):
        make_run_dir(
            tmp_path,
            f"2026010{i}_000000",
            [{"tool": "send_notification", "status": "error", "error": error}],
            status="failed",
        )
    (top, *_rest) = cli_json(tmp_path, "patterns")
    assert top["promoted"] and top["signature"] == "send_notification:timeout"
    assert top["run_count"] == 3 and len(top["messages"]) == 3


def test_item6_diff_picks_the_failing_call_of_the_tool(tmp_path: Path) -> None:
    five = [{"tool": "step", "output": {"n": i}, "input": {"n": i}} for i in range(5)]
    make_run_dir(tmp_path, "20260101_000000", five)
    limited = [dict(c) for c in five]
    limited[4] = {
        "tool": "step",
        "status": "skipped",
        "input": {"n": 4},
        "output": {"status_code": 429, "headers": {"Retry-After": "3"}},
    }
    make_run_dir(tmp_path, "20260102_000000", limited)
    diff = cli_json(tmp_path, "diff", "--run", "20260102_000000", "--tool", "step")
    assert diff["index"] == 5 and diff["status"] == {"old": "ok", "new": "skipped"}
    assert "no difference" not in diff["verdict"] and "rate-limited" in diff["verdict"]
    # with neither --tool nor --index: the run's first failing or flagged call
    assert cli_json(tmp_path, "diff", "--run", "20260102_000000")["index"] == 5


def test_item7_one_numbering_the_sequence_number(tmp_path: Path) -> None:
    calls = [{"tool": "a"}, {"tool": "b"}, {"tool": "a"}, {"tool": "b"}]
    make_run_dir(tmp_path, "20260101_000000", calls)
    skipped = [*calls[:3], {"tool": "b", "status": "skipped"}]
    make_run_dir(tmp_path, "20260102_000000", skipped)
    diff = cli_json(tmp_path, "diff", "--run", "20260102_000000", "--index", "4")
    assert diff["index"] == 4 and diff["tool"] == "b"
    (partial,) = cli_json(tmp_path, "check", "20260102_000000")["runs"][0]["findings"]
    assert "b #4 " in partial["evidence"]  # the number the TUI's detail header shows
    wrong = cli_run(tmp_path, "diff", "--run", "20260102_000000", "--tool", "a", "--index", "4")
    assert wrong.exit_code == 2 and "call #4 of run 20260102_000000 is b, not a" in wrong.output


def test_item7_short_run_names_as_the_tui_shows_them(tmp_path: Path) -> None:
    make_run_dir(tmp_path, "20261127_145633_914877_7a3b2c", [{"tool": "a"}])
    make_run_dir(tmp_path, "20261128_101010_000001_ffee00", [{"tool": "a"}])
    for name in ("20261127_145633_914877_7a3b2c", "20261127", "11-27 14:56:33 7a3b", "7a3b2c"):
        result = cli_json(tmp_path, "check", name)
        assert result["runs"][0]["run_id"] == "20261127_145633_914877_7a3b2c", name
    ambiguous = cli_run(tmp_path, "check", "2026112")
    assert ambiguous.exit_code == 2 and "names 2 runs" in ambiguous.output


def test_item8_accept_takes_effect_at_once(tmp_path: Path) -> None:
    make_run_dir(tmp_path, "20260101_000000", [{"tool": "crm", "output": GOOD}])
    drifted = {"status_code": 200, "body": {"id": 1, "name": "a", "tier": 2}}
    make_run_dir(tmp_path, "20260102_000000", [{"tool": "crm", "output": drifted}])
    assert cli_run(tmp_path, "check", "20260102_000000").exit_code == 1
    assert any(p["kind"] == "schema_drift" for p in cli_json(tmp_path, "patterns"))
    assert cli_run(tmp_path, "accept", "20260102_000000", "--tool", "crm").exit_code == 0
    assert cli_run(tmp_path, "check", "20260102_000000").exit_code == 0
    assert cli_json(tmp_path, "patterns") == []
    runs = {r["run_id"]: r["outcome"] for r in cli_json(tmp_path, "runs")}
    assert runs["20260102_000000"] == "ok"


def test_item9_fixture_params_never_hands_over_flagged_fixtures(tmp_path: Path) -> None:
    from forensics_tui.testing import fixture_params

    make_run_dir(tmp_path, "20260101_000000", [{"tool": "crm", "output": GOOD}])
    expired = {"status_code": 200, "body": {"error": "token_expired"}}
    make_run_dir(tmp_path, "20260102_000000", [{"tool": "crm", "output": expired}])
    ids = [p.id for p in fixture_params(tmp_path, status="ok")]
    assert ids == ["20260101_000000/000001_crm"]
    xfail = fixture_params(tmp_path, status="ok", flagged="xfail")
    assert [bool(p.marks) for p in xfail] == [False, True]
    assert "auth_expiry" in xfail[1].marks[0].kwargs["reason"]
    assert len(fixture_params(tmp_path, status="ok", flagged="include")) == 2


def test_item10_parent_and_child_failing_for_one_reason_are_one_cause(tmp_path: Path) -> None:
    make_run_dir(tmp_path, "20260101_000000", [{"tool": "weather", "output": {"t": 1}}])
    for day in (2, 3, 4):
        run_id = f"2026010{day}_000000"
        parent = f"{run_id}-000001"
        make_run_dir(
            tmp_path,
            run_id,
            [
                {
                    "tool": "weather",
                    "status": "error",
                    "error": _error("ToolError", "Error executing tool weather"),
                },
                {
                    "tool": "http GET",
                    "status": "error",
                    "output": {"status_code": 503, "body": "Service Unavailable"},
                    "error": _error("HTTPStatusError", "HTTP 503 Service Unavailable"),
                    "replay": {"kind": "http", "method": "GET", "url": "https://wx.test/v1?q=1"},
                    "meta": {"parent_call": parent},
                },
            ],
            status="failed",
        )
    check = cli_json(tmp_path, "check", "20260104_000000")["runs"][0]
    assert len(check["findings"]) == 1  # one cause, not two lines
    ra = open_analysis(tmp_path).run_analysis("20260104_000000")
    (cause,) = ra.causes
    assert cause.tool == "weather" and cause.kind == "upstream"  # the child's specific reason
    assert cause.children == ("20260104_000000-000002",)
    assert cause.endpoint == "GET https://wx.test/v1"
    patterns = cli_json(tmp_path, "patterns")
    assert [p["signature"] for p in patterns] == ["weather:upstream"] and patterns[0]["promoted"]


def test_item11_status_words_are_mapped_not_broken(tmp_path: Path) -> None:
    from forensics_tui.capture import Recorder, recorder
    from forensics_tui.capture import format as fmt
    from forensics_tui.core import model
    from forensics_tui.core.storage import migrate

    rec = Recorder(tmp_path, "20260101_000000", redact=False)
    rec.record("lookup", {"q": 1}, {"v": 1}, "success")
    rec.record("push", {"q": 1}, None, "failure", error="boom")
    rec.record("wait", {"q": 1}, None, "Cancelled")
    rec.end("success")
    store = FixtureStore(tmp_path)
    store.scan()
    calls = store.calls("20260101_000000")
    assert [c.status for c in calls] == ["ok", "error", "error"]
    loaded = [store.load(c) for c in calls]
    assert [f.meta["original_status"] for f in loaded] == ["success", "failure", "Cancelled"]  # type: ignore[union-attr]
    assert store.run("20260101_000000").status == "ok"  # type: ignore[union-attr]
    # the legacy snippet's "success" (written by some other tool) loads as ok, not broken
    legacy = tmp_path / "20260102_000000"
    legacy.mkdir()
    (legacy / "lookup_001.json").write_text(
        json.dumps(
            {
                "run_id": "x",
                "tool": "lookup",
                "input": 1,
                "output": 2,
                "status": "success",
                "ts": "2026-01-02T00:00:00",
            }
        )
    )
    store.scan()
    (call,) = store.calls("20260102_000000")
    assert call.status == "ok" and store.load(call).meta["original_status"] == "success"  # type: ignore[union-attr]
    # one definition: writer, reader and model share it
    assert recorder.FORMAT == migrate.CURRENT_FORMAT == fmt.FORMAT_VERSION
    assert model.STATUSES is fmt.CALL_STATUSES and model.RUN_STATUSES is fmt.RUN_STATUSES


def test_item12_an_empty_run_is_empty_not_ok(tmp_path: Path) -> None:
    make_run_dir(tmp_path, "20260101_000000", [{"tool": "a"}])
    make_run_dir(tmp_path, "20260102_000000", [])
    (tmp_path / "20260103_000000").mkdir()  # started, nothing recorded, no run.json
    runs = {r["run_id"]: r["outcome"] for r in cli_json(tmp_path, "runs")}
    assert runs == {"20260101_000000": "ok", "20260102_000000": "empty", "20260103_000000": "empty"}
    check = cli_run(tmp_path, "check", "20260102_000000")
    assert check.exit_code == 1 and "recorded no calls" in check.stdout


def test_item13_root_cause_names_the_tool_and_endpoint(tmp_path: Path) -> None:
    replay = {"kind": "http", "method": "POST", "url": "https://hooks.test/notify?token=x"}
    good = {"tool": "send_notification", "output": {"sent": True}, "replay": replay}
    make_run_dir(tmp_path, "run_20260101_000000", [good])
    timed_out = {**good, "status": "timeout", "output": None, "error": _error("TimeoutError", "")}
    make_run_dir(tmp_path, "run_20260102_000000", [timed_out], status="failed")
    pm = cli_json_pm(tmp_path, "run_20260102_000000")
    line = pm["root_cause"]
    assert line.startswith("send_notification #1 (POST https://hooks.test/notify): ")
    assert "timed out" in line and "token=x" not in line
    markdown = cli_run(tmp_path, "postmortem", "run_20260102_000000").stdout
    assert "**Root cause:** `send_notification #1 (POST https://hooks.test/notify)" in markdown
    text = cli_run(tmp_path, "diff", "--run", "run_20260102_000000").stdout
    assert "run_run_" not in text + markdown
    assert text.startswith("Comparing: run_20260101_000000 vs run_20260102_000000")
    # "20260102_000000" (as typed without the prefix) names the same run
    assert (
        cli_json(tmp_path, "check", "20260102_000000")["runs"][0]["run_id"] == "run_20260102_000000"
    )


def test_item10_a_missing_call_and_its_missing_http_child_are_one_step(tmp_path: Path) -> None:
    def chain(run_id: str, with_notify: bool) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = [{"tool": "fetch", "output": GOOD}]
        if with_notify:
            calls.append({"tool": "notify", "output": {"sent": True}})
            calls.append(
                {
                    "tool": "http",
                    "output": {"status_code": 204},
                    "meta": {"parent_call": f"{run_id}-000002"},
                }
            )
        calls.append({"tool": "summarise", "output": {"text": "done"}})
        return calls

    make_run_dir(tmp_path, "20260101_000000", chain("20260101_000000", True))
    make_run_dir(tmp_path, "20260102_000000", chain("20260102_000000", False))
    analysis = open_analysis(tmp_path)
    found = analysis.findings("20260102_000000")
    assert [(f.kind, f.tool) for f in found] == [("partial_step", "notify")]
    assert "and its own http call(s)" in found[0].evidence
    report = cli_json(tmp_path, "check", "20260102_000000")
    assert [f["tool"] for f in report["runs"][0]["findings"]] == ["notify"]
    # a child whose parent ran is still its own missing step
    make_run_dir(
        tmp_path,
        "20260103_000000",
        [c for c in chain("20260103_000000", True) if c["tool"] != "http"],
    )
    assert [(f.kind, f.tool) for f in open_analysis(tmp_path).findings("20260103_000000")] == [
        ("partial_step", "http")
    ]
