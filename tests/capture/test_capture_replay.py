"""``replay()`` prints a run's chain like the legacy snippet, for v1, legacy and hostile runs."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from forensics_tui.capture import Recorder, replay

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ["\x1b", "\x07", "\x9b", "\r", "\u202e", "\x00"]


def replayed(*args, **kwargs) -> str:
    out = io.StringIO()
    replay(*args, file=out, **kwargs)
    return out.getvalue()


def test_v1_run_written_by_the_recorder(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "r1")
    rec.record("fetch_stock", {"sku": "A-1"}, {"qty": 4})
    rec.record("send_notification", {"channel": "#ops"}, None, "error", error=ValueError("503"))
    text = replayed("r1", root=tmp_path)
    assert text.splitlines() == [
        "[replay] ✓ fetch_stock (ok)",
        "{",
        '  "sku": "A-1"',
        "}",
        "→ output:",
        "{",
        '  "qty": 4',
        "}",
        "[replay] ✗ send_notification (error)",
        "{",
        '  "channel": "#ops"',
        "}",
        "→ output:",
        "null",
        "→ error:",
        "{",
        '  "type": "ValueError",',
        '  "message": "503"',
        "}",
    ]
    only = replayed("r1", "send_notification", root=tmp_path)
    assert only.startswith("[replay] ✗ send_notification (error)")
    assert "fetch_stock" not in only


def test_v1_corpus_is_ordered_by_seq(corpus_copy) -> None:
    root = corpus_copy("v1")
    text = replayed("20260305_090000", root=root)
    headers = [line for line in text.splitlines() if line.startswith("[replay]")]
    assert headers == [
        "[replay] ✓ crm_lookup (ok)",
        "[replay] ✓ tag_ticket (ok)",
        "[replay] ⊘ tag_ticket (skipped)",
        "[replay] ✓ tag_ticket (ok)",
        "[replay] ✓ post_reply (ok)",
    ]
    assert '"Authorization"' not in text  # replay specs are not printed, only input/output


def test_legacy_corpus_is_ordered_by_ts(corpus_copy) -> None:
    root = corpus_copy("legacy")
    text = replayed("20260301_101500", root=root)
    headers = [line for line in text.splitlines() if line.startswith("[replay]")]
    assert headers == [
        "[replay] ✓ search_docs (ok)",
        "[replay] ✓ summarize (ok)",
        "[replay] ⏱ post_slack (timeout)",
    ]
    assert '"query": "refund policy"' in text
    assert replayed("20260301_101500", "post_slack", root=root).count("[replay]") == 1


def test_hostile_corpus_prints_escaped(corpus_copy) -> None:
    root = corpus_copy("bad")
    text = replayed("20260310_120000", root=root)
    for ch in FORBIDDEN:
        assert ch not in text, repr(ch)
    assert "[replay] ✓ fetch\\u202eexe.txt (ok)" in text
    assert "\\u001b]52;c;aGk=\\u0007copied" in text  # JSON-escaped, still visible
    assert "\\x9b31mred" in text
    assert "[bold]not markup[/]" in text  # printed verbatim, never interpreted
    assert "[replay] ◌ slow_search (pending)" in text
    broken = [line for line in text.splitlines() if line.startswith("[replay] !")]
    assert len(broken) == 6
    assert any("000004_array.json: not a JSON object" in line for line in broken)


def test_hostile_strings_from_a_fresh_run(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "r")
    rec.record("evil\x1b]0;title\x07\u202e", {"x": "\x1b[2J"}, {"y": "a\rb\u2066c\x9b"})
    text = replayed("r", root=tmp_path)
    for ch in [*FORBIDDEN, "\u2066"]:
        assert ch not in text, repr(ch)


def test_missing_run_and_bad_run_ids(tmp_path: Path) -> None:
    assert "no calls in run nope" in replayed("nope", root=tmp_path)
    assert "not a run id" in replayed("../etc", root=tmp_path)


def test_replay_honours_the_environment_root(tmp_path: Path) -> None:
    Recorder(tmp_path, "envrun").record("t", {"a": 1}, {"b": 2})
    code = "from forensics_tui.capture import replay; replay('envrun')"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FORENSICS_FIXTURE_DIR": str(tmp_path)}
    env["PYTHONIOENCODING"] = "utf-8"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, check=True)
    assert out.stdout.decode().startswith("[replay] ✓ t (ok)")


def test_unencodable_terminal_still_prints(tmp_path: Path) -> None:
    Recorder(tmp_path, "r").record("t", {"a": "é"}, None)
    code = f"from forensics_tui.capture import replay; replay('r', root={str(tmp_path)!r})"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "ascii"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env)
    assert out.returncode == 0, out.stderr
    assert b"\\u2713 t (ok)" in out.stdout
