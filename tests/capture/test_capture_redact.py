"""Redaction tables: secrets in keys, values, URLs, nested payloads and the environment are
replaced before anything is written; lookalikes (token counters, ``tokenizer``...) are not."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics_tui.capture import REDACTED, Recorder, Redactor, redactor_from_env
from forensics_tui.capture.redact import _anchor_scan

R = Redactor(env={})

SECRET_KEYS = [
    "authorization",
    "Authorization",
    "Proxy-Authorization",
    "cookie",
    "Set-Cookie",
    "set_cookie",
    "api_key",
    "apiKey",
    "APIKey",
    "API-KEY",
    "x-api-key",
    "X_Api_Key",
    "apikey",
    "openai_api_key",
    "token",
    "access_token",
    "accessToken",
    "refresh_token",
    "id_token",
    "x-auth-token",
    "github_token",
    "secret",
    "client_secret",
    "clientSecret",
    "webhook_secret",
    "password",
    "Password",
    "db_password",
    "password2",
    "passwd",
    "db_pwd",
    "private_key",
    "privateKey",
    "secret_key",
    "aws_secret_access_key",
    "session",
    "session_id",
    "sessionId",
    "credentials",
    "passphrase",
    "jwt",
    "auth",
]
LOOKALIKE_KEYS = [
    "max_tokens",
    "maxTokens",
    "max_token",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "token_count",
    "num_tokens",
    "tokens_used",
    "tokens",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "tokenizer",
    "token_type",
    "token_expires_in",
    "next_page_token",
    "page_token",
    "secretary",
    "secret_name",
    "password_policy",
    "password_hint",
    "has_password",
    "is_secret",
    "public_key",
    "key",
    "keyboard",
    "monkey",
    "author",
    "authority",
    "session_count",
    "session_timeout",
    "PWD",
    "pwd",
    "cookie_policy",
    "passenger",
]


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_secret_keys(key: str) -> None:
    value, paths = R.redact({key: "s3cr3t-value", "other": 1}, "input")
    assert value == {key: REDACTED, "other": 1}
    assert len(paths) == 1 and paths[0].startswith("input")


@pytest.mark.parametrize("key", LOOKALIKE_KEYS)
def test_lookalike_keys_are_kept(key: str) -> None:
    value, paths = R.redact({key: "plain-value-1234"}, "input")
    assert value == {key: "plain-value-1234"}
    assert paths == []


# (text, what must disappear, what must stay)
SECRET_VALUES = [
    ("Authorization: Bearer abc123.def-456_ghi", "abc123.def-456_ghi", "Authorization"),
    ("curl -H 'bearer 9f8e7d6c5b4a39281706'", "9f8e7d6c5b4a39281706", "curl -H"),
    ("Basic dXNlcjpodW50ZXIy", "dXNlcjpodW50ZXIy", "Basic"),
    (
        "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9",
        "eyJhbGciOiJIUzI1NiJ9",
        "token ",
    ),
    ("aws key AKIAIOSFODNN7EXAMPLE in the log", "AKIAIOSFODNN7EXAMPLE", "in the log"),
    ("session ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A", "session"),
    ("gh: ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "ghp_aBcDeF", "gh:"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "github_pat_11ABC", ""),
    ("slack xoxb-123456789012-abcdefghijkl", "xoxb-123456789012", "slack"),
    ("openai sk-proj-abcdefghijklmnopqrstuvwx123", "sk-proj-abcdef", "openai"),
    ("anthropic sk-ant-api03-abcdefghijklmnopqrstuvwx", "sk-ant-api03", "anthropic"),
    ("maps AIzaSyA1234567890abcdefghijklmnopqrstu", "AIzaSyA1234567890", "maps"),
    ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39", "stripe"),
    ("restricted rk_live_4eC39HqLyjWDarjtT1zdp7dc", "rk_live_4eC39", "restricted"),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
        "MIIEpAIBAAKCAQEA",
        "",
    ),
    ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg (truncated", "MIIEvQIBADANBg", ""),
    ("postgres://admin:hunter2@db.internal:5432/app", "hunter2", "db.internal:5432/app"),
    ("see https://bob:pa55w0rd@example.com/x?y=1", "pa55w0rd", "https://bob:"),
    ("GET /v1/items?api_key=abc123xyz&limit=5", "abc123xyz", "limit=5"),
    ("callback?access_token=tok_998877&state=s", "tok_998877", "state=s"),
    ('{"password": "hunter2", "user": "bob"}', "hunter2", '"user": "bob"'),
    ("{'client_secret': 'cs_12345678', 'id': 3}", "cs_12345678", "'id': 3"),
    ("X-Api-Key: key-abcdef123456\nAccept: application/json", "key-abcdef123456", "Accept"),
]
SAFE_VALUES = [
    "Basic information about the order",
    "Bearer tokens are required for this endpoint",
    "max_tokens=1024&temperature=0.2",
    "the token expired at 10:00",
    "token_type: Bearer",
    "https://example.com/path?page=2",
    "mailto:bob@example.com",
    "task-1234567890abcdefghijklmnop",
    "ASIA is a continent, AKIA is not a word",
    "eyJ alone is not a JWT",
    "/home/user/project",
    "password_policy: strict",
    "prompt_tokens: 512",
]


@pytest.mark.parametrize(("text", "gone", "kept"), SECRET_VALUES)
def test_secret_values_inside_strings(text: str, gone: str, kept: str) -> None:
    value, paths = R.redact({"msg": text}, "output")
    assert gone not in value["msg"]
    assert REDACTED in value["msg"]
    assert kept in value["msg"]
    assert paths == ["output.msg"]


@pytest.mark.parametrize("text", SAFE_VALUES)
def test_safe_values_are_kept(text: str) -> None:
    assert R.redact({"msg": text}, "output") == ({"msg": text}, [])


def test_nested_paths_are_listed() -> None:
    payload = {
        "items": [{"id": 1}, {"id": 2}, {"token": "t-1", "name": "x"}],
        "headers": {"Authorization": "Bearer abc123def456", "Accept": "*/*"},
        "notes": ["fine", "call with sk-abcdefghijklmnopqrstuvwxyz"],
        "deep": {"a": {"b": {"client_secret": {"nested": "whole value goes"}}}},
    }
    value, paths = R.redact(payload, "input")
    assert paths == [
        "input.items[2].token",
        "input.headers.Authorization",
        "input.notes[1]",
        "input.deep.a.b.client_secret",
    ]
    assert value["items"][2] == {"token": REDACTED, "name": "x"}
    assert value["headers"]["Accept"] == "*/*"
    assert value["deep"]["a"]["b"]["client_secret"] == REDACTED
    assert payload["headers"]["Authorization"] == "Bearer abc123def456"  # caller's data intact


def test_values_that_cannot_hold_a_secret_stay() -> None:
    value, paths = R.redact({"password": None, "token": False, "secret": ""}, "input")
    assert value == {"password": None, "token": False, "secret": ""}
    assert paths == []


def test_secret_env_values_are_redacted_anywhere() -> None:
    env = {
        "MY_SERVICE_TOKEN": "svc-value-8c1f3e",
        "DATABASE_PASSWORD": "correct horse battery",
        "PWD": "/home/user/project",
        "TOKENIZERS_PARALLELISM": "false-but-long",
        "SHORT_SECRET": "abc",
    }
    red = Redactor(env=env)
    value, paths = red.redact(
        {
            "log": "connecting with svc-value-8c1f3e to db",
            "cmd": ["psql", "-p", "correct horse battery"],
            "cwd": "/home/user/project",
            "flag": "false-but-long",
            "tiny": "abc abc abc abc",
        },
        "output",
    )
    assert value["log"] == f"connecting with {REDACTED} to db"
    assert value["cmd"][2] == REDACTED
    assert value["cwd"] == "/home/user/project"
    assert value["flag"] == "false-but-long"
    assert value["tiny"] == "abc abc abc abc"
    assert paths == ["output.log", "output.cmd[2]"]


def test_bytes_are_scanned_too() -> None:
    value, paths = R.redact({"raw": b"Authorization: Bearer abc123def456\r\n"}, "output")
    assert paths == ["output.raw"]
    assert b"abc123def456" not in json.dumps(value).encode()


def test_extra_keys_and_patterns() -> None:
    red = Redactor(extra_keys=["customer-ref"], extra_patterns=[r"ACME-\d{6}", r"pin=(\d{4})"])
    value, paths = red.redact({"CustomerRef": "C-1", "note": "ACME-123456 pin=1234"}, "input")
    assert value == {"CustomerRef": REDACTED, "note": f"{REDACTED} pin={REDACTED}"}
    assert paths == ["input.CustomerRef", "input.note"]


def test_disabled_redactor_changes_nothing() -> None:
    red = Redactor(enabled=False)
    payload = {"password": "hunter2", "auth": "Bearer abc123def456"}
    assert red.redact(payload, "input") == (payload, [])


def test_environment_switches() -> None:
    assert not redactor_from_env({"FORENSICS_REDACT": "0"}).enabled
    red = redactor_from_env({"FORENSICS_REDACT_KEYS": "customer_ref, ssn"})
    assert red.enabled and red.is_secret_key("customerRef") and red.is_secret_key("SSN")


def test_secrets_never_reach_the_file(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "r", redaction=Redactor(env={"API_TOKEN": "tok-from-env-42"}))
    secrets = ["abc123def456", "hunter2", "AKIAIOSFODNN7EXAMPLE", "tok-from-env-42", "p4ss"]
    path = rec.record(
        "call_api",
        {"url": "https://u:p4ss@api.example.com", "password": "hunter2"},
        {"echo": "used tok-from-env-42", "key": "AKIAIOSFODNN7EXAMPLE"},
        "error",
        error={"type": "HTTPError", "message": "401 for Bearer abc123def456", "traceback": None},
        replay={"kind": "http", "method": "GET", "headers": {"Authorization": "Bearer x1"}},
        meta={"session": "abc"},
    )
    data = path.read_bytes()
    for secret in secrets:
        assert secret.encode() not in data, secret
    doc = json.loads(data)
    assert doc["redacted"] == [
        "input.url",
        "input.password",
        "output.echo",
        "output.key",
        "error.message",
        "replay.headers.Authorization",
        "meta.session",
    ]
    handle = rec.start_call(
        "call_api", {"token": "zzz-secret"}, replay={"headers": {"Cookie": "a=b"}}
    )
    handle.finish({"body": "ok"}, meta={"password": "pw"})
    final = json.loads(handle.path.read_text())
    assert final["redacted"] == ["input.token", "replay.headers.Cookie", "meta.password"]
    assert b"zzz-secret" not in handle.path.read_bytes()


def test_redaction_can_be_turned_off_per_recorder(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "r", redact=False)
    doc = json.loads(rec.record("t", {"password": "hunter2"}, None).read_text())
    assert doc["input"] == {"password": "hunter2"} and doc["redacted"] == []


def test_a_string_found_clean_is_redacted_once_the_environment_makes_it_secret(
    tmp_path: Path,
) -> None:
    """The clean-string cache is dropped when the rules change: a value seen clean before is
    redacted as soon as an environment variable makes it a secret."""
    from forensics_tui.capture import Recorder
    from forensics_tui.capture.redact import Redactor

    env: dict[str, str] = {}
    red = Redactor(env=env)
    rec = Recorder(tmp_path, "run1", redaction=red)
    value = "plain-looking-value-9f8e7d6c"
    first = rec.record("tool", {"a": value, "b": "another string here"})
    assert first is not None and value in first.read_text()
    assert value in red.clean_strings
    env["SERVICE_PASSWORD"] = value  # now a secret: the environment grew, rules rebuilt
    second = rec.record("tool", {"a": value, "b": "another string here"})
    assert second is not None and value not in second.read_text()
    assert value not in red.clean_strings


def test_a_suspicious_string_is_never_remembered_as_clean() -> None:
    from forensics_tui.capture.redact import Redactor

    red = Redactor(env={})
    secret = "Bearer abcdefghijklmnopqrstuvwxyz012345"
    for _ in range(3):
        assert red.suspicious_any(["hello there world", secret])
        assert secret not in red.clean_strings
    assert red.suspicious_any([secret])


def test_the_clean_string_cache_is_bounded() -> None:
    from forensics_tui.capture import redact

    red = redact.Redactor(env={})
    for n in range(redact.CLEAN_CACHE_MAX * 2):
        assert not red.suspicious_any([f"ordinary words number {n}"])
        assert len(red.clean_strings) <= redact.CLEAN_CACHE_MAX + 1
    long_text = "word " * (redact.CLEAN_CACHE_CHARS // 5 + 10)
    assert not red.suspicious_any([long_text])
    assert long_text not in red.clean_strings


def test_the_clean_string_cache_pauses_while_strings_do_not_repeat() -> None:
    """Remembering strings that never come back costs every call: once a full set served
    hardly any lookup, nothing is remembered for a while; repeating strings keep it."""
    from forensics_tui.capture import redact

    red = redact.Redactor(env={})
    n = 0
    for n in range(redact.CLEAN_CACHE_MAX + 2):  # all new: the set fills and goes unused
        assert not red.suspicious_any([f"ordinary words number {n}"])
    assert red.clean_strings == set()
    for m in range(redact.CLEAN_CACHE_PAUSE - 1):  # paused: scanned, not remembered
        assert not red.suspicious_any([f"other ordinary words {m}"])
        assert red.clean_strings == set()
    assert red.suspicious_any(["Authorization: Bearer abcdefghij0123456789"])  # still scanned
    for m in range(3):
        assert not red.suspicious_any([f"after the pause {m}"])
    assert "after the pause 2" in red.clean_strings  # remembering again

    again = redact.Redactor(env={})
    common = [f"a status that repeats {i}" for i in range(8)]
    for n in range(redact.CLEAN_CACHE_MAX * 3):  # half the strings repeat
        assert not again.suspicious_any([common[n % 8], f"fresh words {n}"])
    assert set(common) <= again.clean_strings


@given(
    words=st.sets(st.text(alphabet="abkst_-.@ \\(*?é", min_size=1, max_size=6), max_size=12),
    texts=st.lists(st.text(alphabet="abkst_-.@ \\(*?éxyz", max_size=40), max_size=5),
)
@settings(max_examples=400, deadline=None)
def test_the_anchor_scan_finds_exactly_the_words(words: set[str], texts: list[str]) -> None:
    """The every-call scan enters each word at its rarest character (behind a lookbehind for
    what precedes it): it must find a word wherever plain substring search does, and only
    there, whatever the words (an environment secret can hold any character)."""
    scan = re.compile(_anchor_scan(words))
    for text in texts:
        assert bool(scan.search(text)) == any(w in text for w in words)


def test_the_anchor_scan_of_the_default_rules() -> None:
    red = Redactor(env={})
    for text in ("Bearer abc", "the tOKen", "x@y", "ghp_123", "sk-9", "pass", "aiza"):
        assert red.suspicious(text), text
    for text in ("open tickets for the last 30 days", "Order #5000 arrived damaged"):
        assert not red.suspicious(text), text


def test_a_secret_set_in_os_environ_after_start_is_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rescan reads ``os.environ``'s raw store (names judged once, only secret-named
    values decoded): a secret exported after the recorder started, or changed in place, is
    still found."""
    monkeypatch.setenv("FTUI_TEST_PLAIN", "not-a-secret-at-all")
    rec = Recorder(tmp_path, "run1")
    assert rec.record("t", {"q": "before anything"}) is not None
    monkeypatch.setenv("FTUI_TEST_API_TOKEN", "tok-1234567890-abcdef")
    doc = json.loads(rec.record("t", {"q": "use tok-1234567890-abcdef now"}).read_text())
    assert "tok-1234567890-abcdef" not in json.dumps(doc) and doc["redacted"] == ["input.q"]
    monkeypatch.setenv("FTUI_TEST_API_TOKEN", "tok-0987654321-fedcba")  # same count of names
    assert rec.redactor is not None
    rec.redactor._env_next = 0.0  # the once-a-second recheck is due
    doc = json.loads(rec.record("t", {"q": "use tok-0987654321-fedcba now"}).read_text())
    assert "tok-0987654321-fedcba" not in json.dumps(doc)
    doc = json.loads(rec.record("t", {"q": "not-a-secret-at-all"}).read_text())
    assert doc["input"] == {"q": "not-a-secret-at-all"}
