"""Comparing two runs: alignment, per-pair states and the first divergence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from forensics_tui.cli.main import cli
from forensics_tui.core.analysis.compare import compare_runs
from forensics_tui.core.analysis.engine import AnalysisError
from tests.runlevel.conftest import failed, ok, open_analysis, run

GOOD = [
    ok("fetch_orders", {"since": "2026-01-01"}, {"orders": [{"id": 1}]}),
    ok("upsert", {"batch": 1}, {"written": 10}),
    ok("upsert", {"batch": 2}, {"written": 10}),
    ok("notify", {"to": "ops"}, {"sent": True}),
]


def _states(comparison) -> list[tuple[int | None, int | None, str, str]]:
    return [(p.to_json()["a_seq"], p.to_json()["b_seq"], p.tool, p.state) for p in comparison.pairs]


def test_inserted_call_is_the_first_divergence_and_shifts_nothing(tmp_path: Path) -> None:
    run(tmp_path, "20260101_000000", GOOD)
    inserted = [GOOD[0], ok("refresh_token", {}, {"token": "[REDACTED]"}), *GOOD[1:]]
    run(tmp_path, "20260102_000000", inserted)
    result = compare_runs(open_analysis(tmp_path), "20260102_000000")
    assert result.b == "20260101_000000"  # the default: A's last known-good run
    assert _states(result) == [
        (1, 1, "fetch_orders", "same"),
        (2, None, "refresh_token", "only in A"),
        (3, 2, "upsert", "same"),
        (4, 3, "upsert", "same"),
        (5, 4, "notify", "same"),
    ]
    data = result.to_json()
    assert data["first_divergence"]["a_seq"] == 2
    assert data["first_divergence"]["b_seq"] is None
    assert data["first_divergence"]["tool"] == "refresh_token"
    assert "no counterpart in B" in data["first_divergence"]["why"]


def test_skipped_and_repeated_calls(tmp_path: Path) -> None:
    run(tmp_path, "20260101_000000", GOOD)
    repeated = [GOOD[0], GOOD[1], GOOD[2], ok("upsert", {"batch": 2}, {"written": 10}), GOOD[3]]
    run(tmp_path, "20260102_000000", repeated)
    run(tmp_path, "20260103_000000", [GOOD[0], GOOD[3]], status="ok")
    analysis = open_analysis(tmp_path)
    rep = compare_runs(analysis, "20260102_000000", "20260101_000000")
    assert [p.state for p in rep.pairs].count("only in A") == 1
    assert [p.state for p in rep.pairs if p.state != "only in A"] == ["same"] * 4
    skip = compare_runs(analysis, "20260103_000000", "20260101_000000")
    assert _states(skip) == [
        (1, 1, "fetch_orders", "same"),
        (None, 2, "upsert", "only in B"),
        (None, 3, "upsert", "only in B"),
        (2, 4, "notify", "same"),
    ]
    first = skip.to_json()["first_divergence"]
    assert (first["a_seq"], first["b_seq"], first["tool"]) == (None, 2, "upsert")


def test_each_pair_state(tmp_path: Path) -> None:
    run(tmp_path, "20260101_000000", GOOD)
    changed = [
        ok("fetch_orders", {"since": "2026-01-01"}, {"orders": [{"id": "1"}]}),  # id retyped
        ok("upsert", {"batch": 7}, {"written": 10}),  # input changed
        failed("upsert", {"batch": 2}),  # status changed
        ok("notify", {"to": "ops"}, {"sent": True}),
    ]
    run(tmp_path, "20260102_000000", changed)
    result = compare_runs(open_analysis(tmp_path), "20260102_000000", "20260101_000000")
    assert [p.state for p in result.pairs] == [
        "output changed",
        "input changed",
        "status changed",
        "same",
    ]
    first = result.to_json()["first_divergence"]
    assert first == {
        "a_seq": 1,
        "b_seq": 1,
        "tool": "fetch_orders",
        "why": first["why"],
    }
    assert "orders[].id" in first["why"]


def test_volatile_fields_and_values_do_not_diverge(tmp_path: Path) -> None:
    run(tmp_path, "20260101_000000", [ok("fetch", {"q": 1, "request_id": "a"}, {"n": 1})])
    run(tmp_path, "20260102_000000", [ok("fetch", {"q": 1, "request_id": "b"}, {"n": 2})])
    result = compare_runs(open_analysis(tmp_path), "20260102_000000")
    assert result.first_divergence is None
    assert result.to_json()["first_divergence"] is None


def test_a_silent_failure_is_a_classification_change(tmp_path: Path) -> None:
    run(tmp_path, "20260101_000000", [ok("crm", {"id": 1}, {"status_code": 200, "body": {}})])
    body = {"status_code": 200, "body": {"error": "token_expired"}}
    run(tmp_path, "20260102_000000", [ok("crm", {"id": 1}, body)])
    result = compare_runs(open_analysis(tmp_path), "20260102_000000", "20260101_000000")
    assert result.pairs[0].state == "status changed"
    assert result.pairs[0].why == "classified ok in B, auth in A"


def test_no_baseline_is_a_clear_error(tmp_path: Path) -> None:
    run(tmp_path, "20260101_000000", [failed("fetch")])
    with pytest.raises(AnalysisError, match="no earlier known-good run"):
        compare_runs(open_analysis(tmp_path), "20260101_000000")


def test_cli_json_contract_and_exit_codes(tmp_path: Path) -> None:
    run(tmp_path, "20260101_000000", GOOD)
    run(tmp_path, "20260102_000000", [GOOD[0], ok("refresh_token"), *GOOD[1:]])
    runner = CliRunner()
    res = runner.invoke(cli, ["compare", "20260102_000000", "--json", "--dir", str(tmp_path)])
    assert res.exit_code == 1, res.output
    data = json.loads(res.output)
    assert set(data) == {"a", "b", "first_divergence", "pairs"}
    assert set(data["first_divergence"]) == {"a_seq", "b_seq", "tool", "why"}
    assert all(set(p) == {"a_seq", "b_seq", "tool", "state"} for p in data["pairs"])
    same = runner.invoke(
        cli, ["compare", "20260101_000000", "20260101_000000", "--dir", str(tmp_path)]
    )
    assert same.exit_code == 0, same.output
    assert "No divergence" in same.output
    text = runner.invoke(cli, ["compare", "20260102_000000", "--dir", str(tmp_path)])
    assert "First divergence: refresh_token" in text.output
    unknown = runner.invoke(cli, ["compare", "nope", "--dir", str(tmp_path)])
    assert unknown.exit_code == 2
    lonely = runner.invoke(cli, ["compare", "20260101_000000", "--dir", str(tmp_path)])
    assert lonely.exit_code == 2 and "no earlier known-good run" in lonely.output


def test_cli_accepts_short_run_names(tmp_path: Path) -> None:
    run(tmp_path, "20260101_000000", GOOD)
    run(tmp_path, "20260102_000000", [GOOD[0], ok("refresh_token"), *GOOD[1:]])
    res = CliRunner().invoke(
        cli, ["compare", "20260102", "20260101", "--json", "--dir", str(tmp_path)]
    )
    data = json.loads(res.output)
    assert (data["a"], data["b"]) == ("20260102_000000", "20260101_000000")
