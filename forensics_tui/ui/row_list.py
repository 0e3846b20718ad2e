"""A sorted list of rows kept in blocks, so a row lands or leaves in O(block), not O(rows).

The all-runs scope of a fleet holds a million rows, and a first open receives them out of
order (hosts ship side by side): with one Python list, every landing in the middle moved
megabytes of pointers and bisected the whole list through a key built per step.  Here rows live
in sorted blocks of ``_LOAD`` to ``2 * _LOAD``; each block's last key is kept, so finding the
block is a bisect of plain tuples, and only a block's own rows are keyed.  Row numbers (the
calls pane asks for rows by index) come from a Fenwick tree over the block sizes.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

__all__ = ["RowList"]

T = TypeVar("T")
_LOAD = 512  # rows per block: at most twice this, and blocks are split in halves


class RowList(Generic[T]):
    """Rows sorted by ``key``; equal keys keep their arrival order (later ones after)."""

    def __init__(self, key: Callable[[T], Any], rows: Iterable[T] = ()) -> None:
        self._key = key
        self._blocks: list[list[T]] = []
        self._lasts: list[Any] = []  # key of each block's last row
        self._tree: list[int] = [0]  # Fenwick tree of block sizes (1-based)
        self._len = 0
        self.replace(rows)

    # -- building ---------------------------------------------------------------------

    def replace(self, rows: Iterable[T]) -> None:
        """Hold ``rows`` (already sorted by the key) instead of the current ones."""
        ordered = rows if isinstance(rows, list) else list(rows)
        self._blocks = [ordered[i : i + _LOAD] for i in range(0, len(ordered), _LOAD)]
        self._lasts = [self._key(block[-1]) for block in self._blocks]
        self._len = len(ordered)
        self._rebuild_tree()

    def _rebuild_tree(self) -> None:
        count = len(self._blocks)
        tree = [0] * (count + 1)
        for i, block in enumerate(self._blocks, 1):
            tree[i] += len(block)
            parent = i + (i & -i)
            if parent <= count:
                tree[parent] += tree[i]
        self._tree = tree

    def _grow(self, block: int, by: int) -> None:
        tree = self._tree
        i = block + 1
        size = len(tree)
        while i < size:
            tree[i] += by
            i += i & -i

    def _start(self, block: int) -> int:
        """Index of the first row of ``block``."""
        tree = self._tree
        total = 0
        i = block
        while i > 0:
            total += tree[i]
            i -= i & -i
        return total

    def _locate(self, index: int) -> tuple[int, int]:
        """(block, offset) of row ``index`` (0 <= index < len)."""
        tree = self._tree
        block = 0
        step = 1 << (len(tree).bit_length())
        while step:
            nxt = block + step
            if nxt < len(tree) and tree[nxt] <= index:
                block = nxt
                index -= tree[nxt]
            step >>= 1
        return block, index

    # -- reading ----------------------------------------------------------------------

    def __len__(self) -> int:
        return self._len

    def __bool__(self) -> bool:
        return self._len > 0

    def __getitem__(self, index: int) -> T:
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError("row index out of range")
        block, offset = self._locate(index)
        return self._blocks[block][offset]

    def __iter__(self) -> Iterator[T]:
        for block in self._blocks:
            yield from block

    def walk(self, start: int, step: int) -> Iterator[tuple[int, T]]:
        """(index, row) from ``start`` on, forwards (``step`` 1) or backwards (-1), without
        looking each index up."""
        if not 0 <= start < self._len:
            return
        block, offset = self._locate(start)
        blocks = self._blocks
        index = start
        if step > 0:
            while block < len(blocks):
                rows = blocks[block]
                for at in range(offset, len(rows)):
                    yield index, rows[at]
                    index += 1
                block, offset = block + 1, 0
        else:
            while block >= 0:
                rows = blocks[block]
                for at in range(offset, -1, -1):
                    yield index, rows[at]
                    index -= 1
                block -= 1
                if block >= 0:
                    offset = len(blocks[block]) - 1

    def list(self) -> list[T]:
        return [row for block in self._blocks for row in block]

    # -- changing ---------------------------------------------------------------------

    def insert(self, row: T) -> int:
        """Insert ``row`` after any rows with an equal key; its index.

        A row that sorts last (nearly every landing) costs one key and one comparison."""
        key = self._key(row)
        blocks = self._blocks
        if not blocks:
            self.replace([row])
            return 0
        if self._lasts[-1] <= key:
            block = len(blocks) - 1
            rows = blocks[block]
            rows.append(row)
            self._lasts[block] = key
            self._len += 1
            index = self._len - 1
            self._grow(block, 1)
            if len(rows) >= 2 * _LOAD:
                self._split(block)
            return index
        block = bisect_right(self._lasts, key)  # the first block whose last row sorts after
        rows = blocks[block]
        offset = bisect_right(rows, key, key=self._key)
        rows.insert(offset, row)
        self._len += 1
        self._grow(block, 1)
        index = self._start(block) + offset
        if len(rows) >= 2 * _LOAD:
            self._split(block)
        return index

    def _split(self, block: int) -> None:
        rows = self._blocks[block]
        half = len(rows) // 2
        head, tail = rows[:half], rows[half:]
        self._blocks[block : block + 1] = [head, tail]
        self._lasts[block : block + 1] = [self._key(head[-1]), self._lasts[block]]
        self._rebuild_tree()

    def find(self, key: Any, same: Callable[[T], bool]) -> int | None:
        """Index of the row for which ``same`` holds, looked for from ``key`` on (a few rows
        on), then everywhere (a row whose key changed since it was placed)."""
        block = bisect_left(self._lasts, key)
        if block < len(self._blocks):
            offset = bisect_left(self._blocks[block], key, key=self._key)
            start = self._start(block) + offset
            for index, row in self.walk(start, 1):
                if same(row):
                    return index
                if index - start >= 64:
                    break
        for index, row in enumerate(self):
            if same(row):
                return index
        return None

    def pop(self, index: int) -> T:
        """Remove and return row ``index``."""
        block, offset = self._locate(index)
        rows = self._blocks[block]
        row = rows.pop(offset)
        self._len -= 1
        if not rows:
            del self._blocks[block]
            del self._lasts[block]
            self._rebuild_tree()
            return row
        if offset == len(rows):
            self._lasts[block] = self._key(rows[-1])
        self._grow(block, -1)
        return row
