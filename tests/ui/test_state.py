"""``ExplorerState`` without an app: scope, rows, deltas, filters, diff choices, n/N, labels.

These run in milliseconds; the Pilot tests only check that the widgets draw what this object
says.  Calls are built directly (``Call`` is a plain dataclass); the analysis answers are built
from the real core analysis over the v1 corpus where it matters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics_tui.core.analysis.engine import Analysis
from forensics_tui.core.model import Call
from forensics_tui.core.storage.store import FixtureStore
from forensics_tui.ui.answers import Answers, answers_from
from forensics_tui.ui.labels import run_label, unique_labels
from forensics_tui.ui.query import QueryError, parse_query
from forensics_tui.ui.state import Change, ExplorerState
from forensics_tui.ui.view_model import ALL_RUNS, CallIndex, CallRows, Delta, RunSummary


def _call(run_id: str, seq: int, status: str = "ok", tool: str = "t", ts_min: int = 0) -> Call:
    return Call(
        path=Path(f"/r/{run_id}/{seq:06d}_{tool}.json"),
        run_id=run_id,
        call_id=f"{run_id}-{seq:06d}",
        seq=seq,
        tool=tool,
        status=status,
        ts=f"2026-03-0{int(run_id[7])}T09:{ts_min + seq:02d}:00+00:00",
    )


def _run(run_id: str, status: str = "ok", counts: dict[str, int] | None = None) -> RunSummary:
    day = int(run_id[7])
    return RunSummary(
        run_id,
        status,
        counts or {"ok": 1},
        started_at=f"2026-03-0{day}T09:00:00+00:00",
        sort_key=(float(day), run_id),
    )


RUNS = ["20260301_090000", "20260302_090000", "20260303_090000"]


def _state(*, live: bool = False) -> tuple[ExplorerState, list[Change]]:
    state = ExplorerState()
    seen: list[Change] = []
    state.subscribe(seen.append)
    runs = [_run(r, "running" if live and r == RUNS[-1] else "ok") for r in RUNS]
    calls = {
        RUNS[0]: [_call(RUNS[0], 1), _call(RUNS[0], 2, "error"), _call(RUNS[0], 3)],
        RUNS[1]: [_call(RUNS[1], 1, "timeout"), _call(RUNS[1], 2)],
        RUNS[2]: [_call(RUNS[2], 1), _call(RUNS[2], 2, "error"), _call(RUNS[2], 3)],
    }
    state.load_snapshot(runs, calls, complete=True)
    return state, seen


def test_snapshot_selects_the_newest_run_once_and_notifies() -> None:
    state, seen = _state(live=True)
    assert state.scope == RUNS[2] and state.follow
    assert [c.seq for c in state.rows.rows] == [1, 2, 3]
    assert seen[-1].rows_rebuilt and seen[-1].new_scope == RUNS[2]
    state.set_scope(RUNS[0])
    state.load_snapshot(list(state.runs.order), dict(state.index.by_run), complete=True)
    assert state.scope == RUNS[0]  # a rescan keeps the user's choice


def test_delta_inserts_rows_in_place_and_a_new_run_takes_over_while_following() -> None:
    state, seen = _state(live=True)
    change = state.apply_delta(Delta(calls=[_call(RUNS[2], 4, "timeout")]))
    assert change.added == [3] and not change.rows_rebuilt
    assert len(state.rows) == 4 and state.rows[3].status == "timeout"
    other = state.apply_delta(Delta(calls=[_call(RUNS[0], 4)]))
    assert other.added == []  # not in scope: no row, no repaint
    newer = "20260304_090000"
    change = state.apply_delta(Delta(calls=[_call(newer, 1)], runs={newer: _run(newer, "running")}))
    assert change.new_scope == newer and state.scope == newer and change.rows_rebuilt
    assert seen[-1] is change


def test_removed_scope_falls_back_to_all_runs() -> None:
    state, _ = _state()
    state.set_scope(RUNS[1])
    change = state.apply_delta(Delta(removed_runs={RUNS[1]}))
    assert change.new_scope == ALL_RUNS and state.scope == ALL_RUNS
    assert {c.run_id for c in state.rows.rows} == {RUNS[0], RUNS[2]}


def test_filter_by_finding_and_kind_reads_the_core_answers(corpus_copy) -> None:
    root = corpus_copy("v1")
    store = FixtureStore(root)
    store.scan()
    answers = answers_from(Analysis(store))
    state = ExplorerState()
    runs = [RunSummary.from_run(r) for r in store.runs()]
    state.load_snapshot(runs, {r.run_id: list(store.calls(r.run_id)) for r in runs}, complete=True)
    state.set_scope(ALL_RUNS)
    state.set_query(parse_query("finding:auth_expiry"))
    assert len(state.rows) == 0  # no answers yet: nothing is claimed
    change = state.set_answers(answers)
    assert change is not None and change.rows_rebuilt
    hits = state.rows.rows
    assert [(c.run_id, c.tool) for c in hits] == [("20260303_090000", "crm_lookup")]
    assert all(c.status == "ok" for c in hits)  # a silent failure: status alone misses it
    state.set_query(parse_query("kind:auth_expiry"))
    assert [c.tool for c in state.rows.rows] == ["crm_lookup"]
    state.set_query(parse_query("kind:error"))  # a status is a kind too
    assert {c.tool for c in state.rows.rows} == {"post_reply"}
    assert state.set_answers(answers) is None  # the same answers: no notice


def test_saved_filters_expand_and_unknown_ones_say_which_exist() -> None:
    saved = {"fails": "status:fail tool:post_*"}
    query = parse_query("@fails reply", saved)
    assert query.text == "@fails reply"
    assert {t.field for t in query.terms} == {"status", "tool"} and query.words == ("reply",)
    with pytest.raises(QueryError, match="@fails"):
        parse_query("@nope", saved)


def test_diff_choice_applies_to_the_call_or_the_run_pair_it_was_made_for() -> None:
    state, _ = _state()
    a, b = state.rows[0], state.rows[1]
    assert state.diff_choice(a).run_id is None
    state.choose_against(a, RUNS[0])
    assert state.diff_choice(a).run_id == RUNS[0] and state.diff_choice(a).scope == "call"
    assert state.diff_choice(b).run_id is None  # another call keeps its baseline
    assert "for this call" in state.diff_choice(a).header("x")
    state.choose_against(b, RUNS[1], whole_run=True)
    other_run_call = state.index.by_run[RUNS[0]][0]
    assert state.diff_choice(b).scope == "pair"
    assert state.diff_choice(state.rows[2]).run_id == RUNS[1]  # same run: the pair applies
    assert state.diff_choice(a).run_id == RUNS[0]  # the call's own choice wins
    assert state.diff_choice(other_run_call).run_id is None  # another run: untouched
    state.choose_against(a, None)
    assert state.diff_choice(a).run_id is None  # back to the last known-good
    assert state.diff_choice(b).run_id == RUNS[1]


def test_n_walks_failures_across_runs_newest_first_and_back() -> None:
    state, _ = _state(live=True)  # following the newest run, cursor at its end
    walk = []
    current = state.rows[len(state.rows) - 1]
    for _ in range(5):
        found = state.next_problem(current, 1)
        if found is None:
            break
        walk.append((found.run_id, found.seq))
        state.follow = False
        current = found
    assert walk == [(RUNS[2], 2), (RUNS[1], 1), (RUNS[0], 2)]
    back = state.next_problem(current, -1)
    assert back is not None and (back.run_id, back.seq) == (RUNS[1], 1)
    assert state.next_problem(state.index.by_run[RUNS[2]][0], -1) is None


def test_n_respects_the_filter_and_counts_findings() -> None:
    state, _ = _state()
    state.set_query(parse_query("-status:error"))
    found = state.next_problem(None, 1)
    assert found is not None and found.status == "timeout"
    ok_call = state.index.by_run[RUNS[0]][0]
    state.set_query(parse_query(""))
    state.set_answers(Answers(findings={ok_call.call_id: ("f",)}, computed=True))
    assert state.flagged(ok_call)


def test_reveal_drops_a_hiding_filter_and_rescopes() -> None:
    state, _ = _state()
    state.set_query(parse_query("status:error"))
    target = state.index.by_run[RUNS[1]][1]
    change = state.reveal(target)
    assert state.scope == RUNS[1] and state.query.empty and change.keep is target
    assert not state.follow


def test_unique_labels_never_collide_and_stay_pasteable() -> None:
    ids = [
        ("20261127_145633_914877_live", None),
        ("20261127_145633_914877_live2", None),
        ("20261127_145633_000000", None),
        ("20261127_145633_000001", None),
        ("20261127_145633_914877_7a3b2c", "2026-11-27T14:56:33+00:00"),
        ("short", None),
    ]
    for short in (False, True):
        labels = unique_labels(ids, short=short)
        assert len(set(labels.values())) == len(ids), labels
        for run_id, label in labels.items():
            suffix = label.rsplit(" ", 1)[-1]
            assert suffix in run_id  # what is shown is a piece of the id
    labels = unique_labels(ids)
    assert labels["20261127_145633_000000"] == "11-27 14:56:33 000000"
    assert labels["20261127_145633_914877_live2"] == "11-27 14:56:33 live2"
    assert labels["20261127_145633_914877_live"] == "20261127_145633_914877_live"  # a prefix
    assert labels["20261127_145633_914877_7a3b2c"] == "11-27 14:56:33 7a3b2c"
    assert run_label("20261127_145633_914877_7a3b2c") == "11-27 14:56:33 7a3b"
    assert unique_labels([("\x1b[31m" + "a" * 30, None)])  # sanitised, no crash
    fleet = unique_labels([("web1:20261127_145633_914877_7a3b2c", None), ("web1:x", None)])
    assert fleet["web1:20261127_145633_914877_7a3b2c"] == "web1 11-27 14:56:33 7a3b"


def test_focus_changes_are_notified_once() -> None:
    state, seen = _state()
    before = len(seen)
    state.set_focus("detail")
    state.set_focus("detail")
    state.set_focus("nowhere")
    assert len(seen) == before + 1 and seen[-1].focus and state.focus == "detail"


def test_call_index_and_rows_keep_order_under_updates() -> None:
    index = CallIndex()
    index.replace_all(
        {"20260301_090000": [_call("20260301_090000", 1), _call("20260301_090000", 3)]}
    )
    rows = CallRows(scope="20260301_090000")
    rows.rebuild(index)
    late = _call("20260301_090000", 2)
    old = index.upsert(late)
    assert old is None and rows.apply(late, old) == 1
    pending_to_error = _call("20260301_090000", 2, "error")
    old = index.upsert(pending_to_error)
    assert old is late and rows.apply(pending_to_error, old) == 1
    assert [c.status for c in rows.rows] == ["ok", "error", "ok"] and len(index) == 3
    merged = Delta(calls=[late], removed_runs={"x"})
    merged.merge(Delta(runs={"x": _run("20260301_090000")}))
    assert "x" not in merged.removed_runs and bool(merged)


def test_every_label_pastes_back_into_the_core_run_resolver(tmp_path: Path) -> None:
    from forensics_tui.core.analysis.naming import resolve_run
    from forensics_tui.core.storage.factories import make_run_dir

    ids = [
        "20261127_145633_914877_live",
        "20261127_145633_914877_live2",
        "20261127_145633_914877_7a3b2c",
        "20261127_145633_914877_9f00aa",
        "20261127_150000_000000",
        "20261127_150000_000001",
        "20260303_090000",
    ]
    for run_id in ids:
        make_run_dir(tmp_path, run_id, [{"tool": "t"}], started_at="2026-11-27T14:56:33+00:00")
    store = FixtureStore(tmp_path)
    store.scan()
    runs = store.runs()
    for short in (False, True):
        labels = unique_labels([(r.run_id, r.started_at) for r in runs], short=short)
        for run_id, label in labels.items():
            assert resolve_run(runs, label).run_id == run_id, (label, short)


def test_call_index_finds_previous_versions_whatever_the_file_name() -> None:
    run = "20260301_090000"
    canonical = _call(run, 1)
    odd = Call(  # seq 5 in a file named for seq 2: found through the index's small map
        path=Path(f"/r/{run}/000002_t.json"), run_id=run, call_id="x", seq=5, tool="t", status="ok"
    )
    legacy = Call(
        path=Path(f"/r/{run}/t_007.json"), run_id=run, call_id="y", seq=0, tool="t", status="ok"
    )
    index = CallIndex()
    index.replace_all({run: [canonical, odd, legacy]})
    assert len(index) == 3
    for call in (canonical, odd, legacy):
        newer = call.replace(status="error")
        assert index.previous(newer) is call
        assert index.upsert(newer) is call
        assert index.previous(call) is newer
    assert len(index) == 3 and [c.status for c in index.by_run[run]] == ["error"] * 3
    moved = odd.replace(seq=3, status="ok")  # the same file, now sorted elsewhere
    assert index.upsert(moved).status == "error"  # type: ignore[union-attr]
    assert index.previous(odd) is moved and [c.seq for c in index.by_run[run]] == [1, 3, 0]
    fresh = _call(run, 4)
    assert index.upsert(fresh) is None and len(index) == 4
    index.drop_run(run)
    assert len(index) == 0 and index.previous(fresh) is None


@pytest.mark.parametrize("seed", range(5))
def test_rows_stay_in_key_order_whatever_order_calls_land_in(seed: int) -> None:
    """Mostly in order (the fast append) with stragglers, duplicates of a key and replacements:
    rows and the index always equal a full sort by ``row_key``."""
    import random

    from forensics_tui.ui.view_model import row_key

    rng = random.Random(seed)
    runs = ["20260301_090000", "20260302_090000", "20260303_090000"]
    calls = [_call(r, seq, tool=rng.choice("ab")) for r in runs for seq in range(1, 41)]
    calls.sort(key=lambda c: (c.ts, c.run_id))  # landing order: by time, then shuffled a bit
    for _ in range(30):
        i = rng.randrange(len(calls) - 1)
        calls[i], calls[i + 1] = calls[i + 1], calls[i]
    index = CallIndex()
    every = CallRows(scope=ALL_RUNS)
    one = CallRows(scope=runs[1])
    tool_of = {(c.run_id, c.seq): c.tool for c in calls}
    replaced = [
        _call(runs[1], 7, "error", tool=tool_of[runs[1], 7]),
        _call(runs[0], 3, "timeout", tool=tool_of[runs[0], 3]),
    ]
    for call in calls + replaced:
        old = index.upsert(call)
        for rows in (every, one):
            position = rows.apply(call, old)
            if position is not None:
                assert rows.rows[position] is call
    assert every.rows.list() == sorted(every.rows, key=lambda c: row_key(c, ALL_RUNS))
    assert len(every.rows) == len(calls)
    assert one.rows.list() == sorted(one.rows, key=lambda c: row_key(c, runs[1]))
    assert [c.seq for c in one.rows] == list(range(1, 41))
    for run_id, in_run in index.by_run.items():
        assert in_run == sorted(in_run, key=lambda c: row_key(c, run_id))
    assert {c.status for c in index.by_run[runs[1]] if c.seq == 7} == {"error"}
