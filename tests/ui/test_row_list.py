"""RowList (sorted blocks) against a plain sorted list, through inserts, pops and lookups."""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass

import pytest

from forensics_tui.ui import row_list
from forensics_tui.ui.row_list import RowList


@dataclass(eq=False)
class Row:
    key: int
    ident: int


def _key(row: Row) -> int:
    return row.key


def _reference_insert(rows: list[Row], row: Row) -> int:
    at = bisect_right([r.key for r in rows], row.key)
    rows.insert(at, row)
    return at


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 4 rows, so a few hundred rows exercise splits and emptied blocks."""
    monkeypatch.setattr(row_list, "_LOAD", 4)


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize("seed", range(8))
def test_inserts_and_pops_match_a_sorted_list(seed: int) -> None:
    rng = random.Random(seed)
    rows: RowList[Row] = RowList(_key)
    reference: list[Row] = []
    ident = 0
    for _ in range(600):
        if reference and rng.random() < 0.35:
            at = rng.randrange(len(reference))
            assert rows.pop(at) is reference.pop(at)
        else:
            # few distinct keys, so equal keys are common; appends are common too
            key = rng.choice([rng.randrange(40), 40 + ident])
            row = Row(key, ident)
            ident += 1
            assert rows.insert(row) == _reference_insert(reference, row)
        assert len(rows) == len(reference)
        assert bool(rows) is bool(reference)
    assert rows.list() == reference
    assert list(rows) == reference
    assert [rows[i] for i in range(len(rows))] == reference
    assert rows[-1] is reference[-1]
    with pytest.raises(IndexError):
        rows[len(reference)]


@pytest.mark.usefixtures("small_blocks")
def test_walk_goes_both_ways_from_any_row() -> None:
    rows: RowList[Row] = RowList(_key, [Row(i // 3, i) for i in range(50)])
    every = rows.list()
    for start in (0, 1, 7, 24, 49):
        assert [i for i, _ in rows.walk(start, 1)] == list(range(start, 50))
        assert [r for _, r in rows.walk(start, 1)] == every[start:]
        assert [i for i, _ in rows.walk(start, -1)] == list(range(start, -1, -1))
        assert [r for _, r in rows.walk(start, -1)] == every[start::-1]
    assert list(rows.walk(50, 1)) == []
    assert list(rows.walk(-1, -1)) == []


@pytest.mark.usefixtures("small_blocks")
def test_find_locates_a_row_among_equals_and_after_its_key_changed() -> None:
    made = [Row(i // 10, i) for i in range(100)]
    rows: RowList[Row] = RowList(_key, made)
    target = made[57]
    assert rows.find(target.key, lambda r: r is target) == 57
    # the key changed since the row was placed: found by the full scan
    target.key = 2
    assert rows.find(2, lambda r: r is target) == 57
    assert rows.find(3, lambda r: r.ident == -1) is None


@pytest.mark.usefixtures("small_blocks")
def test_popping_every_row_empties_blocks_and_keeps_order() -> None:
    rng = random.Random(3)
    made = [Row(i, i) for i in range(64)]
    rows: RowList[Row] = RowList(_key, made)
    reference = list(made)
    while reference:
        at = rng.randrange(len(reference))
        assert rows.pop(at) is reference.pop(at)
        assert rows.list() == reference
    assert not rows
    assert rows.insert(Row(5, 0)) == 0  # an emptied list takes rows again
    assert rows.insert(Row(1, 1)) == 0


def test_replace_takes_sorted_rows_of_any_size() -> None:
    made = [Row(i, i) for i in range(3000)]
    rows: RowList[Row] = RowList(_key)
    rows.replace(made)
    assert len(rows) == 3000
    assert rows[1234] is made[1234]
    assert rows.insert(Row(1500, -1)) == 1501
    rows.replace([])
    assert len(rows) == 0 and rows.list() == []
