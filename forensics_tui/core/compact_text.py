"""Short texts kept in compressed chunks (``Call.preview``: ~30-40 bytes a call, not ~185).

A root of a million calls keeps a million one-line previews of up to 120 characters; as one
``str`` each that is ~180 bytes a call, a third of the TUI's memory.  :func:`put` appends a text
to the open :class:`Chunk` and returns ``(chunk, i)``, the handle a ``Call`` keeps (``i`` is
a cached small int, so the handle costs two pointers).  A chunk that holds
:data:`CHUNK_TEXTS` texts is sealed: the texts become one UTF-8 string (lone surrogates
included, ``surrogatepass``) compressed with zlib together with their end offsets.  Previews of
neighbouring calls share keys and wording, so a sealed chunk is several times smaller than its
text (4x for bench_call_memory's varied ones), and far smaller than its ``str`` objects.

:func:`text` reads a text back: from the open chunk's list, or from a sealed chunk's texts
decompressed on demand.  The last :data:`KEPT_CHUNKS` chunks decompressed (or sealed) keep
their texts as ``str`` objects; an older one drops them (first in, first out), so painting
the rows on screen or comparing a re-read call decompresses a chunk once, not once per row.

A chunk lives as long as one call (or a decompressed-chunks slot) refers to it; texts are never
changed or removed, so a copy of a call (``Call.replace``) shares its handle.  Texts that are
empty, longer than :data:`LONGEST`, not exactly ``str`` or not UTF-8 round-trippable are not
put in a chunk: the caller keeps them as they are (``put`` returns ``(text, 0)``).
"""

from __future__ import annotations

import os
import threading
import zlib
from array import array
from collections import deque

__all__ = ["CHUNK_TEXTS", "KEPT_CHUNKS", "LONGEST", "Chunk", "put", "text"]

CHUNK_TEXTS = 128
"""Texts per chunk: the index is a cached small int (0..256 are shared objects), and a row
from a chunk not decompressed now costs ~40 µs (256 texts: about as small, twice the time)."""
KEPT_CHUNKS = 64
"""Sealed chunks whose texts are kept decompressed (most recently decompressed or sealed)."""
LONGEST = 1024
"""Longer texts are kept as they are (previews are 120 characters at most)."""
_LEVEL = 1  # level 6 saves ~15% more for 2.5x the time (1.5 µs a text): scans make many


class Chunk:
    """Up to :data:`CHUNK_TEXTS` texts: a list while open; zlib-compressed once sealed."""

    __slots__ = ("count", "packed", "texts")

    def __init__(self) -> None:
        self.texts: list[str] | None = []  # None: sealed and not decompressed now
        self.packed: bytes | None = None  # set when sealed
        self.count = 0

    def seal(self) -> None:
        texts = self.texts
        assert texts is not None
        ends = array("I")
        total = 0
        for t in texts:
            total += len(t)
            ends.append(total)
        blob = "".join(texts).encode("utf-8", "surrogatepass")
        self.count = len(texts)
        self.packed = zlib.compress(ends.tobytes() + blob, _LEVEL)
        _keep(self)  # its texts stay until KEPT_CHUNKS newer chunks are decompressed or sealed

    def load(self) -> list[str]:
        """The texts, decompressed (a sealed chunk whose texts were dropped)."""
        packed = self.packed
        assert packed is not None
        raw = zlib.decompress(packed)
        cut = 4 * self.count
        ends = array("I")
        ends.frombytes(raw[:cut])
        whole = raw[cut:].decode("utf-8", "surrogatepass")
        texts = []
        start = 0
        for end in ends:
            texts.append(whole[start:end])
            start = end
        self.texts = texts
        _keep(self)
        return texts


_kept: deque[Chunk] = deque()


def _keep(chunk: Chunk) -> None:
    kept = _kept
    kept.append(chunk)
    while len(kept) > KEPT_CHUNKS:
        try:
            old = kept.popleft()
        except IndexError:  # another thread emptied it meanwhile
            break
        if old.packed is not None and old not in kept:
            old.texts = None  # a reader holding the list keeps its own reference


_lock = threading.Lock()
_open = Chunk()


def _reset_after_fork() -> None:
    """A forked child starts with a fresh lock (the parent's may have been held by a thread)."""
    global _lock, _open
    _lock = threading.Lock()
    _open = Chunk()


os.register_at_fork(after_in_child=_reset_after_fork)


def put(value: str) -> tuple[Chunk | str, int]:
    """The handle of ``value``: ``(chunk, i)``, or ``(value, 0)`` when it is kept as it is."""
    if type(value) is not str or not value or len(value) > LONGEST:
        return value, 0
    if not value.isascii():
        try:
            if value.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass") != value:
                return value, 0
        except UnicodeError:
            return value, 0
    full = None
    global _open
    with _lock:
        chunk = _open
        texts = chunk.texts
        assert texts is not None
        i = len(texts)
        texts.append(value)
        if i + 1 >= CHUNK_TEXTS:
            full = chunk
            _open = Chunk()
    if full is not None:
        full.seal()  # outside the lock: nothing appends to it any more; readers use its list
    return chunk, i


def text(chunk: Chunk, i: int) -> str:
    """The text at ``i`` of ``chunk``."""
    texts = chunk.texts
    if texts is None:
        texts = chunk.load()
    return texts[i]
