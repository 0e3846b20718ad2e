"""The structural diff engine: kinds, paths, list alignment, volatile fields and limits."""

from __future__ import annotations

import json
import random

from forensics_tui.core.analysis.treediff import DiffLimits, clip, diff_values, format_path


def _kinds(result) -> list[tuple[str, str]]:
    return [(c.path, c.kind) for c in result.changes]


def test_every_kind_with_dotted_paths() -> None:
    old = {"body": {"items": [{"qty": 1}, {"qty": 2}], "tier": "gold", "gone": 1, "n": 1}}
    new = {"body": {"items": [{"qty": 1}, {"qty": 3}], "tier": 1, "new": True, "n": 2}}
    got = sorted(_kinds(diff_values(old, new)))
    assert got == [
        ("body.gone", "removed"),
        ("body.items[1].qty", "changed"),
        ("body.n", "changed"),
        ("body.new", "added"),
        ("body.tier", "type_changed"),
    ]


def test_old_and_new_values_are_reported() -> None:
    change = diff_values({"a": "x"}, {"a": "y"}).changes[0]
    assert change.to_json() == {"path": "a", "kind": "changed", "old": "x", "new": "y"}


def test_one_insert_in_a_long_list_is_one_item_added() -> None:
    old = [{"id": i, "name": f"item {i}"} for i in range(5000)]
    new = [*old[:3], {"id": -1, "name": "new"}, *old[3:]]
    result = diff_values({"items": old}, {"items": new})
    assert _kinds(result) == [("items[3]", "item_added")]
    assert result.changes[0].new == {"id": -1, "name": "new"}


def test_one_removal_is_one_item_removed() -> None:
    old = list(range(1000))
    new = old[:500] + old[501:]
    assert _kinds(diff_values(old, new)) == [("[500]", "item_removed")]


def test_in_place_edits_in_a_list_stay_field_changes() -> None:
    old = [{"id": i, "v": i} for i in range(100)]
    new = [dict(x) for x in old]
    new[10]["v"] = -1
    new[90]["v"] = -2
    assert _kinds(diff_values(old, new)) == [("[10].v", "changed"), ("[90].v", "changed")]


def test_volatile_fields_are_ignored_at_any_depth_and_case() -> None:
    old = {"ts": 1, "body": {"Request_ID": "a", "items": [{"ts": 1, "v": 1}]}}
    new = {"ts": 2, "body": {"Request_ID": "b", "items": [{"ts": 2, "v": 1}]}}
    assert diff_values(old, new, ignore=["ts", "request_id"]).changes == []
    assert diff_values(old, new).changes != []


def test_dotted_ignore_paths_match_exactly() -> None:
    old, new = {"a": {"b": 1, "c": 1}}, {"a": {"b": 2, "c": 2}}
    assert _kinds(diff_values(old, new, ignore=["a.b"])) == [("a.c", "changed")]


def test_int_and_float_are_numbers_but_bool_is_not() -> None:
    assert diff_values({"x": [1]}, {"x": [1.0]}).changes == []
    assert _kinds(diff_values({"x": [True]}, {"x": [1, 2]}))[0][1] in (
        "type_changed",
        "item_added",
        "item_removed",
    )
    assert _kinds(diff_values({"x": 1}, {"x": 1.5})) == [("x", "changed")]


def test_root_type_change_has_an_empty_path() -> None:
    assert _kinds(diff_values({"a": 1}, "text")) == [("", "type_changed")]


def test_odd_keys_are_quoted() -> None:
    assert format_path(["body", "a.b", 2, "x y"]) == 'body["a.b"][2]["x y"]'


def test_too_deep_payload_gives_a_note_not_a_crash() -> None:
    old = new = None
    for _ in range(3000):
        old, new = {"a": old}, {"a": new}
    new_inner = new
    for _ in range(2999):
        new_inner = new_inner["a"]
    new_inner["a"] = 1
    result = diff_values(old, new)
    assert result.notes and "deeper than" in result.notes[0]
    json.dumps([c.to_json() for c in result.changes])  # clipped: encodable


def test_change_limit_gives_a_note() -> None:
    old = {f"k{i}": i for i in range(50)}
    new = {f"k{i}": -i - 1 for i in range(50)}
    result = diff_values(old, new, limits=DiffLimits(max_changes=10))
    assert len(result.changes) == 10
    assert "more than 10 changes" in result.notes[0]


def test_time_budget_gives_a_note() -> None:
    old = [{"v": i} for i in range(20000)]
    new = [{"v": -i} for i in range(20000)]
    result = diff_values(old, new, limits=DiffLimits(time_budget_s=0.0, max_changes=10**6))
    assert result.notes and "stopped" in result.notes[0]


def test_clip_replaces_deep_subtrees() -> None:
    value: object = 1
    for _ in range(500):
        value = [value]
    clipped = clip(value, max_depth=5)
    assert json.dumps(clipped).count("[") == 5


def _random_tree(rng: random.Random, depth: int = 0) -> object:
    roll = rng.random()
    if depth > 3 or roll < 0.4:
        return rng.choice([None, True, False, 0, 1, 2.5, "a", "b", ""])
    keys = rng.sample(["a", "b", "c", "d", "e"], rng.randint(0, 4))
    return {k: _random_tree(rng, depth + 1) for k in keys}


def test_deepdiff_subtrees_agree_with_the_own_walker() -> None:
    rng = random.Random(7)
    for _ in range(300):
        old, new = _random_tree(rng), _random_tree(rng)
        fast = sorted(_kinds(diff_values(old, new)))
        plain = sorted(_kinds(diff_values(old, new, use_deepdiff=False)))
        assert fast == plain, (old, new)
