"""Failure signatures (normalisation, promotion, fixed_since) and output shapes."""

from __future__ import annotations

from forensics_tui.core.analysis.patterns import Sighting, find_patterns, normalise_message
from forensics_tui.core.analysis.shapes import compare_shapes, output_shape


def test_normalisation_strips_what_varies() -> None:
    a = normalise_message(
        "503 at 2026-03-06T09:00:05.123+00:00 req 3f2a9c1b7e4d "
        "id 123e4567-e89b-12d3-a456-426614174000 https://api.x/v1/t?token=abc&n=2 (attempt 6)"
    )
    b = normalise_message(
        "503 at 2026-03-07T10:11:12Z req 99aa00bb11cc "
        "id 00000000-1111-2222-3333-444444444444 https://api.x/v1/t?token=zzz (attempt 7)"
    )
    assert a == b
    assert "token=" not in a and "https://api.x/v<n>/t (attempt <n>)" in a


def _s(run: str, occurrence: int = 1, message: str = "503 (attempt 1)") -> Sighting:
    return Sighting(run, f"{run}-{occurrence}", "post", occurrence, "error", message)


def test_promotion_counts_distinct_runs() -> None:
    order = ["r1", "r2", "r3", "r4"]
    sightings = [_s("r1"), _s("r1", 2, "503 (attempt 2)"), _s("r2", message="503 (attempt 9)")]
    (pattern,) = find_patterns(order, sightings, {}, min_runs=3)
    assert pattern.run_count == 2 and not pattern.promoted
    (pattern,) = find_patterns(order, [*sightings, _s("r4")], {}, min_runs=3)
    assert pattern.promoted and pattern.first_seen == "r1" and pattern.last_seen == "r4"


def test_fixed_since_is_the_first_good_run_after_the_last_sighting() -> None:
    order = ["r1", "r2", "r3", "r4", "r5"]
    good = {("post", 1): ["r2", "r4", "r5"]}
    (pattern,) = find_patterns(order, [_s("r1"), _s("r3")], good, min_runs=1)
    assert pattern.fixed_since == "r4"
    (pattern,) = find_patterns(order, [_s("r1"), _s("r5")], good, min_runs=1)
    assert pattern.fixed_since is None


def test_promoted_first_then_by_count() -> None:
    order = ["r1", "r2", "r3"]
    other = [Sighting(r, None, "t", 0, "partial_step", "missing") for r in order[:2]]
    promoted = [_s(r) for r in order]
    patterns = find_patterns(order, [*other, *promoted], {}, min_runs=3)
    assert [p.promoted for p in patterns] == [True, False]
    assert set(patterns[0].to_json()) == {
        "signature",
        "tool",
        "kind",
        "message",
        "run_count",
        "runs",
        "first_seen",
        "last_seen",
        "messages",
        "promoted",
        "fixed_since",
    }


def _drift(old: object, new: object) -> str:
    return compare_shapes(output_shape(old), output_shape(new)).describe()


def test_shape_changes_are_named() -> None:
    old = {"body": {"tier": "gold", "open_tickets": 2, "items": [{"a": 1}]}}
    new = {"body": {"tier": 1, "openTickets": 2, "items": [{"a": "x", "b": 1}]}}
    text = _drift(old, new)
    assert "retyped body.tier string → number" in text
    assert "removed body.open_tickets (number)" in text
    assert "added body.openTickets (number)" in text
    assert "retyped body.items[].a number → string" in text
    assert "added body.items[].b" in text


def test_shape_lookalikes_are_not_drift() -> None:
    assert _drift({"a": [1, 2]}, {"a": [3]}) == ""  # values differ, shape same
    assert _drift({"a": 1}, {"a": 2.5}) == ""  # int vs float
    assert _drift({"a": None}, {"a": {"x": 1}}) == ""  # null is compatible
    assert _drift({"a": []}, {"a": [{"x": 1}]}) == ""  # nothing known about empty lists
    assert _drift({"m": {"1001": {"x": 1}}}, {"m": {"2002": {"x": 2}, "3003": {"x": 3}}}) == ""
    assert _drift({"a": [{"x": 1}, {"y": 1}]}, {"a": [{"y": 2}, {"x": 3}]}) == ""


def test_only_the_topmost_new_field_is_reported() -> None:
    assert _drift({"a": 1}, {"a": 1, "b": {"c": {"d": 1}}}) == "added b (object)"


def test_normalisation_drops_ports_and_ip_addresses() -> None:
    a = normalise_message("503 Service Unavailable for http://127.0.0.1:38595/notify")
    b = normalise_message("503 Service Unavailable for http://10.1.2.3:41000/notify")
    assert a == b == "<n> Service Unavailable for http://<ip>/notify"
    named = normalise_message("timeout on https://api.example.com:8443/v1/items")
    assert named == "timeout on https://api.example.com/v<n>/items"


def test_example_is_the_newest_raw_message() -> None:
    order = ["r1", "r2", "r3"]
    sightings = [
        Sighting(r, f"{r}-1", "t", 1, "error", f"503 from 10.0.0.{n} (attempt {n})")
        for n, r in enumerate(order, start=1)
    ]
    (pattern,) = find_patterns(order, sightings, {}, min_runs=3)
    assert pattern.message == "<n> from <ip> (attempt <n>)"
    assert pattern.example == "503 from 10.0.0.3 (attempt 3)"
    assert "example" not in pattern.to_json()  # the JSON shape is the issue's, exactly
