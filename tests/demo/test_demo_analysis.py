"""The analysis answers on the demo's 11 runs, read through the CLI as an on-call engineer would.

The demo's agent and service were written separately from the detectors, so this is the
analysis on data it was not tuned for: every verdict must be true (right kind, right fields,
right baseline) and no healthy run may be flagged.  Request ids are random per call and must
never show up as a difference.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from forensics_tui.cli.main import cli
from forensics_tui.core.storage.store import FixtureStore


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("demo_analysis") / "fixtures"
    result = CliRunner().invoke(
        cli, ["demo", "--dir", str(root), "--no-tui", "--think", "0"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    store = FixtureStore(root)
    store.scan()
    runs = [run.run_id for run in store.runs()]
    assert len(runs) == 11
    return root, runs


def _cli(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--dir", str(root)], env={"COLUMNS": "200"})


def _json(root: Path, *args: str) -> Any:
    result = _cli(root, *args, "--json")
    assert "Traceback" not in result.output
    return json.loads(result.stdout)


def _check(demo: tuple[Path, list[str]], n: int) -> tuple[int, list[dict[str, Any]]]:
    root, runs = demo
    result = _cli(root, "check", runs[n - 1], "--json")
    data = json.loads(result.stdout)
    return result.exit_code, data["runs"][0]["findings"]


def _diff(
    demo: tuple[Path, list[str]], n: int, tool: str, occurrence: int | None = None
) -> dict[str, Any]:
    """``diff`` of the ``occurrence``-th call of ``tool`` in run ``n`` (``--index`` takes the
    sequence number, as the TUI shows it); None: the tool's first failing or flagged call."""
    root, runs = demo
    args = ["diff", "--run", runs[n - 1], "--tool", tool]
    if occurrence is not None:
        store = FixtureStore(root)
        store.scan()
        calls = [c for c in store.calls(runs[n - 1]) if c.tool == tool]
        args += ["--index", str(calls[occurrence - 1].seq)]
    return _json(root, *args)


def test_healthy_runs_pass_check(demo: tuple[Path, list[str]]) -> None:
    for n in (1, 2):
        code, findings = _check(demo, n)
        assert (code, findings) == (0, []), n


def test_every_broken_run_fails_check_with_the_right_kinds(demo: tuple[Path, list[str]]) -> None:
    expected = {
        3: {("timeout", "fetch_stock")},
        4: {("auth", "upsert_records")},  # a 401 is the auth kind
        5: {("auth_expiry", "upsert_records"), ("schema_drift", "upsert_records")},
        6: {("schema_drift", "fetch_stock")},
        7: {("rate_limited", "upsert_records"), ("partial_step", "upsert_records")},
        8: {("upstream", "send_notification")},  # a 503 is the upstream kind
        11: {("upstream", "send_notification")},
    }
    for n, kinds in expected.items():
        code, findings = _check(demo, n)
        assert code == 1 and {(f["kind"], f["tool"]) for f in findings} == kinds, n


def test_partial_step_only_where_a_step_was_skipped(demo: tuple[Path, list[str]]) -> None:
    _, runs = demo
    every = [f for n in range(1, 12) for f in _check(demo, n)[1]]
    partial = [f for f in every if f["kind"] == "partial_step"]
    assert [(f["run_id"], f["call_id"]) for f in partial] == [(runs[6], f"{runs[6]}-000004")]
    assert "#4" in partial[0]["evidence"] and "skipped" in partial[0]["evidence"]
    assert not any("request_id" in f["evidence"] for f in every)


def test_evidence_quotes_the_proving_fields(demo: tuple[Path, list[str]]) -> None:
    (auth,) = [f for f in _check(demo, 5)[1] if f["kind"] == "auth_expiry"]
    assert 'output.body.error = "token_expired"' in auth["evidence"]
    assert auth["call_id"].endswith("-000003")
    (rate,) = [f for f in _check(demo, 7)[1] if f["kind"] == "rate_limited"]
    assert "output.status_code = 429" in rate["evidence"]
    assert 'Retry-After = "12"' in rate["evidence"]
    (error,) = _check(demo, 8)[1]
    assert "503" in error["evidence"]


def test_schema_drift_names_added_removed_and_retyped(demo: tuple[Path, list[str]]) -> None:
    (drift,) = _check(demo, 6)[1]
    assert "added body.items[].quantity (string)" in drift["evidence"]
    assert "removed body.items[].qty (number)" in drift["evidence"]
    assert "retyped body.items[].location string → object" in drift["evidence"]


def test_diff_verdicts_point_the_right_way(demo: tuple[Path, list[str]]) -> None:
    _, runs = demo
    timeout = _diff(demo, 3, "fetch_stock")
    assert timeout["baseline_run"] == runs[1] and timeout["input_changed"] is False
    assert (
        timeout["verdict"].startswith("upstream dependency issue")
        and "timed out" in timeout["verdict"]
    )

    unauthorized = _diff(demo, 4, "upsert_records")
    assert {"path": "status_code", "kind": "changed", "old": 200, "new": 401} in unauthorized[
        "changes"
    ]
    assert "rejected the credential" in unauthorized["verdict"]

    expired = _diff(demo, 5, "upsert_records", 2)
    assert expired["status"] == {"old": "ok", "new": "ok"}
    assert "upstream" in expired["verdict"] and "token_expired" in expired["verdict"]

    drift = _diff(demo, 6, "fetch_stock")
    assert "upstream" in drift["verdict"] and "body.items[*].qty" in drift["verdict"]
    kinds = {(c["path"], c["kind"]) for c in drift["changes"]}
    assert ("body.items[0].qty", "removed") in kinds
    assert ("body.items[0].quantity", "added") in kinds
    assert ("body.items[0].location", "type_changed") in kinds

    # Run 6's upsert (fed zeros by the drift) is ok with no finding, so it is run 7's baseline
    # (docs/ARCHITECTURE.md); the proven upstream cause still leads the verdict over the input change.
    rate = _diff(demo, 7, "upsert_records", 3)
    assert rate["baseline_run"] == runs[5] and rate["input_changed"] is True
    assert rate["verdict"].startswith("upstream") and "rate-limited" in rate["verdict"]

    for n in (8, 11):
        notify = _diff(demo, n, "send_notification")
        assert notify["baseline_run"] == runs[6]  # the last run whose notification was ok
        assert notify["verdict"].startswith("upstream")
        assert "server error" in notify["verdict"] and "503" in notify["verdict"]
    # request ids differ in every call and are never reported
    for diff in (timeout, unauthorized, expired, drift, rate):
        assert not any("request_id" in c["path"] for c in diff["changes"])  # fmt: skip


def test_upsert_after_the_drift_blames_the_input(demo: tuple[Path, list[str]]) -> None:
    _, runs = demo
    for index in (1, 2, 3):
        upsert = _diff(demo, 6, "upsert_records", index)
        assert upsert["input_changed"] is True and upsert["changes"] == []
        assert {c["path"].split("[")[0] for c in upsert["input_changes"]} == {"records"}
        assert all(c["new"] == 0 for c in upsert["input_changes"])
        assert (
            upsert["verdict"].startswith("input changed") and "records[*].qty" in upsert["verdict"]
        )
    # docs/ARCHITECTURE.md's last known-good: run 6's upsert was ok with no finding
    assert _diff(demo, 7, "upsert_records", 3)["baseline_run"] == runs[5]


def test_diff_text_reads_well(demo: tuple[Path, list[str]]) -> None:
    root, runs = demo
    result = _cli(root, "diff", "--run", runs[5], "--tool", "fetch_stock")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"Comparing: run_{runs[4]} vs run_{runs[5]}"
    assert "- body.items[0].qty: 140" in lines
    assert '+ body.items[0].quantity: "140"' in lines
    assert any(line.startswith("# … 7 more removals at body.items[*].qty") for line in lines)
    assert len(lines) < 25  # nine items' worth of the same change is summarised
    assert lines[-1].startswith("[forensics] Root cause: upstream dependency issue")
    timeout = _cli(root, "diff", "--run", runs[2], "--tool", "fetch_stock").stdout.splitlines()
    assert all(len(line) <= 240 for line in timeout)  # the whole baseline output is clipped
    assert any(line.startswith("- (output): {") and line.endswith("…") for line in timeout)


def test_recurring_notification_failure(demo: tuple[Path, list[str]]) -> None:
    root, runs = demo
    patterns = _json(root, "patterns")
    top = patterns[0]
    assert top["promoted"] and top["tool"] == "send_notification" and top["kind"] == "upstream"
    assert top["run_count"] == 4 and top["runs"] == runs[7:]
    assert top["first_seen"] == runs[7] and top["last_seen"] == runs[10]
    assert top["fixed_since"] is None
    assert [p for p in patterns if p["promoted"]] == [top]
    timeout = next(p for p in patterns if p["kind"] == "timeout")
    assert timeout["fixed_since"] == runs[3]  # fetch_stock worked again in run 4
    text = _cli(root, "patterns").stdout
    assert text.startswith("★ 4 run(s)  send_notification  upstream")


def test_postmortems(demo: tuple[Path, list[str]]) -> None:
    root, runs = demo
    outcomes = {}
    for n, run_id in enumerate(runs, start=1):
        result = _cli(root, "postmortem", run_id, "--format", "json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        outcomes[n] = data["outcome"]
        first = data["first_failure"]
        if n in (1, 2):
            assert first is None and data["diff"] is None and data["findings"] == []
            continue
        assert first is not None and data["diff"] is not None
        markdown = _cli(root, "postmortem", run_id).stdout
        assert markdown.startswith(f"# Post-mortem: run `{run_id}`")
        assert "Root cause:" in markdown
    assert outcomes[5] == outcomes[6] == outcomes[7] == "silent_failure"
    assert outcomes[3] == outcomes[4] == outcomes[11] == "failed"
    live = json.loads(_cli(root, "postmortem", runs[10], "--format", "json").stdout)
    assert live["first_failure"]["tool"] == "send_notification"
    assert live["recurring"]["run_count"] == 4 and live["recurring"]["fixed_since"] is None
    skipped = json.loads(_cli(root, "postmortem", runs[6], "--format", "json").stdout)
    assert skipped["first_failure"]["seq"] == 4 and skipped["first_failure"]["status"] == "skipped"
    assert skipped["recurring"] is None


def test_a_reexecution_does_not_become_the_story(
    demo: tuple[Path, list[str]], tmp_path: Path
) -> None:
    """The walkthrough's `r` writes a re-execution run (as core.reexec.result does); `check` and
    `postmortem` without RUN still answer for the newest agent run, the re-execution is
    labelled and compared with its original, and `patterns` does not count it."""
    import shutil

    from forensics_tui.capture import Recorder

    src, runs = demo
    root = tmp_path / "fixtures"
    shutil.copytree(src, root)
    store = FixtureStore(root)
    store.scan()
    original = next(c for c in store.calls(runs[10]) if c.tool == "send_notification")
    loaded = store.load(original)
    rec = Recorder(
        root,
        "20991231_235959_000000_reexec",
        agent="forensics-tui reexec",
        labels={"reexec_of": original.call_id, "reexec_of_run": original.run_id},
    )
    rec.record(
        original.tool,
        loaded.input,  # type: ignore[union-attr]
        {"status_code": 200, "body": {"delivered": True}},  # the service recovered
        "ok",
        meta={"reexec_of": {"call_id": original.call_id, "run_id": original.run_id}},
    )
    rec.end()
    reexec = {r["run_id"]: r for r in _json(root, "runs")}["20991231_235959_000000_reexec"]
    assert reexec["kind"] == "reexec" and reexec["outcome"] == "ok"
    check = _json(root, "check")
    assert [r["run_id"] for r in check["runs"]] == [runs[10]]
    assert _cli(root, "check", "20991231_235959_000000_reexec").exit_code == 0
    pm = json.loads(_cli(root, "postmortem", "--format", "json").stdout)
    assert pm["run_id"] == runs[10] and pm["first_failure"]["tool"] == "send_notification"
    diff = _json(root, "diff", "--run", "20991231_235959_000000_reexec", "--index", "1")
    assert (
        diff["baseline_call_id"] == original.call_id and "re-execution" in diff["baseline_reason"]
    )
    assert diff["status"] == {"old": "error", "new": "ok"}
    patterns = _json(root, "patterns")
    assert all("20991231_235959_000000_reexec" not in p["runs"] for p in patterns)
