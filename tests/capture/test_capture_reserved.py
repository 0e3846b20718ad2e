"""``start_call(pending=False, reserve=True)``: the call's seq and ``call_id`` are taken at
start, nothing is written until ``write_pending`` or ``finish``, and a name taken meanwhile by
another writer is never replaced."""

from __future__ import annotations

import json
from pathlib import Path

from forensics_tui.capture import Recorder


def _files(run: Path) -> list[str]:
    return sorted(p.name for p in run.iterdir() if p.name[0].isdigit())


def test_a_reserved_call_is_written_once_under_its_call_id(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "run1")
    handle = rec.start_call("lookup", {"q": 1}, pending=False, reserve=True)
    assert handle.call_id == "run1-000001" and handle.path is None
    assert _files(tmp_path / "run1") == []
    path = handle.finish({"ok": True})
    assert path is not None and _files(tmp_path / "run1") == ["000001_lookup.json"]
    fixture = json.loads(path.read_text())
    assert (fixture["call_id"], fixture["seq"], fixture["status"]) == ("run1-000001", 1, "ok")
    assert (fixture["input"], fixture["output"]) == ({"q": 1}, {"ok": True})


def test_a_reserved_call_can_be_written_pending_then_finished_in_place(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "run1")
    handle = rec.start_call("lookup", {"q": 1}, pending=False, reserve=True)
    later = rec.start_call("other", None)  # takes seq 2 while the first is still unwritten
    rec.write_pending(handle)
    pending = json.loads((tmp_path / "run1" / "000001_lookup.json").read_text())
    assert (pending["status"], pending["call_id"]) == ("pending", "run1-000001")
    handle.finish(None, "timeout", error=TimeoutError("slow"))
    later.finish("done")
    assert _files(tmp_path / "run1") == ["000001_lookup.json", "000002_other.json"]
    final = json.loads((tmp_path / "run1" / "000001_lookup.json").read_text())
    assert (final["status"], final["call_id"]) == ("timeout", "run1-000001")


def test_a_name_taken_meanwhile_is_never_replaced(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "run1")
    handle = rec.start_call("lookup", {"q": 1}, pending=False, reserve=True)
    foreign = tmp_path / "run1" / "000001_lookup.json"
    foreign.write_text('{"written": "by another writer"}')  # one that does not share the counter
    path = handle.finish({"ok": True})
    assert foreign.read_text() == '{"written": "by another writer"}'
    assert path is not None and path != foreign
    fixture = json.loads(path.read_text())
    assert fixture["call_id"] == handle.call_id != "run1-000001"
    assert fixture["seq"] > 1 and fixture["output"] == {"ok": True}
