"""A call's history and the onset of its failing streak, with known causes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from forensics_tui.cli.main import cli
from forensics_tui.core.analysis.history import call_history
from tests.runlevel.conftest import failed, ok, open_analysis, run

V1 = {"agent_version": "1.4.0", "git_commit": "a" * 40}
V2 = {"agent_version": "1.5.0", "git_commit": "b" * 40}


def _changed(history) -> list[tuple[str, str]]:
    assert history.onset is not None
    return [(c.what, c.path) for c in history.onset.changed]


def test_onset_caused_by_an_input_change(tmp_path: Path) -> None:
    run(tmp_path, "20260101_000000", [ok("fetch", {"region": "eu", "limit": 10})], labels=V1)
    run(tmp_path, "20260102_000000", [ok("fetch", {"region": "eu", "limit": 10})], labels=V1)
    run(tmp_path, "20260103_000000", [failed("fetch", {"region": "EU ", "limit": 10})], labels=V1)
    run(tmp_path, "20260104_000000", [failed("fetch", {"region": "EU ", "limit": 10})], labels=V1)
    history = call_history(open_analysis(tmp_path), "fetch")
    assert [o.call.run_id for o in history.occurrences] == [
        "20260101_000000",
        "20260102_000000",
        "20260103_000000",
        "20260104_000000",
    ]
    assert [o.kind for o in history.occurrences] == ["ok", "ok", "upstream", "upstream"]
    assert history.onset is not None
    assert history.onset.run_id == "20260103_000000"
    assert history.onset.previous_run_id == "20260102_000000"
    assert _changed(history) == [("input", "region")]
    change = history.onset.changed[0]
    assert (change.old, change.new) == ("eu", "EU ")


def test_onset_caused_by_a_label_change(tmp_path: Path) -> None:
    run(tmp_path, "20260101_000000", [ok("fetch", {"q": 1})], labels=V1)
    run(tmp_path, "20260102_000000", [failed("fetch", {"q": 1})], labels=V2)
    run(tmp_path, "20260103_000000", [failed("fetch", {"q": 1})], labels=V2)
    history = call_history(open_analysis(tmp_path), "fetch")
    assert history.onset is not None and history.onset.run_id == "20260102_000000"
    assert _changed(history) == [("label", "agent_version"), ("label", "git_commit")]
    assert history.onset.changed[0].to_json() == {
        "what": "label",
        "path": "agent_version",
        "old": "1.4.0",
        "new": "1.5.0",
    }


def test_onset_caused_by_a_tool_definition_change(tmp_path: Path) -> None:
    schema_v1 = {"description": "Fetch orders", "input_schema": {"required": ["since"]}}
    schema_v2 = {"description": "Fetch orders", "input_schema": {"required": ["since", "tenant"]}}
    good = ok("fetch", {"since": "x"}, meta={"tool_definition": schema_v1})
    bad = failed("fetch", {"since": "x"}) | {"meta": {"tool_definition": schema_v2}}
    run(tmp_path, "20260101_000000", [good], labels=V1)
    run(tmp_path, "20260102_000000", [bad], labels=V1)
    history = call_history(open_analysis(tmp_path), "fetch")
    assert _changed(history) == [("tool_definition", "input_schema.required[1]")]
    # The manifest's ``tools`` map (an MCP tools/list) is read when the fixture has none.
    other = tmp_path / "other"
    run(
        other,
        "20260101_000000",
        [ok("fetch", {"since": "x"})],
        manifest={"tools": {"fetch": schema_v1}},
    )
    run(
        other,
        "20260102_000000",
        [failed("fetch", {"since": "x"})],
        manifest={"tools": {"fetch": schema_v2}},
    )
    assert _changed(call_history(open_analysis(other), "fetch")) == [
        ("tool_definition", "input_schema.required[1]")
    ]


def test_output_shape_change_and_silent_failures_start_a_streak(tmp_path: Path) -> None:
    run(tmp_path, "20260101_000000", [ok("crm", {"id": 1}, {"customer": {"tier": "gold"}})])
    bad = {"customer": {"tier": 3}}
    run(tmp_path, "20260102_000000", [ok("crm", {"id": 1}, bad)])  # schema drift, status ok
    history = call_history(open_analysis(tmp_path), "crm")
    assert history.occurrences[-1].kind == "schema_drift"
    assert history.occurrences[0].output_shape != history.occurrences[-1].output_shape
    assert history.occurrences[0].input_shape == history.occurrences[-1].input_shape
    assert _changed(history) == [("output_shape", "customer.tier")]


def test_recovered_call_has_no_onset_and_until_looks_back(tmp_path: Path) -> None:
    run(tmp_path, "20260101_000000", [ok("fetch")], labels=V1)
    run(tmp_path, "20260102_000000", [failed("fetch")], labels=V2)
    run(tmp_path, "20260103_000000", [ok("fetch")], labels=V2)
    analysis = open_analysis(tmp_path)
    assert call_history(analysis, "fetch").onset is None
    back = call_history(analysis, "fetch", until="20260102_000000")
    assert back.onset is not None and back.onset.previous_run_id == "20260101_000000"
    assert len(back.occurrences) == 2


def test_failing_from_the_start_has_no_previous_run(tmp_path: Path) -> None:
    run(tmp_path, "20260101_000000", [failed("fetch")])
    history = call_history(open_analysis(tmp_path), "fetch")
    assert history.onset is not None
    assert history.onset.to_json() == {
        "run_id": "20260101_000000",
        "previous_run_id": None,
        "changed": [],
    }


def test_cli_json_contract(tmp_path: Path) -> None:
    run(tmp_path, "20260101_000000", [ok("fetch", {"q": 1}), ok("notify")], labels=V1)
    run(tmp_path, "20260102_000000", [failed("fetch", {"q": 1}), ok("notify")], labels=V2)
    runner = CliRunner()
    res = runner.invoke(cli, ["history", "fetch", "--json", "--dir", str(tmp_path)])
    assert res.exit_code == 1, res.output
    data = json.loads(res.output)
    assert set(data) == {"tool", "occurrences", "onset"}
    assert data["tool"] == "fetch"
    keys = {"run_id", "seq", "status", "kind", "input_shape", "output_shape", "duration_ms"}
    assert [set(o) for o in data["occurrences"]] == [keys, keys]
    assert set(data["onset"]) == {"run_id", "previous_run_id", "changed"}
    assert all(set(c) == {"what", "path", "old", "new"} for c in data["onset"]["changed"])
    text = runner.invoke(cli, ["history", "fetch", "--dir", str(tmp_path)])
    assert "Onset: run 20260102_000000, after run 20260101_000000" in text.output
    assert 'label agent_version: "1.4.0" → "1.5.0"' in text.output
    fine = runner.invoke(cli, ["history", "notify", "--dir", str(tmp_path)])
    assert fine.exit_code == 0 and "No current failing streak" in fine.output
    missing = runner.invoke(cli, ["history", "nope", "--dir", str(tmp_path)])
    assert missing.exit_code == 2 and "no call of 'nope'" in missing.output


def test_postmortem_has_an_onset_section(tmp_path: Path) -> None:
    from forensics_tui.core.analysis.postmortem import build_postmortem, postmortem_markdown

    run(tmp_path, "20260101_000000", [ok("fetch", {"q": 1})], labels=V1)
    run(tmp_path, "20260102_000000", [failed("fetch", {"q": 1})], labels=V2)
    run(tmp_path, "20260103_000000", [failed("fetch", {"q": 1})], labels={**V2, "x": "`|*"})
    analysis = open_analysis(tmp_path)
    pm = build_postmortem(analysis, "20260103_000000")
    assert pm["onset"]["run_id"] == "20260102_000000"
    assert pm["onset"]["previous_run_id"] == "20260101_000000"
    assert pm["onset"]["tool"] == "fetch"
    md = postmortem_markdown(pm)
    assert "## Onset" in md
    assert "`fetch` has failed since run `20260102_000000`" in md
    assert '- label `agent_version`: `"1.4.0"` → `"1.5.0"`' in md
    first = build_postmortem(analysis, "20260101_000000")
    assert first["onset"] is None and "## Onset" in postmortem_markdown(first)
