"""Every CLI echo of data goes through the sanitiser: ``import-otlp`` with trace ids carrying
OSC 52 (a clipboard write) and other escapes, and the error paths that quote file names."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from forensics_tui.cli.main import cli

OSC52 = "\x1b]52;c;ZXZpbA==\x07"
BAD = ("\x1b", "\x07", "\x9b", "\u202e")


def _export(trace_id: str) -> dict:
    attrs = [
        {"key": "gen_ai.operation.name", "value": {"stringValue": "execute_tool"}},
        {"key": "gen_ai.tool.name", "value": {"stringValue": "lookup_user"}},
        {"key": "gen_ai.tool.call.arguments", "value": {"stringValue": '{"user_id": 42}'}},
    ]
    span = {
        "traceId": trace_id,
        "spanId": "bbbbbbbbbbbbbbbb",
        "name": "execute_tool lookup_user",
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000000250000000",
        "attributes": attrs,
        "status": {},
    }
    return {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": [span]}]}]}


def _clean(text: str) -> None:
    leaked = [b for b in BAD if b in text]
    assert leaked == [], f"raw control sequences reached the terminal: {leaked!r}"


def test_import_otlp_escapes_trace_ids(tmp_path: Path) -> None:
    export = tmp_path / "traces.json"
    export.write_text(json.dumps(_export(f"\u202e{OSC52}abcd")))
    result = CliRunner().invoke(cli, ["import-otlp", str(export), "--dir", str(tmp_path / "f")])
    assert result.exit_code == 0, result.output
    assert "1 tool call(s) from 1 span(s)" in result.output
    _clean(result.output)


def test_import_otlp_errors_escape_the_file_name(tmp_path: Path) -> None:
    bad = tmp_path / f"x{OSC52}.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(cli, ["import-otlp", str(bad), "--dir", str(tmp_path / "f")])
    assert result.exit_code == 1
    _clean(result.output)
    missing = CliRunner().invoke(
        cli, ["import-otlp", str(tmp_path / f"gone{OSC52}"), "--dir", str(tmp_path / "f")]
    )
    assert missing.exit_code == 1
    _clean(missing.output)


def test_fail_lines_escape_run_ids(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    result = CliRunner().invoke(
        cli, ["postmortem", f"run{OSC52}", "--dir", str(root)], env={"FORENSICS_FIXTURE_DIR": ""}
    )
    assert result.exit_code != 0
    _clean(result.output)
