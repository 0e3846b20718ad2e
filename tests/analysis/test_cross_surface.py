"""Every surface tells the same story: a cross-surface agreement test over generated histories.

Hypothesis writes random fixture roots (healthy calls, drifted shapes, expired tokens in a 200,
soft errors, timeouts raised under different names, 5xx, unreachable services, rate-limited
skips, parent tool calls with failing HTTP children, re-execution runs, empty runs) and then, for
every run and every call, asks each surface: ``runs``, ``check``, ``diff``, ``patterns``,
``postmortem``, the pytest plugin's ``fixture_params`` and the TUI's data source (findings
badges and run rows).  They must agree with the analysis model on outcome, classification and
baseline.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forensics_tui.cli.main import cli
from forensics_tui.core.storage.factories import make_run_dir
from tests.analysis.conftest import open_analysis

TOOLS = ("fetch", "upsert", "notify")


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"type": kind, "message": message, "traceback": None}


CALLS: dict[str, dict[str, Any]] = {
    "good": {"output": {"status_code": 200, "body": {"id": 1, "name": "a"}}},
    "drift": {"output": {"status_code": 200, "body": {"id": "1", "label": "a"}}},
    "expired": {"output": {"status_code": 200, "body": {"error": "token_expired"}}},
    "soft": {"output": {"ok": False, "message": "quota"}},
    "read_timeout": {"status": "error", "error": _error("httpx.ReadTimeout", "timed out")},
    "timeout": {"status": "timeout", "error": _error("TimeoutError", "")},
    "upstream": {
        "status": "error",
        "output": {"status_code": 503},
        "error": _error("HTTPStatusError", "HTTP 503"),
    },
    "unreachable": {"status": "error", "error": _error("httpx.ConnectError", "refused")},
    "rate_skip": {"status": "skipped", "output": {"status_code": 429}},
    "skipped": {"status": "skipped"},
    "pending": {"status": "pending"},
}

call_st = st.tuples(st.sampled_from(TOOLS), st.sampled_from(sorted(CALLS)), st.booleans())
run_st = st.tuples(
    st.sampled_from(["ok", "failed", None, "running"]),
    st.lists(call_st, max_size=5),
    st.booleans(),  # a re-execution of an earlier call
)
history_st = st.lists(run_st, min_size=1, max_size=5)


def _write(root: Path, history: list[Any]) -> list[str]:
    run_ids: list[str] = []
    for n, (status, calls, reexec) in enumerate(history, start=1):
        run_id = f"202601{n:02d}_000000"
        fixtures: list[dict[str, Any]] = []
        for seq, (tool, kind, as_child) in enumerate(calls, start=1):
            fixture: dict[str, Any] = {"tool": tool, "input": {"q": tool}, **CALLS[kind]}
            if as_child and seq > 1:  # an HTTP exchange inside the previous tool call
                fixture["meta"] = {"parent_call": f"{run_id}-{seq - 1:06d}"}
                fixture["replay"] = {"kind": "http", "method": "GET", "url": "https://x.test/a"}
            fixtures.append(fixture)
        manifest: dict[str, Any] = {}
        earlier = [r for r in run_ids]
        if reexec and earlier and fixtures:
            original = f"{earlier[-1]}-000001"
            manifest = {"labels": {"reexec_of": original}}
            fixtures = fixtures[:1]
            fixtures[0]["meta"] = {"reexec_of": {"call_id": original}}
        make_run_dir(root, run_id, fixtures, status=status, manifest=manifest)
        run_ids.append(run_id)
    return run_ids


def _cli(root: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, [*args, "--dir", str(root)], env={"COLUMNS": "200"})


def _json(root: Path, *args: str) -> Any:
    result = _cli(root, *args)
    assert "Traceback" not in result.output, result.output
    return json.loads(result.stdout)


def _tui_claims_ok(analysis: Any) -> dict[str, bool]:
    """What the TUI's run list marks "⚠ claims ok", from the TUI's own data source."""
    from forensics_tui.ui.answers import answers_from
    from forensics_tui.ui.rows import run_lines
    from forensics_tui.ui.view_model import RunSummary

    answers = answers_from(analysis)
    out = {}
    for run in analysis.store.runs():
        outcome = answers.outcomes.get(run.run_id)
        count = answers.counts.get(run.run_id, 0)
        _first, second = run_lines(RunSummary.from_run(run), 120, count, outcome=outcome)
        out[run.run_id] = "claims ok" in second.plain
    return out


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(history=history_st)
def test_every_surface_agrees(history: list[Any]) -> None:
    from forensics_tui.testing import fixture_params

    root = Path(tempfile.mkdtemp(prefix="cross_surface_"))
    try:
        run_ids = _write(root, history)
        analysis = open_analysis(root)
        rows = {r["run_id"]: r for r in _json(root, "runs", "--json")}
        patterns = _json(root, "patterns", "--json")
        pattern_runs = {r for p in patterns for r in p["runs"]}
        signatures: set[str] = set()
        claims_ok = _tui_claims_ok(analysis)
        handed_over = {p.values[0].call_id for p in fixture_params(root)}
        for run_id in run_ids:
            ra = analysis.run_analysis(run_id)
            outcome = analysis.outcome(run_id)
            # runs, check, postmortem and the TUI: one outcome
            assert rows[run_id]["outcome"] == outcome and rows[run_id]["kind"] == ra.kind
            check = _cli(root, "check", run_id, "--json")
            assert (check.exit_code == 0) == (outcome in ("ok", "running")), (run_id, outcome)
            assert json.loads(check.stdout)["runs"][0]["outcome"] == outcome
            pm = _json(root, "postmortem", run_id, "--format", "json")
            assert pm["outcome"] == outcome and pm["kind"] == ra.kind
            if ra.run.status == "ok":
                assert claims_ok[run_id] == (outcome == "silent_failure"), run_id
            if ra.kind == "reexec":
                assert run_id not in pattern_runs
            else:
                signatures |= {f"{c.tool}:{c.kind}" for c in ra.causes}
            first = ra.first_failure
            if first is not None and first.call_id is not None:
                assert pm["first_failure"]["call_id"] == first.call_id
                assert pm["first_failure"]["kind"] == first.kind
            # every call: one classification, one baseline, one flag
            chain = {step["seq"]: step for step in pm["chain"]}
            for call in ra.run.calls:
                cv = ra.verdicts[call.call_id]
                assert chain[call.seq]["kind"] == cv.kind
                assert (call.call_id in handed_over) == (not cv.flagged)
                diff = _cli(root, "diff", "--run", run_id, "--index", str(call.seq), "--json")
                if cv.baseline is None:
                    assert diff.exit_code == 1 and "no baseline" in diff.output
                    continue
                data = json.loads(diff.stdout)
                assert data["baseline_run"] == cv.baseline.run_id
                assert data["baseline_call_id"] == cv.baseline.call_id
                assert data["baseline_reason"] == cv.baseline.reason
        assert {p["signature"] for p in patterns} == signatures
        newest = analysis.newest_run()
        if newest is not None:
            default = _json(root, "check", "--json")
            assert default["runs"][0]["run_id"] == newest.run_id
            assert analysis.run_analysis(newest.run_id).kind != "reexec"
    finally:
        shutil.rmtree(root, ignore_errors=True)
