"""The analysis keeps summaries, not copies: what a big root's verdicts share, and that sharing
never changes an answer (docs/ARCHITECTURE.md, "Analysis at scale")."""

from __future__ import annotations

import os
from pathlib import Path

from forensics_tui.core.storage.factories import make_run_dir
from tests.analysis.conftest import open_analysis

GOOD = {"status_code": 200, "body": {"id": 1, "name": "a"}}
DRIFTED = {"status_code": 200, "body": {"id": 1}}  # "name" removed


def test_plain_ok_calls_share_their_facts_and_carry_no_empty_lists(tmp_path: Path) -> None:
    calls = [{"tool": "fetch", "output": dict(GOOD, body={"id": i, "name": "a"})} for i in range(5)]
    make_run_dir(tmp_path, "20260101_000000", calls)
    make_run_dir(tmp_path, "20260102_000000", calls)
    analysis = open_analysis(tmp_path)
    ra = analysis.run_analysis("20260102_000000")
    facts = [analysis.facts(c) for c in ra.run.calls]
    assert all(f is facts[0] for f in facts)  # one object for every plain ok call
    assert ra.by_call == {} and ra.findings == []
    verdicts = list(ra.verdicts.values())
    assert all(not v.findings and not v.accepted_findings for v in verdicts)
    first = verdicts[0]
    assert first.baseline is not None
    assert first.baseline.call_id == "20260101_000000-000001"
    assert first.baseline.reason == (
        "last known-good: run 20260101_000000 is the most recent earlier run whose 1st "
        "fetch call (#1) was ok with no finding"
    )
    assert analysis.last_good_call(first.call) is analysis.store.runs()[0].calls[0]


def test_a_call_with_a_finding_is_never_a_baseline_even_when_later_calls_are_clean(
    tmp_path: Path,
) -> None:
    """Run 2's first call drifted, its second is clean: run 3's first call must still be
    compared with run 1's, and run 2 is not a known-good run."""
    make_run_dir(tmp_path, "20260101_000000", [{"tool": "a", "output": GOOD}, {"tool": "b"}])
    make_run_dir(tmp_path, "20260102_000000", [{"tool": "a", "output": DRIFTED}, {"tool": "b"}])
    make_run_dir(tmp_path, "20260103_000000", [{"tool": "a", "output": GOOD}, {"tool": "b"}])
    analysis = open_analysis(tmp_path)
    second = analysis.run_analysis("20260102_000000")
    assert [f.kind for f in second.findings] == ["schema_drift"]
    assert not second.good
    assert [g.call.tool for g in second.good_calls] == ["b"]
    third = analysis.run_analysis("20260103_000000")
    by_tool = {v.tool: v for v in third.verdicts.values()}
    assert by_tool["a"].baseline is not None
    assert by_tool["a"].baseline.run_id == "20260101_000000"
    assert by_tool["b"].baseline is not None
    assert by_tool["b"].baseline.run_id == "20260102_000000"


def test_a_rewritten_file_is_read_again(tmp_path: Path) -> None:
    """Facts are kept per file version: the same name with new content is a new answer."""
    run = make_run_dir(tmp_path, "20260101_000000", [{"tool": "fetch", "output": GOOD}])
    analysis = open_analysis(tmp_path)
    call = analysis.store.runs()[0].calls[0]
    assert analysis.facts(call).classification.kind == "ok"
    path = run / call.name
    text = path.read_text().replace('"name": "a"', '"error": "token_expired"')
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    analysis.store.scan()
    fresh = analysis.store.runs()[0].calls[0]
    assert analysis.facts(fresh).classification.kind == "auth"
