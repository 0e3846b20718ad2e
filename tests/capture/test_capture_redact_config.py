"""The default recorder reads ``[redaction]`` from the config file; a broken file costs nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forensics_tui.capture import Recorder
from forensics_tui.capture.redact import redactor_from_env


def _record(tmp_path: Path, payload: dict) -> dict:
    rec = Recorder(tmp_path / "root", run_id="r", redaction=redactor_from_env())
    path = rec.record("tool", payload, {"ok": True})
    assert path is not None
    return json.loads(path.read_text())


def test_config_adds_keys_and_patterns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[redaction]\nextra_keys = ["x-tenant"]\nextra_patterns = ["tok_[a-z0-9]{8}", "(["]\n'
    )
    monkeypatch.setenv("FORENSICS_CONFIG", str(config))
    fixture = _record(tmp_path, {"x-tenant": "acme", "note": "use tok_abcdef12 now", "n": 1})
    assert fixture["input"]["x-tenant"] == "[REDACTED]"
    assert "tok_abcdef12" not in json.dumps(fixture)
    assert fixture["input"]["n"] == 1
    assert "input.x-tenant" in fixture["redacted"]


def test_config_can_turn_redaction_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[redaction]\nenabled = false\n")
    monkeypatch.setenv("FORENSICS_CONFIG", str(config))
    assert _record(tmp_path, {"password": "hunter2"})["input"]["password"] == "hunter2"


def test_broken_config_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[redaction\nnot toml")
    monkeypatch.setenv("FORENSICS_CONFIG", str(config))
    assert _record(tmp_path, {"password": "hunter2"})["input"]["password"] == "[REDACTED]"


@pytest.mark.parametrize("backend", ["json", "orjson"])
@pytest.mark.parametrize("how", ["record", "start_call"])
def test_an_anchored_extra_pattern_applies_to_each_string(
    tmp_path: Path, backend: str, how: str
) -> None:
    """``^...$`` must see each string whole, not the fast path's join of all of them."""
    from forensics_tui.capture import serialize
    from forensics_tui.capture.redact import Redactor

    if serialize.set_json_backend(backend) != backend:
        pytest.skip(f"{backend} is not installed")
    try:
        red = Redactor(extra_patterns=[r"^zz-[a-z0-9]{10,}$"], env={})
        rec = Recorder(tmp_path, "run1", redaction=red)
        payload = {"note": "hello world out there", "key_id": "zz-abcdef123456", "n": "last one"}
        if how == "record":
            path = rec.record("tool", payload, {"echo": "zz-abcdef123456", "x": "more words"})
        else:
            handle = rec.start_call("tool", payload)
            path = handle.finish({"echo": "zz-abcdef123456", "x": "more words"})
        assert path is not None
        text = path.read_text()
        assert "zz-abcdef123456" not in text
        fixture = json.loads(text)
        assert fixture["input"]["key_id"] == "[REDACTED]"
        assert fixture["output"]["echo"] == "[REDACTED]"
        assert fixture["input"]["note"] == "hello world out there"
    finally:
        serialize.set_json_backend("auto")
