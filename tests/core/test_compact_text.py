"""Previews in compressed chunks (``core/compact_text.py``) and ``occurrence``/``duration_ms``
packed into ``Call._stat``: every value reads back exactly what the call was built with,
through sealing, dropping and decompressing chunks, copies, replacements and threads."""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.core import compact_text
from forensics_tui.core.model import Call
from forensics_tui.core.storage.store import FixtureStore
from tests.core.test_store import write_call, write_manifest

TEXTS = [
    "",
    "x",
    'status_code 401 {"error":"token expired"}',
    "Zürich — naïve café ☕ 日本語 😀",
    "a\ud800b",  # a lone surrogate (JSON may say "\ud800")
    "\ud83d\ude00",  # a surrogate pair kept as two code points
    "tab\there\nnewline\x1b[31mred\x00nul",
    "é" * 120,
    "y" * compact_text.LONGEST,
    "z" * (compact_text.LONGEST + 1),  # kept as it is
]


def _call(n: int = 3, **kw: Any) -> Call:
    args: dict[str, Any] = {
        "run_id": "run1",
        "call_id": f"run1-{n:06d}",
        "seq": n,
        "tool": "lookup",
        "status": "ok",
    }
    args.update(kw)
    return Call(Path(f"/r/run1/{n:06d}_lookup.json"), **args)


def _varied(i: int) -> str:
    return (
        f'status_code 200 {{"id":"C-{i * 7919 % 100003}","city":"{"Zürich" if i % 7 else "Lyon"}"}}'
    )


def test_previews_read_back_exactly_through_sealing_dropping_and_decompressing() -> None:
    n = 2 * compact_text.CHUNK_TEXTS * (compact_text.KEPT_CHUNKS + 4)
    texts = [TEXTS[i % len(TEXTS)] if i % 5 == 0 else _varied(i) for i in range(n)]
    calls = [_call(i + 1, preview=t) for i, t in enumerate(texts)]
    chunks = {id(c._pv): c._pv for c in calls if type(c._pv) is compact_text.Chunk}
    sealed = [c for c in chunks.values() if c.packed is not None]
    assert len(sealed) >= compact_text.KEPT_CHUNKS + 2
    assert any(c.texts is None for c in sealed), "old chunks drop their texts"
    for call, text in zip(calls, texts, strict=True):
        assert call.preview == text and type(call.preview) is str
    for call, text in zip(reversed(calls), reversed(texts), strict=True):  # reload dropped ones
        assert call.preview == text


@pytest.mark.parametrize("text", TEXTS)
def test_a_preview_given_or_set_reads_back(text: str) -> None:
    call = _call(preview=text)
    assert call.preview == text
    in_dir = Call.in_dir(Path("/r/run1"), "x.json", "run1", "run1-x", 1, "t", "ok", preview=text)
    assert in_dir.preview == text
    other = _call(preview="before")
    other.preview = text
    assert other.preview == text and other == call.replace(preview=text)
    kept = len(text) > compact_text.LONGEST or not text
    assert (type(call._pv) is str) == kept


def test_copies_share_the_handle_and_a_replaced_preview_is_the_copy_s_own() -> None:
    call = _call(preview="shared preview")
    copy = call.replace(seq=9)
    assert copy._pv is call._pv and copy._pi == call._pi and copy.preview == "shared preview"
    changed = call.replace(preview="changed")
    assert changed.preview == "changed" and call.preview == "shared preview"
    assert changed != call and copy.replace(seq=3) == call


def test_concurrent_builders_each_read_their_own_previews() -> None:
    out: dict[int, list[tuple[Call, str]]] = {}

    def build(k: int) -> None:
        mine = [(f"thread {k} call {i} ü" if i % 3 else f"t{k}-{i}") for i in range(2000)]
        out[k] = [(_call(i + 1, preview=t), t) for i, t in enumerate(mine)]

    threads = [threading.Thread(target=build, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for pairs in out.values():
        assert all(call.preview == text for call, text in pairs)


@pytest.mark.parametrize(
    "duration",
    [None, 0.0, -0.0, 1.0, 0.1, 123.456, 1e308, 5e-324, -7.5, math.inf, -math.inf],
)
def test_duration_reads_back_bit_for_bit(duration: float | None) -> None:
    call = _call(duration_ms=duration, occurrence=1234, size=77, mtime_ns=1_765_000_000_123_456_789)
    got = call.duration_ms
    assert type(got) is type(duration) and repr(got) == repr(duration)
    assert (call.seq, call.occurrence, call.size) == (3, 1234, 77)
    assert call.mtime_ns == 1_765_000_000_123_456_789
    call.occurrence = 5
    call.seq = 8
    assert repr(call.duration_ms) == repr(duration) and (call.occurrence, call.seq) == (5, 8)


def test_nan_and_non_float_durations_are_kept() -> None:
    assert math.isnan(_call(duration_ms=math.nan).duration_ms)  # type: ignore[arg-type]
    for value in (5, True, "12"):
        call = _call(duration_ms=value)  # type: ignore[arg-type]
        assert call.duration_ms == value and type(call.duration_ms) is type(value)


@pytest.mark.parametrize("occurrence", [0, 1, 257, 2**32 - 1, 2**32, -1])
def test_occurrence_reads_back_with_everything_else(occurrence: int) -> None:
    call = _call(occurrence=occurrence, duration_ms=2.5, size=10, mtime_ns=-(2**40))
    assert call.occurrence == occurrence
    assert (call.seq, call.size, call.mtime_ns, call.duration_ms) == (3, 10, -(2**40), 2.5)
    call.occurrence = 7
    call.size = 11
    assert (call.occurrence, call.size, call.duration_ms, call.mtime_ns) == (7, 11, 2.5, -(2**40))
    call.duration_ms = None
    assert (call.occurrence, call.duration_ms, call.seq) == (7, None, 3)


def test_a_pending_call_replaced_by_its_final_version_shows_the_new_preview(
    tmp_path: Path,
) -> None:
    root = tmp_path / "root"
    run = root / "run1"
    write_manifest(run, started_at="2026-04-01T00:00:00+00:00")
    for seq in range(1, 600):  # enough to seal chunks
        write_call(run, seq, "fetch", output={"n": seq, "city": "Zürich"}, duration_ms=seq / 10)
    store = FixtureStore(root)
    store.scan()
    pending = write_call(run, 600, "fetch", status="pending", output=None)
    store.apply_changes([("added", pending)])
    assert store.calls("run1")[-1].preview == ""
    write_call(run, 600, "fetch", status="error", error={"type": "X", "message": "bœm"})
    store.apply_changes([("modified", pending)])
    calls = store.calls("run1")
    assert calls[-1].preview == "X: bœm" and calls[-1].occurrence == 600
    assert [c.preview for c in calls[:-1]] == [
        f'{{"n":{s},"city":"Zürich"}}' for s in range(1, 600)
    ]
    assert [c.duration_ms for c in calls[:3]] == [0.1, 0.2, 0.3]
    assert store.apply_changes([("modified", pending)]) == []  # the same file: no change


def test_word_search_finds_previews_in_sealed_chunks() -> None:
    from forensics_tui.ui.query import parse_query

    calls = [_call(i + 1, preview=_varied(i)) for i in range(3 * compact_text.CHUNK_TEXTS)]
    calls.append(_call(9999, preview="Timeout contacting ZÜRICH backend"))
    for _ in range(compact_text.KEPT_CHUNKS + 1):  # push the first chunks out
        [_call(1, preview=f"filler {i}") for i in range(compact_text.CHUNK_TEXTS)]
    query = parse_query("c-7919")
    expected = [i + 1 for i in range(len(calls) - 1) if "c-7919" in _varied(i).lower()]
    assert [c.seq for c in calls if query.matches(c)] == expected and 2 in expected
    assert [c.seq for c in calls if parse_query("zürich backend").matches(c)] == [9999]
    lyon = [c.seq for c in calls if parse_query("lyon").matches(c)]
    assert lyon == [i + 1 for i in range(0, len(calls) - 1, 7)]
