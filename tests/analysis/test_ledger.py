"""The ledger (baselines, patterns, failing streaks) folded run by run.

An analysis that lives through a history as it lands (the TUI's case: runs append, an old run
changes now and then) must answer exactly what a fresh analysis of the final root answers:
patterns with their promotion and ``fixed_since``, and every tool's onset.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from forensics_tui.core.analysis.engine import Analysis
from forensics_tui.core.analysis.history import call_onset
from forensics_tui.core.storage.factories import make_run_dir
from forensics_tui.core.storage.store import FixtureStore
from tests.analysis.conftest import open_analysis
from tests.analysis.test_cross_surface import TOOLS, _write, history_st


def _answers(analysis: Analysis) -> Any:
    patterns = [
        (p.to_json(), p.latest_call_id, sorted(p.occurrences), p.example)
        for p in analysis.patterns(min_runs=2)
    ]
    onsets = {}
    for tool in TOOLS:
        onset = call_onset(analysis, tool)
        onsets[tool] = (onset.to_json(), onset.call.call_id) if onset else None
    return patterns, onsets


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(history=history_st)
def test_a_live_analysis_answers_what_a_fresh_one_does(history: list[Any]) -> None:
    root = Path(tempfile.mkdtemp(prefix="ledger_"))
    try:
        store = FixtureStore(root)
        live = Analysis(store)
        for n in range(1, len(history) + 1):  # runs land one at a time
            _write(root, history[:n])
            store.scan()
            assert _answers(live) == _answers(open_analysis(root)), n
        # an old run changes: a failing call lands in the first run
        first = sorted(p.name for p in root.iterdir())[0]
        make_run_dir(root, first, [{"tool": "fetch", "status": "error", "seq": 9}], status=None)
        store.scan()
        assert _answers(live) == _answers(open_analysis(root))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_fixed_since_and_onset_follow_the_history(tmp_path: Path) -> None:
    bad = {"tool": "fetch", "status": "error", "error": {"type": "ReadTimeout", "message": "t"}}
    good = {"tool": "fetch", "output": {"id": 1}}
    plan = [good, bad, bad, good, bad, bad]
    for n, call in enumerate(plan, start=1):
        make_run_dir(tmp_path, f"202603{n:02d}_000000", [call])
    analysis = open_analysis(tmp_path)
    (pattern,) = analysis.patterns(min_runs=3)
    assert pattern.promoted and pattern.run_count == 4
    assert pattern.fixed_since is None  # failing again since run 5
    (before,) = analysis.patterns(min_runs=3, until="20260304_000000")
    assert before.fixed_since == "20260304_000000" and before.run_count == 2
    onset = call_onset(analysis, "fetch")
    assert onset is not None
    assert (onset.run_id, onset.previous_run_id) == ("20260305_000000", "20260304_000000")
    assert call_onset(analysis, "fetch", until="20260304_000000") is None
    first = call_onset(analysis, "fetch", until="20260303_000000")
    assert first is not None and first.run_id == "20260302_000000"
