"""FixtureStore over real directories: ordering, matching, baselines, incremental changes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.core.model import BROKEN, Fixture
from forensics_tui.core.storage.loader import LoadProblem
from forensics_tui.core.storage.store import FixtureStore, StoreEvent

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"


def write_call(
    run_dir: Path, seq: int, tool: str, status: str = "ok", *, name: str | None = None, **extra: Any
) -> Path:
    """Write a format-1 fixture the way the recorder does: temp file, then os.replace."""
    run_dir.mkdir(parents=True, exist_ok=True)
    doc = {
        "format": 1,
        "run_id": run_dir.name,
        "call_id": f"{run_dir.name}-{seq:06d}",
        "seq": seq,
        "tool": tool,
        "status": status,
        "input": {"n": seq},
        "output": extra.pop("output", {"ok": True}),
        "error": None,
        "ts": extra.pop("ts", f"2026-04-01T00:00:{seq:02d}+00:00"),
        **extra,
    }
    path = run_dir / (name or f"{seq:06d}_{tool}.json")
    tmp = run_dir / f".{path.name}.tmp"
    tmp.write_text(json.dumps(doc))
    os.replace(tmp, path)
    return path


def write_manifest(run_dir: Path, **fields: Any) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "run.json").write_text(json.dumps({"format": 1, "run_id": run_dir.name, **fields}))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """v1, legacy and bad corpora merged into one root."""
    root = tmp_path / "fixtures"
    for name in ("v1", "legacy", "bad"):
        shutil.copytree(CORPUS / name, root, dirs_exist_ok=True)
    return root


@pytest.fixture
def store(root: Path) -> FixtureStore:
    store = FixtureStore(root)
    store.scan()
    return store


def run_ids(store: FixtureStore) -> list[str]:
    return [run.run_id for run in store.runs()]


def test_scan_indexes_every_file(store: FixtureStore) -> None:
    runs = store.runs()
    assert len(runs) == 11
    assert sum(len(r.calls) for r in runs) == 40 + 6 + 8
    bad = store.run("20260310_120000")
    assert bad is not None
    assert [c.status for c in bad.calls].count(BROKEN) == 6
    assert bad.counts() == {"ok": 1, "broken": 6, "pending": 1}
    assert [c.seq for c in bad.calls] == list(range(1, 9))
    broken = {c.path.name: c.problem for c in bad.calls if c.broken}
    assert broken["000003_empty.json"] == "empty file"
    assert store.newest_run() is bad


def test_runs_ordered_by_time_with_naive_and_aware_timestamps(tmp_path: Path) -> None:
    root = tmp_path / "r"
    legacy = root / "zz_legacy"  # run ids that sort the other way round
    legacy.mkdir(parents=True)
    legacy_doc = {"run_id": "zz_legacy", "tool": "step", "input": 1, "output": 2, "status": "ok"}
    (legacy / "step_000.json").write_text(json.dumps({**legacy_doc, "ts": "2026-03-01T10:00:00"}))
    aware = root / "aa_aware"
    write_manifest(aware, started_at="2026-03-01T11:30:00+02:00")  # 09:30 UTC: earlier
    write_call(aware, 1, "step")
    no_time = root / "mm_no_time"
    write_manifest(no_time, status="running")
    store = FixtureStore(root)
    store.scan()
    assert run_ids(store) == ["aa_aware", "zz_legacy", "mm_no_time"]
    assert [r.run_id for r in store.earlier_runs("mm_no_time")] == ["zz_legacy", "aa_aware"]


def test_legacy_calls_ordered_by_ts(store: FixtureStore) -> None:
    calls = store.calls("20260301_101500")
    assert [(c.seq, c.tool) for c in calls] == [
        (1, "search_docs"),
        (2, "summarize"),
        (3, "post_slack"),
    ]
    assert run_ids(store)[:3] == ["20260228_101500", "20260301_090000", "20260301_101500"]
    fixture = store.load(calls[2])
    assert isinstance(fixture, Fixture) and fixture.seq == 3 and fixture.status == "timeout"


def test_occurrence_and_matching(store: FixtureStore) -> None:
    calls = store.calls("20260305_090000")
    assert [(c.tool, c.occurrence) for c in calls] == [
        ("crm_lookup", 1),
        ("tag_ticket", 1),
        ("tag_ticket", 2),
        ("tag_ticket", 3),
        ("post_reply", 1),
    ]
    second_tag = calls[2]
    match = store.matching(second_tag, "20260301_090000")
    assert match is not None and match.call_id == "20260301_090000-000003"
    assert store.matching(second_tag, "20260228_101500") is None  # no such tool there
    assert store.matching(second_tag, "no-such-run") is None


def test_lookup_by_id_and_path(store: FixtureStore, root: Path) -> None:
    path = root / "20260302_090000" / "000004_tag_ticket.json"
    call = store.call_by_path(path)
    assert call is not None and store.call("20260302_090000-000004") is call
    assert store.call("nope") is None and store.call_by_path(root / "x.json") is None


def test_calls_of_all_runs_interleave_by_ts(store: FixtureStore) -> None:
    everything = store.calls()
    assert len(everything) == 54
    first_three = [(c.run_id, c.tool) for c in everything[:3]]
    assert first_three == [
        ("20260228_101500", "search_docs"),
        ("20260228_101500", "summarize"),
        ("20260228_101500", "post_slack"),
    ]
    # Broken calls have no ts and ride along with the call before them in their run.
    bad = [c for c in everything if c.run_id == "20260310_120000"]
    assert everything[-8:] == bad


def test_last_good(store: FixtureStore) -> None:
    post = store.calls("20260308_090000")[4]
    assert post.status == "error"
    good = store.last_good(post)
    assert good is not None and good.run_id == "20260305_090000"
    not_0305 = store.last_good(post, is_good=lambda c: c.run_id != "20260305_090000")
    assert not_0305 is not None and not_0305.run_id == "20260304_090000"
    crm = store.calls("20260304_090000")[0]
    assert store.last_good(crm).run_id == "20260303_090000"  # status ok, token_expired inside
    no_auth_expiry = store.last_good(crm, is_good=lambda c: "token_expired" not in c.preview)
    assert no_auth_expiry is not None and no_auth_expiry.run_id == "20260302_090000"
    assert store.last_good(store.calls("20260301_090000")[0]) is None  # nothing earlier


def test_reexec_runs_never_serve_as_baselines(store: FixtureStore, root: Path) -> None:
    rerun = root / "20260307_120000"
    write_manifest(rerun, started_at="2026-03-07T12:00:00+00:00", labels={"reexec_of": "x"})
    write_call(rerun, 1, "post_reply", ts="2026-03-07T12:00:01+00:00")
    store.scan()
    post = store.calls("20260308_090000")[4]
    assert store.matching(post, "20260307_120000") is not None
    good = store.last_good(post)
    assert good is not None and good.run_id == "20260305_090000"
    assert store.last_good_run("20260308_090000").run_id == "20260304_090000"


def test_last_good_run_by_task(store: FixtureStore, root: Path) -> None:
    assert store.last_good_run("20260308_090000").run_id == "20260304_090000"
    other = root / "20260305_120000"
    write_manifest(other, started_at="2026-03-05T12:00:00+00:00", task="another-task")
    write_call(other, 1, "crm_lookup", ts="2026-03-05T12:00:01+00:00")
    store.scan()
    assert store.last_good_run("20260308_090000").run_id == "20260304_090000"
    older = store.last_good_run("20260308_090000", is_good_run=lambda r: r.run_id < "20260303")
    assert older is not None and older.run_id == "20260302_090000"
    # The legacy run names no task, so it qualifies ("same task" only when both name one).
    assert store.last_good_run("20260301_090000").run_id == "20260228_101500"
    assert store.last_good_run("20260228_101500") is None
    assert store.last_good_run("missing") is None


def test_load_is_cached_until_the_file_changes(store: FixtureStore, root: Path) -> None:
    call = store.calls("20260302_090000")[0]
    first = store.load(call)
    assert isinstance(first, Fixture) and store.load(call) is first
    path = write_call(root / "20260302_090000", 1, "crm_lookup", output={"changed": True})
    store.apply_changes([("modified", path)])
    second = store.load(store.call_by_path(path))
    assert isinstance(second, Fixture) and second.output == {"changed": True}
    broken = store.load(store.calls("20260310_120000")[1])
    assert isinstance(broken, LoadProblem) and broken.reason.startswith("truncated JSON")


def test_apply_changes_add_pending_final_delete(tmp_path: Path) -> None:
    root = tmp_path / "root"
    run = root / "run1"
    write_manifest(run, started_at="2026-04-01T00:00:00+00:00", task="t")
    write_call(run, 1, "fetch")
    store = FixtureStore(root)
    store.scan()
    seen: list[StoreEvent] = []
    unsubscribe = store.subscribe(seen.append)

    pending = write_call(run, 2, "fetch", status="pending")
    events = store.apply_changes([("added", pending)])
    assert [(e.kind, e.call.status) for e in events] == [("call_added", "pending")]
    assert seen == events
    added = store.call_by_path(pending)
    assert added is not None and added.occurrence == 2

    write_call(run, 2, "fetch", status="error", error={"type": "X", "message": "boom"})
    events = store.apply_changes([("added", pending), ("modified", pending)])
    assert [(e.kind, e.previous_status, e.call.status) for e in events] == [
        ("call_updated", "pending", "error")
    ]
    calls = store.calls("run1")
    assert [(c.seq, c.status, c.occurrence) for c in calls] == [(1, "ok", 1), (2, "error", 2)]
    assert calls[1].preview == "X: boom"
    assert added.status == "pending"  # published calls are never mutated: a snapshot stays
    assert store.apply_changes([("modified", pending)]) == []  # nothing changed on disk

    os.unlink(pending)
    events = store.apply_changes([("deleted", pending)])
    assert [(e.kind, e.previous_status) for e in events] == [("call_deleted", "error")]
    marked = store.call_by_path(pending)
    assert marked is not None and marked.deleted and marked.status == "error"
    assert len(store.calls("run1")) == 2 and store.run("run1").counts() == {"ok": 1}

    write_call(run, 2, "fetch")
    events = store.apply_changes([("added", pending)])
    assert [(e.kind, e.call.deleted) for e in events] == [("call_updated", False)]
    unsubscribe()
    store.apply_changes([("added", write_call(run, 3, "fetch"))])
    assert len(seen) == 4


def test_apply_changes_out_of_order_renumbers_occurrences(tmp_path: Path) -> None:
    run = tmp_path / "root" / "run1"
    write_call(run, 1, "fetch")
    store = FixtureStore(tmp_path / "root")
    store.scan()
    third = write_call(run, 3, "fetch")
    store.apply_changes([("added", third)])
    assert store.call_by_path(third).occurrence == 2
    second = write_call(run, 2, "fetch")
    events = store.apply_changes([("added", second)])
    assert {(e.kind, e.call.seq, e.call.occurrence) for e in events} == {
        ("call_added", 2, 2),
        ("call_updated", 3, 3),  # its occurrence moved: the view must know
    }
    assert [(c.seq, c.occurrence) for c in store.calls("run1")] == [(1, 1), (2, 2), (3, 3)]


def test_apply_changes_runs(tmp_path: Path) -> None:
    root = tmp_path / "root"
    write_call(root / "run1", 1, "fetch")
    store = FixtureStore(root)
    store.scan()

    write_manifest(root / "run1", status="ok", task="t", started_at="2026-04-01T00:00:00+00:00")
    events = store.apply_changes([("added", root / "run1" / "run.json")])
    assert [e.kind for e in events] == ["run_updated"]
    assert store.run("run1").task == "t" and events[0].run.task == "t"

    # A new run directory whose files landed before the watcher could see them.
    write_call(root / "run2", 1, "fetch", ts="2026-04-02T00:00:01+00:00")
    write_call(root / "run2", 2, "store", ts="2026-04-02T00:00:02+00:00")
    events = store.apply_changes([("added", root / "run2")])
    assert [e.kind for e in events] == ["run_added", "call_added", "call_added"]
    assert run_ids(store) == ["run1", "run2"]
    assert [c.tool for c in store.calls("run2")] == ["fetch", "store"]

    # Files reported before (or without) their directory are enough, too.
    write_call(root / "run3", 1, "fetch", ts="2026-04-03T00:00:01+00:00")
    events = store.apply_changes([("added", root / "run3" / "000001_fetch.json")])
    assert [e.kind for e in events] == ["run_added", "call_added"]

    shutil.rmtree(root / "run2")
    events = store.apply_changes(
        [("deleted", root / "run2" / "000001_fetch.json"), ("deleted", root / "run2")]
    )
    assert [e.kind for e in events] == ["run_deleted"]
    assert store.run("run2") is None and store.call("run2-000001") is None

    # Dot-files, other names and deeper paths are ignored.
    (root / "run1" / ".tmp").write_text("x")
    (root / "run1" / "notes.txt").write_text("x")
    assert store.apply_changes([("added", root / "run1" / ".tmp")]) == []
    assert store.apply_changes([("added", root / "run1" / "notes.txt")]) == []
    assert store.apply_changes([("added", root / "run1" / "a" / "b.json")]) == []
    assert store.apply_changes([("lost", root)]) == []

    events = store.apply_changes([("rescan", root)])
    assert [e.kind for e in events] == ["rescanned"]
    assert run_ids(store) == ["run1", "run3"]


def test_recreated_run_dir_forgets_files_that_are_gone(tmp_path: Path) -> None:
    root = tmp_path / "root"
    write_call(root / "run1", 1, "fetch")
    write_call(root / "run1", 2, "fetch")
    store = FixtureStore(root)
    store.scan()
    shutil.rmtree(root / "run1")
    write_call(root / "run1", 1, "fetch", status="error")
    events = store.apply_changes([("added", root / "run1")])
    assert sorted(e.kind for e in events) == ["call_deleted", "call_updated"]
    assert [(c.status, c.deleted) for c in store.calls("run1")] == [("error", False), ("ok", True)]


def test_symlinked_run_dir_outside_root_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside" / "run"
    write_call(outside, 1, "secret")
    root = tmp_path / "root"
    root.mkdir()
    (root / "evil").symlink_to(outside)
    write_call(root / "inside_target", 1, "fetch")
    (root / "alias").symlink_to(root / "inside_target")
    store = FixtureStore(root)
    store.scan()
    evil = store.run("evil")
    assert evil is not None and evil.calls == []
    assert evil.manifest_problem == "symlink outside the root"
    assert len(store.calls("alias")) == 1


def test_progressive_scan(root: Path) -> None:
    store = FixtureStore(root)
    steps = store.scan_iter(batch_size=5)
    first = next(steps)
    # the newest run is read before the others are listed: its own files are the total so far
    assert not first.listed and first.total == 8 and 0 < first.done < first.total
    assert first.run_ids[0] == "20260310_120000"  # newest run first
    assert len(store.calls("20260310_120000")) == first.done  # already visible
    seen: list[StoreEvent] = []
    store.subscribe(seen.append)
    rest = list(steps)
    assert rest[-1].done == 54 and rest[-1].total == 54 and rest[-1].listed
    assert all(s.listed and s.total == 54 for s in rest if s.done > 8)
    assert [e.kind for e in seen] == ["rescanned"]
    full = FixtureStore(root)
    full.scan()
    assert [(c.call_id, c.seq, c.occurrence) for c in store.calls()] == [
        (c.call_id, c.seq, c.occurrence) for c in full.calls()
    ]


def test_scan_reports_progress_and_handles_missing_root(tmp_path: Path, root: Path) -> None:
    reports: list[tuple[int, int]] = []
    store = FixtureStore(root)
    store.scan(progress=lambda done, total: reports.append((done, total)))
    assert reports[-1] == (54, 54)
    empty = FixtureStore(tmp_path / "does-not-exist")
    empty.scan()
    assert empty.runs() == [] and empty.calls() == [] and empty.newest_run() is None


def test_subscriber_errors_do_not_break_the_store(tmp_path: Path) -> None:
    run = tmp_path / "root" / "run1"
    write_call(run, 1, "fetch")
    store = FixtureStore(tmp_path / "root")
    store.scan()
    got: list[str] = []

    def explode(event: StoreEvent) -> None:
        raise RuntimeError("subscriber bug")

    store.subscribe(explode)
    store.subscribe(lambda e: got.append(e.kind))
    store.apply_changes([("added", write_call(run, 2, "fetch"))])
    assert got == ["call_added"]


def test_changes_applied_during_a_scan_are_not_lost(tmp_path: Path) -> None:
    root = tmp_path / "root"
    for n in range(1, 4):
        write_call(root / f"2026040{n}_000000", 1, "fetch", status="pending")
    store = FixtureStore(root)
    newest = root / "20260403_000000" / "000001_fetch.json"
    applied: list[list[StoreEvent]] = []

    def midway(done: int, total: int) -> None:
        if not applied:  # after the first batch (the newest run) was read
            write_call(newest.parent, 1, "fetch", status="ok")
            applied.append(store.apply_changes([("modified", newest)]))

    store.scan(progress=midway)
    assert applied and store.call_by_path(newest).status == "ok"

    # The same with the progressive scan, whose index is live while it fills.
    write_call(newest.parent, 1, "fetch", status="error")
    steps = store.scan_iter(batch_size=1)
    next(steps)
    assert store.call_by_path(newest).status == "error"
    write_call(newest.parent, 1, "fetch", status="timeout")
    events = store.apply_changes([("modified", newest)])
    assert [(e.kind, e.previous_status) for e in events] == [("call_updated", "error")]
    list(steps)
    assert store.call_by_path(newest).status == "timeout"
    assert len(store.runs()) == 3
