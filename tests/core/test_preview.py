"""Row previews say why a call failed, even when its error carries a huge traceback."""

from __future__ import annotations

import json

import msgspec

from forensics_tui.core.storage.preview import preview_from_raw

NULL = msgspec.Raw(b"null")


def _raw(value: object) -> msgspec.Raw:
    return msgspec.Raw(json.dumps(value).encode())


def test_big_error_previews_type_and_message() -> None:
    error = {
        "type": "ModelRetry",
        "message": "the items service timed out",
        "traceback": "x" * 9000,
    }
    assert preview_from_raw(NULL, _raw(error)) == "ModelRetry: the items service timed out"


def test_big_error_without_message_falls_back_to_type_or_text() -> None:
    assert preview_from_raw(NULL, _raw({"type": "Boom", "traceback": "y" * 9000})) == "Boom"
    text = preview_from_raw(NULL, _raw({"detail": "z" * 9000}))
    assert text.startswith('{"detail": "zzz') and len(text) <= 120


def test_small_values() -> None:
    assert preview_from_raw(_raw({"status_code": 401}), NULL) == "status_code 401"
    assert preview_from_raw(NULL, _raw({"type": "E", "message": "bad"})) == "E: bad"
