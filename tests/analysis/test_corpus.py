"""Known answers from corpus/v1, through the real store and the Analysis facade."""

from __future__ import annotations

import json
from pathlib import Path

from forensics_tui.core.analysis.engine import Analysis
from forensics_tui.core.storage.factories import make_run_dir

from .conftest import open_analysis


def _kinds(analysis: Analysis, run_id: str) -> set[tuple[str, str]]:
    return {(f.kind, f.tool) for f in analysis.findings(run_id)}


def test_healthy_runs_have_no_findings(v1_analysis: Analysis) -> None:
    assert v1_analysis.findings("20260301_090000") == []
    assert v1_analysis.findings("20260302_090000") == []


def test_03_auth_expiry_and_schema_drift(v1_analysis: Analysis) -> None:
    assert _kinds(v1_analysis, "20260303_090000") == {
        ("auth_expiry", "crm_lookup"),
        ("schema_drift", "crm_lookup"),
    }
    auth = next(f for f in v1_analysis.findings("20260303_090000") if f.kind == "auth_expiry")
    assert 'output.body.error = "token_expired"' in auth.evidence
    assert auth.call_id == "20260303_090000-000001"


def test_04_schema_drift_names_the_fields(v1_analysis: Analysis) -> None:
    (drift,) = v1_analysis.findings("20260304_090000")
    assert drift.kind == "schema_drift" and drift.tool == "crm_lookup"
    assert "retyped body.tier string → number" in drift.evidence
    assert "removed body.open_tickets" in drift.evidence
    assert "added body.openTickets" in drift.evidence
    assert "20260302_090000" in drift.evidence  # compared with the last known-good run


def test_05_partial_step_and_rate_limited(v1_analysis: Analysis) -> None:
    findings = v1_analysis.findings("20260305_090000")
    assert {(f.kind, f.call_id) for f in findings} == {
        ("partial_step", "20260305_090000-000003"),
        ("rate_limited", "20260305_090000-000003"),
    }
    rate = next(f for f in findings if f.kind == "rate_limited")
    assert "429" in rate.evidence and "Retry-After" in rate.evidence


def test_06_to_08_error_and_promoted_pattern(v1_analysis: Analysis) -> None:
    for run_id in ("20260306_090000", "20260307_090000", "20260308_090000"):
        # a 5xx is the upstream kind
        assert _kinds(v1_analysis, run_id) == {("upstream", "post_reply")}
    patterns = v1_analysis.patterns()
    top = patterns[0]
    assert top.promoted and top.tool == "post_reply" and top.kind == "upstream"
    assert top.to_json()["run_count"] == 3
    assert top.runs == ["20260306_090000", "20260307_090000", "20260308_090000"]
    assert top.fixed_since is None
    assert [p for p in patterns if p.promoted] == [top]


def test_last_known_good_skips_runs_with_findings(v1_analysis: Analysis) -> None:
    store = v1_analysis.store
    crm_05 = store.calls("20260305_090000")[0]
    assert v1_analysis.last_good_call(crm_05).run_id == "20260302_090000"
    post_06 = store.calls("20260306_090000")[4]
    # docs/ARCHITECTURE.md: the most recent earlier run whose matching call is ok with no finding
    assert v1_analysis.last_good_call(post_06).run_id == "20260305_090000"
    tag_05 = store.calls("20260305_090000")[1]  # tag_ticket #1: before the skipped #2
    assert v1_analysis.last_good_call(tag_05).run_id == "20260304_090000"
    tag_06 = store.calls("20260306_090000")[1]  # run 05's tag_ticket #1 precedes the skip
    assert v1_analysis.last_good_call(tag_06).run_id == "20260305_090000"
    assert v1_analysis.last_good_run("20260306_090000").run_id == "20260302_090000"


def test_accept_makes_a_drifted_shape_the_baseline(v1: Path) -> None:
    analysis = open_analysis(v1)
    assert _kinds(analysis, "20260305_090000") >= {("partial_step", "tag_ticket")}
    assert ("schema_drift", "crm_lookup") not in _kinds(analysis, "20260305_090000")
    analysis.accept("20260304_090000", "crm_lookup")
    assert json.loads((v1 / ".accepted.json").read_text())["accepted"][0]["tool"] == "crm_lookup"
    crm_05 = analysis.store.calls("20260305_090000")[0]
    assert analysis.last_good_call(crm_05).run_id == "20260304_090000"
    # 05 went back to the old shape, which now differs from the accepted one
    assert ("schema_drift", "crm_lookup") in _kinds(analysis, "20260305_090000")
    # a fresh Analysis reads the same record from the dot-file
    assert ("schema_drift", "crm_lookup") in _kinds(open_analysis(v1), "20260305_090000")


def test_new_run_is_analysed_incrementally(v1: Path) -> None:
    analysis = open_analysis(v1)
    before = analysis.runs()
    make_run_dir(
        v1,
        "20260309_090000",
        [
            {
                "tool": "crm_lookup",
                "input": {"customer": "C-1042"},
                "output": {"status_code": 200, "body": {"customer": "C-1042", "tier": "gold"}},
            },
        ],
        task="triage-tickets",
    )
    analysis.store.scan()
    after = analysis.runs()
    assert [ra.run_id for ra in after][:-1] == [ra.run_id for ra in before]
    assert all(a is b for a, b in zip(after[:-1], before, strict=True))  # cached, not redone
    kinds = {(f.kind, f.tool, f.call_id) for f in analysis.findings("20260309_090000")}
    assert ("schema_drift", "crm_lookup", "20260309_090000-000001") in kinds
    missing = [f for f in analysis.findings("20260309_090000") if f.call_id is None]
    assert {f.tool for f in missing} == {"tag_ticket", "post_reply"}
    assert all(f.kind == "partial_step" for f in missing)


def test_reexec_runs_never_serve_as_baselines(tmp_path: Path) -> None:
    ok = {"tool": "t", "output": {"v": 1}}
    make_run_dir(tmp_path, "20260101_000000", [ok])
    make_run_dir(
        tmp_path,
        "20260102_000000",
        [{"tool": "t", "output": {"v": "x"}}],
        manifest={"labels": {"reexec_of": "20260101_000000-000001"}},
    )
    make_run_dir(tmp_path, "20260103_000000", [ok])
    analysis = open_analysis(tmp_path)
    call = analysis.store.calls("20260103_000000")[0]
    assert analysis.last_good_call(call).run_id == "20260101_000000"
    assert analysis.findings("20260103_000000") == []
