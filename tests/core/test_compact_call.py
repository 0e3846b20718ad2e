"""The compact ``Call``: every attribute reads back what it was built with, and the store finds
calls by file name and call id without per-call map entries."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.core import compact_ts
from forensics_tui.core.model import Call
from forensics_tui.core.storage.ordering import call_ts_key, ts_key
from forensics_tui.core.storage.store import FixtureStore
from tests.core.test_store import write_call

WEIRD_TS = [
    "2026-03-01T10:00:00.123456+00:00",
    "2026-03-01T10:00:00+00:00",
    "2026-03-01T10:00:00.000000+00:00",  # a zero fraction that isoformat() would drop
    "2026-03-01T10:00:00.123+00:00",
    "2026-03-01T10:00:00.123456Z",
    "2026-03-01T10:00:00Z",
    "2026-03-01T10:00:00.123456",
    "2026-03-01T10:00:00",
    "1969-12-31T23:59:59.999999+00:00",
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59.999999+00:00",
    "2026-03-01T10:00:00.123456+02:00",
    "2026-03-01T10:00:00.123456-00:00",
    "2026-03-01 10:00:00+00:00",
    "2026-03-01t10:00:00+00:00",
    "2026-02-30T10:00:00+00:00",
    "2026-03-01T10:00:60+00:00",
    "2026-03-01T24:00:00+00:00",
    "2026-03-01T10:00:00,123456+00:00",
    "2026-03-01T10:00:00.1234567+00:00",
    "2026-03-01T10:00:00.12+00:00",
    "２０２６-03-01T10:00:00+00:00",
    "2026-03-01T10:00:0٣+00:00",
    "20260301T100000+00:00",
    "yesterday",
    "",
    "x" * 32,
]


def _call(path: str = "/r/run1/000003_lookup.json", **kw: Any) -> Call:
    args: dict[str, Any] = {
        "run_id": "run1",
        "call_id": "run1-000003",
        "seq": 3,
        "tool": "lookup",
        "status": "ok",
    }
    args.update(kw)
    return Call(Path(path), **args)


def test_path_is_the_given_path_and_name_is_derived_only_when_canonical() -> None:
    canonical = _call()
    assert canonical.path == Path("/r/run1/000003_lookup.json")
    assert canonical.derived_name and canonical.name == "000003_lookup.json"
    assert canonical.run_dir == Path("/r/run1")
    odd = _call("/r/run1/000004_lookup.json")  # a seq that is not the name's
    assert not odd.derived_name and odd.path == Path("/r/run1/000004_lookup.json")
    other = _call("/r/run1/lookup_003.json")
    assert other.path.name == "lookup_003.json" and other.call_id == "run1-000003"


def test_changing_seq_tool_or_run_keeps_the_file_and_the_call_id() -> None:
    call = _call()
    call.seq = 9
    call.tool = "other"
    call.run_id = "run2"
    assert call.path == Path("/r/run1/000003_lookup.json")
    assert call.call_id == "run1-000003"
    assert (call.seq, call.tool, call.run_id) == (9, "other", "run2")


@pytest.mark.parametrize(
    ("name", "call_id", "stored"),
    [
        ("000003_lookup.json", "run1-000003", False),  # the recorder's
        ("000003_lookup.json", "run1-000003_lookup", False),  # a file without one: run + stem
        ("000003_lookup.json", "c-42", True),
        ("000003_lookup.json", "run1-3", True),
        ("000003_lookup.json", "", True),
    ],
)
def test_call_id_reads_back_whatever_its_form(name: str, call_id: str, stored: bool) -> None:
    call = _call(f"/r/run1/{name}", call_id=call_id)
    assert call.call_id == call_id
    assert (call.explicit_call_id is not None) is stored


@pytest.mark.parametrize("ts", WEIRD_TS)
def test_ts_and_ended_at_read_back_exactly(ts: str) -> None:
    call = _call(ts=ts, ended_at=ts)
    assert call.ts == ts and call.ended_at == ts
    assert call_ts_key(call) == ts_key(ts)
    later = _call(ts=ts, ended_at="2026-03-01T10:00:01.5+00:00")
    assert later.ts == ts and later.ended_at == "2026-03-01T10:00:01.5+00:00"


def test_recorder_timestamps_are_packed_and_others_kept_as_strings() -> None:
    assert isinstance(compact_ts.pack("2026-03-01T10:00:00.123456+00:00"), int)
    assert isinstance(compact_ts.pack("2026-03-01T10:00:00Z"), int)
    for kept in ("2026-03-01T10:00:00.123456+02:00", "2026-02-30T10:00:00Z", "yesterday"):
        assert compact_ts.pack(kept) == kept
    assert compact_ts.pack(None) is None


def test_mutated_timestamps_always_round_trip() -> None:
    rng = random.Random(7)
    alphabet = "0123456789-:T.+Z ٣²,x"
    for _ in range(20_000):
        chars = list(rng.choice(WEIRD_TS[:9]))
        for _ in range(rng.randint(0, 2)):
            chars[rng.randrange(len(chars))] = rng.choice(alphabet)
        ts = "".join(chars)
        packed = compact_ts.pack(ts)
        assert compact_ts.unpack(packed) == ts
        if isinstance(packed, int):
            assert compact_ts.seconds(packed) == ts_key(ts)


def test_ts_none_and_setters() -> None:
    call = _call()
    assert call.ts is None and call.ended_at is None and call_ts_key(call) == ts_key(None)
    call.ts = "2026-03-01T10:00:00+00:00"
    call.ended_at = "later"
    assert (call.ts, call.ended_at) == ("2026-03-01T10:00:00+00:00", "later")


@pytest.mark.parametrize(
    ("size", "mtime_ns"),
    [(0, 0), (1234, 1_765_000_000_123_456_789), (2**60, 5), (7, -1_000_000_000_123)],
)
def test_size_and_mtime_read_back(size: int, mtime_ns: int) -> None:
    call = _call(size=size, mtime_ns=mtime_ns)
    assert (call.size, call.mtime_ns) == (size, mtime_ns)
    call.size = 99
    assert (call.size, call.mtime_ns) == (99, mtime_ns)


@pytest.mark.parametrize("fmt", [0, 1, 7, -1])
def test_format_and_deleted_flag(fmt: int) -> None:
    call = _call(format=fmt)
    assert call.format == fmt and call.deleted is False
    gone = call.replace(deleted=True)
    assert gone.deleted is True and gone.format == fmt and call.deleted is False
    assert gone.path == call.path and gone.call_id == call.call_id


def test_replace_equality_and_repr_like_the_dataclass() -> None:
    call = _call(ts="2026-03-01T10:00:00+00:00", preview="p", size=3, mtime_ns=4)
    same = _call(ts="2026-03-01T10:00:00+00:00", preview="p", size=3, mtime_ns=4)
    assert call == same and call is not same
    renumbered = call.replace(seq=8, occurrence=2)
    assert renumbered != call and renumbered.seq == 8 and renumbered.occurrence == 2
    assert renumbered.path == call.path and renumbered.call_id == call.call_id
    assert renumbered.run_dir is call.run_dir
    assert "path=PosixPath('/r/run1/000003_lookup.json')" in repr(call)
    assert "ts='2026-03-01T10:00:00+00:00'" in repr(call)
    with pytest.raises(TypeError):
        call.replace(nope=1)
    with pytest.raises(TypeError):
        hash(call)


def _write(run_dir: Path, name: str, **doc: Any) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / name
    base = {"format": 1, "run_id": run_dir.name, "tool": "t", "status": "ok"}
    path.write_text(json.dumps({**base, **doc}))
    return path


def test_a_scan_shares_one_run_directory_and_finds_calls_by_path_and_id(tmp_path: Path) -> None:
    run = tmp_path / "root" / "20260301_100000_a"
    for seq in range(1, 6):
        write_call(run, seq, "lookup")
    odd = _write(run, "000002_zz.json", seq=7, call_id="explicit-7")  # seq is not the name's
    no_id = _write(run, "000009_t.json", seq=9)  # no call_id: <run>-<stem>
    store = FixtureStore(tmp_path / "root")
    store.scan()
    calls = store.calls(run.name)
    assert len({id(c.run_dir) for c in calls}) == 1
    assert [c.seq for c in calls] == [1, 2, 3, 4, 5, 7, 9]
    for call in calls:
        assert store.call_by_path(call.path) is call
        assert store.call(call.call_id) is call
    assert store.call_by_path(odd).call_id == "explicit-7"  # type: ignore[union-attr]
    assert store.call(f"{run.name}-000009_t").path == no_id  # type: ignore[union-attr]
    assert store.call(f"{run.name}-000008") is None
    assert store.call_by_path(run / "000008_lookup.json") is None


def test_deleted_and_changed_calls_are_found_in_their_new_version(tmp_path: Path) -> None:
    run = tmp_path / "root" / "20260301_100000_a"
    first = write_call(run, 1, "lookup")
    second = write_call(run, 2, "lookup")
    store = FixtureStore(tmp_path / "root")
    store.scan()
    first.unlink()
    write_call(run, 2, "lookup", status="error")
    store.apply_changes([("deleted", first), ("modified", second)])
    gone = store.call_by_path(first)
    assert gone is not None and gone.deleted and store.call(f"{run.name}-000001") is gone
    changed = store.call_by_path(second)
    assert changed is not None and changed.status == "error"
    assert store.call(f"{run.name}-000002") is changed
    assert store.run(run.name).counts() == {"error": 1}  # type: ignore[union-attr]


def test_an_explicit_id_that_changes_is_not_found_under_the_old_one(tmp_path: Path) -> None:
    run = tmp_path / "root" / "r1"
    path = _write(run, "000001_t.json", seq=1, call_id="old-id")
    store = FixtureStore(tmp_path / "root")
    store.scan()
    assert store.call("old-id") is not None
    _write(run, "000001_t.json", seq=1, call_id="new-id", status="error")
    store.apply_changes([("modified", path)])
    assert store.call("old-id") is None
    assert store.call("new-id") is store.call_by_path(path)


def test_two_roots_with_the_same_runs_keep_their_own_paths(tmp_path: Path) -> None:
    stores = []
    for side in ("a", "b"):
        write_call(tmp_path / side / "20260301_100000_x", 1, "lookup")
        store = FixtureStore(tmp_path / side)
        store.scan()
        stores.append(store)
    a, b = (s.call("20260301_100000_x-000001") for s in stores)
    assert a is not None and b is not None and a is not b
    assert a.path == tmp_path / "a" / "20260301_100000_x" / "000001_lookup.json"
    assert b.path == tmp_path / "b" / "20260301_100000_x" / "000001_lookup.json"
    assert stores[0].call_by_path(b.path) is None and stores[1].call_by_path(a.path) is None
    assert not a.same_file(b) and a.same_file(a.replace(status="error"))


def test_a_run_that_goes_takes_its_calls_and_ids_along(tmp_path: Path) -> None:
    run = tmp_path / "root" / "r1"
    _write(run, "000001_t.json", seq=1, call_id="keep-me-not")
    write_call(run, 2, "lookup")
    store = FixtureStore(tmp_path / "root")
    store.scan()
    for path in run.iterdir():
        path.unlink()
    run.rmdir()
    store.apply_changes([("deleted", run)])
    assert store.call("keep-me-not") is None and store.call("r1-000002") is None
    assert store.run("r1") is None


@pytest.mark.parametrize(
    ("seq", "size", "mtime_ns"),
    [(0, 0, 0), (2**32 - 1, 2**48 - 1, 2**62), (2**32, 5, 6), (-3, 1, 2), (7, 2**48, -(2**40))],
)
def test_seq_size_and_mtime_share_one_int_and_read_back(seq: int, size: int, mtime_ns: int) -> None:
    call = _call(seq=seq, size=size, mtime_ns=mtime_ns)
    assert (call.seq, call.size, call.mtime_ns) == (seq, size, mtime_ns)
    call.seq = 11
    assert (call.seq, call.size, call.mtime_ns) == (11, size, mtime_ns)


@pytest.mark.parametrize("status", ["ok", "error", "skipped", "timeout", "pending", "broken", "x"])
def test_status_problem_and_flags_read_back(status: str) -> None:
    call = _call(status=status)
    assert (call.status, call.problem, call.format, call.deleted) == (status, None, 1, False)
    broken = _call(status="broken", problem="bad json", format=0, deleted=True)
    assert (broken.status, broken.problem, broken.format, broken.deleted) == (
        "broken",
        "bad json",
        0,
        True,
    )
    broken.problem = None
    broken.status = status
    assert (broken.status, broken.problem, broken.format, broken.deleted) == (status, None, 0, True)
