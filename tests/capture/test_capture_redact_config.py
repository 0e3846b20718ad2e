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
