"""The one sanitiser: every control, C1, bidi and zero-width character comes out escaped."""

from __future__ import annotations

import json

import pytest

from forensics_tui.core.sanitize import has_unsafe, safe_line, safe_text
from tests.conftest import CORPUS

CORPUS_HOSTILE = CORPUS / "bad" / "20260310_120000" / "000001_fetch.json"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2Jcleared", "\\x1b[2Jcleared"),
        ("\x1b]52;c;aGk=\x07copied", "\\x1b]52;c;aGk=\\x07copied"),
        ("a\rb", "a\\rb"),
        ("tab\there", "tab\\there"),
        ("line\nnext", "line\\nnext"),
        ("\x9b31m", "\\x9b31m"),
        ("\x7f", "\\x7f"),
        ("fetch\u202eexe.txt", "fetch\\u202eexe.txt"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("iso\u2066late\u2069", "iso\\u2066late\\u2069"),
        ("\ufeffbom", "\\ufeffbom"),
        ("[bold]markup[/] stays literal", "[bold]markup[/] stays literal"),
        ("emoji 🚀 and ünïcödé", "emoji 🚀 and ünïcödé"),
    ],
)
def test_escapes(raw: str, shown: str) -> None:
    assert safe_text(raw) == shown
    assert not has_unsafe(safe_text(raw))


def test_keep_newlines() -> None:
    assert safe_text("a\nb\r\n", keep_newlines=True) == "a\nb\\r\n"


def test_every_codepoint_below_0xa0_is_safe_afterwards() -> None:
    text = "".join(chr(c) for c in range(0xA0))
    out = safe_text(text)
    assert all(0x20 <= ord(ch) < 0x7F for ch in out)


def test_safe_line_truncates() -> None:
    assert safe_line("abcdef", 4) == "abc…"
    assert safe_line("ab", 4) == "ab"


def test_hostile_corpus_fixture_is_fully_neutralised() -> None:
    data = json.loads(CORPUS_HOSTILE.read_text(encoding="utf-8"))
    for value in [data["tool"], *data["output"].values()]:
        assert "\x1b" not in safe_text(value)
        assert "\u202e" not in safe_text(value)
        assert not has_unsafe(safe_text(value))
