"""Call diffs: the issue's JSON shape, the text form and the verdicts."""

from __future__ import annotations

from forensics_tui.core.analysis.diff import diff_calls
from forensics_tui.core.storage.factories import make_fixture


def _pair(old_kw: dict, new_kw: dict):
    base = make_fixture("t", run_id="20260101_000000", **old_kw)
    cur = make_fixture("t", run_id="20260102_000000", **new_kw)
    return diff_calls(base, cur, index=2)


def test_json_shape_matches_the_issue() -> None:
    diff = _pair(
        {"input": {"q": 1}, "output": {"items": [{"qty": 1}]}},
        {"input": {"q": 1}, "output": {"items": [{"qty": 2}]}},
    )
    data = diff.to_json()
    assert list(data) == [
        "run",
        "baseline_run",
        "tool",
        "index",
        "input_changed",
        "input_changes",
        "status",
        "changes",
        "verdict",
        "call_id",
        "baseline_call_id",
        "baseline_reason",
    ]
    assert data["run"] == "20260102_000000" and data["baseline_run"] == "20260101_000000"
    assert data["index"] == 2 and data["status"] == {"old": "ok", "new": "ok"}
    assert data["changes"] == [{"path": "items[0].qty", "kind": "changed", "old": 1, "new": 2}]
    assert data["input_changed"] is False and data["input_changes"] == []


def test_unchanged_input_means_upstream() -> None:
    diff = _pair({"output": {"v": 1}}, {"output": {"v": 2}, "status": "error"})
    assert "upstream" in diff.verdict
    lines = diff.text_lines()
    assert lines[0] == "Comparing: run_20260101_000000 vs run_20260102_000000"
    assert '"input": unchanged' in lines
    assert "- v: 1" in lines and "+ v: 2" in lines
    assert "- status: ok" in lines and "+ status: error" in lines
    assert lines[-1].startswith("[forensics] Root cause: ") and "upstream" in lines[-1]


def test_changed_input_names_the_fields() -> None:
    diff = _pair(
        {"input": {"customer": "C-1", "limit": 5}, "output": {"v": 1}},
        {"input": {"customer": "C-2", "limit": 5}, "output": {"v": 2}},
    )
    assert diff.input_changed
    assert "input changed" in diff.verdict and "customer" in diff.verdict
    assert any(line.startswith('"input": changed (customer') for line in diff.text_lines())
    assert '- input.customer: "C-1"' in diff.text_lines()


def test_only_status_differs_means_transient() -> None:
    diff = _pair({"output": {"v": 1}}, {"output": {"v": 1}, "status": "timeout"})
    assert diff.changes == [] and not diff.input_changed
    assert "transient" in diff.verdict and "flaky" in diff.verdict


def test_volatile_fields_do_not_count() -> None:
    diff = _pair(
        {"output": {"v": 1, "request_id": "a", "ts": "x"}},
        {"output": {"v": 1, "request_id": "b", "ts": "y"}},
    )
    assert diff.changes == [] and "no difference" in diff.verdict


def test_hostile_values_are_escaped_in_text() -> None:
    diff = _pair({"output": {"v": "a"}}, {"output": {"v": "\x1b[31mred\x1b]8;;http://x\x07"}})
    text = diff.text()
    assert "\x1b" not in text and "\x07" not in text


def test_too_deep_payload_is_a_clear_note() -> None:
    deep: object = 1
    for _ in range(2000):
        deep = {"a": deep}
    diff = _pair({"output": {"v": 1}}, {"output": deep})
    assert diff.to_json()["changes"]
    shallow_old: object = 0
    shallow_new: object = 1
    for _ in range(500):
        shallow_old, shallow_new = {"a": shallow_old}, {"a": shallow_new}
    diff = _pair({"output": shallow_old}, {"output": shallow_new})
    assert diff.notes and "diff incomplete" in diff.verdict
