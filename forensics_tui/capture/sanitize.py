"""The one sanitiser for untrusted text: every fixture string passes here before display.

It lives in the capture layer (stdlib only) so that ``replay()`` can use it too; core, CLI and
UI import it from ``forensics_tui.core.sanitize``.  The result contains no C0/C1 control
characters (ESC, BEL, CR, ...), no DEL, and no bidi or zero-width formatting characters: each is
replaced by a visible escape such as ``\\x1b`` or ``\\u202e``.  It never parses markup; callers
must still hand the result to widgets as plain text (``Text(s)``, never markup).
"""

from __future__ import annotations

import re

__all__ = ["has_unsafe", "safe_line", "safe_text"]

# C0 controls, DEL, C1 controls, bidi embeddings/overrides/isolates, zero-width and
# line/paragraph separators, BOM, and the interlinear annotation characters.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ud800-\udfff\ufeff\ufff9-\ufffb]"
)
_UNSAFE_KEEP_NL = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ud800-\udfff\ufeff\ufff9-\ufffb]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def safe_text(value: object, *, keep_newlines: bool = False) -> str:
    """Return ``value`` as text with every control/formatting character shown escaped.

    ``keep_newlines=True`` keeps ``\\n`` (for multi-line views); everything else, ``\\r`` and
    ``\\t`` included, is escaped.
    """
    text = value if isinstance(value, str) else str(value)
    pattern = _UNSAFE_KEEP_NL if keep_newlines else _UNSAFE
    return pattern.sub(_escape, text)


def safe_line(value: object, limit: int | None = None) -> str:
    """Single-line safe text, optionally shortened to ``limit`` characters with an ellipsis."""
    text = safe_text(value)
    if limit is not None and len(text) > limit:
        return text[: max(0, limit - 1)] + "…"
    return text


def has_unsafe(value: str) -> bool:
    """True when ``value`` holds a character that ``safe_text`` would escape."""
    return _UNSAFE.search(value) is not None
