"""The redaction battery: realistic secret shapes and look-alike non-secrets, each written
through the real recorder to real files; afterwards no secret is anywhere on disk (contents and
file names) and every look-alike is still there, unchanged.

Each case is ``(where, payload, secrets, kept)``: ``where`` is the recorder argument the
payload goes in (``input``, ``output``, ``error``, ``replay``, ``tool``), ``secrets`` the
substrings that must not reach the disk, ``kept`` the substrings that must.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.capture import REDACTED, Recorder, Redactor

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9"
PEM_BODY = "MIIEpAIBAAKCAQEA7x9c2a3B4d5E6f7G8h9I0j"
PGP_BODY = "lQOYBF7xq3kBCADH8nb2Vq1yZ4t0Ue"
BOT = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET_CASES: list[tuple[str, str, Any, list[str]]] = [
    # -- shell commands and curl output
    (
        "curl-bearer",
        "input",
        {"cmd": "curl -H 'Authorization: Bearer tk_9f8e7d6c5b4a3' https://api.x.io"},
        ["tk_9f8e7d6c5b4a3"],
    ),
    (
        "curl-token-scheme",
        "input",
        {"cmd": 'curl -H "Authorization: Token 7d6c5b4a39281706" api'},
        ["7d6c5b4a39281706"],
    ),
    (
        "curl-apikey-header",
        "input",
        {"cmd": "curl -H 'X-Api-Key: qwe123rty456uio789' https://x"},
        ["qwe123rty456uio789"],
    ),
    (
        "curl-v-output",
        "output",
        "> GET / HTTP/1.1\n> Authorization: Digest abcdef0123456789abcd\n< Set-Cookie: sid=s3ss10nV4lue99; Path=/",
        ["abcdef0123456789abcd", "s3ss10nV4lue99"],
    ),
    (
        "shell-export",
        "input",
        "export OPENAI_API_KEY=not-a-real-shape-1234567890 && run",
        ["not-a-real-shape-1234567890"],
    ),
    (
        "shell-env-prefix",
        "input",
        "PGPASSWORD=pgSecretValue77 psql -h db -U app",
        ["pgSecretValue77"],
    ),
    ("cli-flag-space", "input", "mysql --password hunter2hunter2 -h db", ["hunter2hunter2"]),
    ("cli-flag-eq", "input", "deploy --api-key=zz9plural7alpha", ["zz9plural7alpha"]),
    (
        "cli-token-flag",
        "input",
        "gh auth login --with-token --token ghtokenvalue9876",
        ["ghtokenvalue9876"],
    ),
    (
        "authorization-eq-token",
        "input",
        "Authorization=Token abcdEFGH12345678",
        ["abcdEFGH12345678"],
    ),
    (
        "authorization-json-token",
        "input",
        '{"Authorization": "Token abcdEFGH12345679"}',
        ["abcdEFGH12345679"],
    ),
    # -- config files
    ("ini-spaced", "input", "[db]\npassword = iniPassw0rd!!\nhost = db", ["iniPassw0rd!!"]),
    ("toml-quoted", "input", 'api_key = "tomlKeyValue12345"\nregion = "eu"', ["tomlKeyValue12345"]),
    (
        "yaml-line",
        "input",
        "client_secret: yamlSecretValue99\nclient_id: app",
        ["yamlSecretValue99"],
    ),
    ("dotenv", "input", "DB_PASSWORD=dotenvPass123\nDEBUG=1", ["dotenvPass123"]),
    (
        "properties-colon",
        "input",
        "aws_secret_access_key : wJalrXUtnFEMI/K7MDENG/bPxRfiCYEX",
        ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEX"],
    ),
    # -- URLs
    (
        "url-user-pass",
        "input",
        "postgres://admin:pgUrlPass42@db.internal:5432/app",
        ["pgUrlPass42"],
    ),
    ("url-pass-no-user", "input", "redis://:redisPw0rd77@cache:6379/0", ["redisPw0rd77"]),
    ("url-amqp", "input", "amqps://guest:amqpSecret55@mq.internal/vhost", ["amqpSecret55"]),
    (
        "url-mongodb-srv",
        "input",
        "mongodb+srv://u:m0ngoPassw@cluster0.x.mongodb.net/db",
        ["m0ngoPassw"],
    ),
    (
        "url-query-token",
        "input",
        "https://api.x.io/v1/items?access_token=queryTok3nValue&page=2",
        ["queryTok3nValue"],
    ),
    (
        "url-query-password",
        "input",
        "https://x.io/login?user=bob&password=qsPassw0rd9",
        ["qsPassw0rd9"],
    ),
    (
        "url-path-bot-token",
        "replay",
        {"kind": "http", "method": "POST", "url": f"https://api.telegram.org/bot{BOT}/sendMessage"},
        [BOT, "AAHdqTcvCH1vGWJx"],
    ),
    (
        "tool-name-bot-token",
        "tool",
        f"POST api.telegram.org/bot{BOT}/sendMessage",
        [BOT, "AAHdqTcvCH1vGWJx"],
    ),
    (
        "slack-webhook",
        "input",
        {"url": "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"},
        ["XXXXXXXXXXXXXXXXXXXXXXXX"],
    ),
    (
        "discord-webhook",
        "input",
        "https://discord.com/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz012345",
        ["AbCdEfGhIjKlMnOpQrStUvWxYz012345"],
    ),
    # -- cloud signatures and connection strings
    (
        "azure-sas",
        "input",
        "https://acct.blob.core.windows.net/c/f?sv=2022-11-02&sig=azSasSig%2BabcDEF123%3D",
        ["azSasSig%2BabcDEF123%3D"],
    ),
    (
        "aws-presigned",
        "input",
        "https://b.s3.amazonaws.com/k?X-Amz-Credential=x&X-Amz-Signature=9a8b7c6d5e4f3a2b1c0d",
        ["9a8b7c6d5e4f3a2b1c0d"],
    ),
    (
        "aws-security-token",
        "input",
        "https://b.s3.amazonaws.com/k?X-Amz-Security-Token=FwoGZXIvYXdzEHsessiontok",
        ["FwoGZXIvYXdzEHsessiontok"],
    ),
    (
        "gcs-signature",
        "input",
        "https://storage.googleapis.com/b/o?X-Goog-Signature=77aa88bb99cc00dd11ee",
        ["77aa88bb99cc00dd11ee"],
    ),
    (
        "azure-account-key",
        "input",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=azAcctKey+/abc123==;EndpointSuffix=core.windows.net",
        ["azAcctKey+/abc123=="],
    ),
    (
        "servicebus-sas-key",
        "input",
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=sbKeyValue123/+=",
        ["sbKeyValue123/+="],
    ),
    # -- header names
    (
        "apim-subscription-key",
        "input",
        {"headers": {"Ocp-Apim-Subscription-Key": "apimKey0123456789"}},
        ["apimKey0123456789"],
    ),
    (
        "functions-key",
        "input",
        {"headers": {"x-functions-key": "fnKeyValue98765"}},
        ["fnKeyValue98765"],
    ),
    (
        "dd-application-key",
        "input",
        {"headers": {"DD-APPLICATION-KEY": "ddAppKey00112233"}},
        ["ddAppKey00112233"],
    ),
    ("dd-api-key", "input", {"headers": {"DD-API-KEY": "ddApiKey44556677"}}, ["ddApiKey44556677"]),
    (
        "page-access-token",
        "input",
        {"page_access_token": "EAAGpageAccessTok"},
        ["EAAGpageAccessTok"],
    ),
    ("previous-password", "input", {"previous_password": "oldPassw0rd!"}, ["oldPassw0rd!"]),
    (
        "proxy-authorization",
        "input",
        {"Proxy-Authorization": "Basic cHJveHk6cHc="},
        ["cHJveHk6cHc="],
    ),
    ("x-auth-token", "input", {"X-Auth-Token": "xAuthTok3n5678"}, ["xAuthTok3n5678"]),
    ("csrf-token", "input", {"csrf_token": "csrfTok3nValue"}, ["csrfTok3nValue"]),
    ("upper-case-key", "input", {"API_KEY": "upperKeyValue1234"}, ["upperKeyValue1234"]),
    ("odd-case-key", "input", {"my_aPi_KeY": "oddCaseValue1234"}, ["oddCaseValue1234"]),
    ("shouty-camel", "input", {"ClientSECRET": "shoutySecret99"}, ["shoutySecret99"]),
    (
        "cookie-header",
        "input",
        {"Cookie": "session=cookieSess1234; theme=dark"},
        ["cookieSess1234"],
    ),
    # -- structure
    (
        "headers-list-of-pairs",
        "input",
        {"headers": [["Authorization", "pairAuthValue123"], ["Accept", "json"]]},
        ["pairAuthValue123"],
    ),
    (
        "headers-tuple-pairs",
        "replay",
        {"kind": "http", "url": "https://x.io", "headers": [["X-Api-Key", "tuplePairKey456"]]},
        ["tuplePairKey456"],
    ),
    (
        "name-value-objects",
        "input",
        {"arguments": {"headers": [{"name": "X-Api-Key", "value": "harStyleKey789"}]}},
        ["harStyleKey789"],
    ),
    (
        "mcp-proxy-args",
        "input",
        {"arguments": {"env": [["GITHUB_TOKEN", "mcpEnvTok3n99"]]}},
        ["mcpEnvTok3n99"],
    ),
    (
        "json-in-string",
        "output",
        {"body": json.dumps({"api_key": "jsonInStrKey11", "ok": True})},
        ["jsonInStrKey11"],
    ),
    (
        "json-in-json-in-string",
        "output",
        {"raw": json.dumps({"body": json.dumps({"password": "doubleEncPw22"})})},
        ["doubleEncPw22"],
    ),
    (
        "secret-as-dict-key",
        "output",
        {"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789": {"scopes": ["repo"]}},
        ["ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"],
    ),
    (
        "secret-as-nested-key",
        "output",
        {"tokens": {"sk-live-abcdefghijklmnopqrstuvwx": "active"}},
        ["sk-live-abcdefghijklmnopqrstuvwx"],
    ),
    (
        "error-message",
        "error",
        "401 for Authorization: Bearer errTok3n.abc-123",
        ["errTok3n.abc-123"],
    ),
    ("bytes-payload", "input", {"raw": b"password=bytesPassw0rd&x=1"}, ["bytesPassw0rd"]),
    # -- vendor shapes
    ("jwt", "output", {"note": f"token {JWT}"}, [JWT[:30]]),
    ("aws-akid", "output", "key AKIAIOSFODNN7EXAMPLE in the log", ["AKIAIOSFODNN7EXAMPLE"]),
    (
        "github-pat",
        "output",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
        ["github_pat_11ABCDEFG"],
    ),
    ("gitlab-pat", "output", "glpat-abcDEF1234567890xyzw", ["glpat-abcDEF1234567890xyzw"]),
    ("slack-bot", "output", "xoxb-123456789012-abcdefghijkl", ["xoxb-123456789012-abcdefghijkl"]),
    (
        "openai-project",
        "output",
        "sk-proj-abcdefghijklmnopqrstuvwx123",
        ["sk-proj-abcdefghijklmnopqrstuvwx123"],
    ),
    (
        "anthropic",
        "output",
        "sk-ant-api03-abcdefghijklmnopqrstuvwx",
        ["sk-ant-api03-abcdefghijklmnopqrstuvwx"],
    ),
    (
        "google-api",
        "output",
        "AIzaSyA1234567890abcdefghijklmnopqrstu",
        ["AIzaSyA1234567890abcdefghijklmnopqrstu"],
    ),
    (
        "google-oauth",
        "output",
        "ya29.a0AfH6SMBxyzABCDEFGHIJKLMNOP",
        ["ya29.a0AfH6SMBxyzABCDEFGHIJKLMNOP"],
    ),
    (
        "stripe-live",
        "output",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        ["sk_live_4eC39HqLyjWDarjtT1zdp7dc"],
    ),
    (
        "npm-token",
        "output",
        "npm_abcdefghijklmnopqrstuvwxyz0123456789",
        ["npm_abcdefghijklmnopqrstuvwxyz0123456789"],
    ),
    (
        "pypi-token",
        "output",
        "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1",
        ["pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoaWprbG1u"],
    ),
    (
        "huggingface",
        "output",
        "hf_abcdefghijklmnopqrstuvwxyzABCDEF",
        ["hf_abcdefghijklmnopqrstuvwxyzABCDEF"],
    ),
    (
        "sendgrid",
        "output",
        "SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        ["SG.abcdefghijklmnopqrstuv"],
    ),
    (
        "pem-rsa",
        "output",
        f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----",
        [PEM_BODY],
    ),
    (
        "pem-openssh",
        "output",
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}\n-----END OPENSSH PRIVATE KEY-----",
        [PEM_BODY],
    ),
    (
        "pgp-private",
        "output",
        f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{PGP_BODY}\n-----END PGP PRIVATE KEY BLOCK-----",
        [PGP_BODY],
    ),
    ("basic-credential", "input", "Basic dXNlcjpodW50ZXIy", ["dXNlcjpodW50ZXIy"]),
]
LOOKALIKE_CASES: list[tuple[str, str, Any, list[str]]] = [
    ("max-tokens", "input", {"max_tokens": 4096}, ['"max_tokens": 4096']),
    ("token-count", "output", {"token_count": 1234}, ['"token_count": 1234']),
    ("page-size", "input", {"page_size": 50}, ['"page_size": 50']),
    (
        "usage-block",
        "output",
        {"usage": {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42}},
        ['"prompt_tokens": 12', '"total_tokens": 42'],
    ),
    (
        "next-page-token",
        "output",
        {"next_page_token": "CAoQAA-cursor-2"},
        ['"next_page_token": "CAoQAA-cursor-2"'],
    ),
    ("tokenizer", "input", {"tokenizer": "cl100k_base_encoding"}, ["cl100k_base_encoding"]),
    (
        "token-type",
        "output",
        {"token_type": "Bearer", "expires_in": 3600},
        ['"token_type": "Bearer"', '"expires_in": 3600'],
    ),
    ("keyboard-layout", "input", {"keyboard": "qwerty-international"}, ["qwerty-international"]),
    ("sort-key", "input", {"key": "customer_id_ascending"}, ["customer_id_ascending"]),
    (
        "password-policy",
        "output",
        {"password_policy": "min 12 chars, 1 digit"},
        ["min 12 chars, 1 digit"],
    ),
    (
        "has-password",
        "output",
        {"has_password": True, "password_changed_at": "2026-01-02T03:04:05Z"},
        ['"has_password": true', "2026-01-02T03:04:05Z"],
    ),
    (
        "session-count",
        "output",
        {"session_count": 7, "session_timeout": 1800},
        ['"session_count": 7'],
    ),
    (
        "author",
        "input",
        {"author": "Ada Lovelace", "authority": "registry"},
        ["Ada Lovelace", "registry"],
    ),
    (
        "prose-token",
        "output",
        {"message": "the token expired yesterday, please refresh it"},
        ["the token expired yesterday, please refresh it"],
    ),
    (
        "prose-password",
        "output",
        {"message": "Password reset email sent to the user"},
        ["Password reset email sent to the user"],
    ),
    (
        "prose-authorization",
        "error",
        "Authorization header missing",
        ["Authorization header missing"],
    ),
    (
        "basic-prose",
        "output",
        {"text": "Basic usage of the API is free"},
        ["Basic usage of the API is free"],
    ),
    ("bearer-prose", "output", {"text": "the bearer of bad news"}, ["the bearer of bad news"]),
    (
        "url-without-credentials",
        "input",
        {"url": "postgres://db.internal:5432/app"},
        ["postgres://db.internal:5432/app"],
    ),
    (
        "url-user-only",
        "input",
        {"url": "ssh://git@github.com/org/repo.git"},
        ["ssh://git@github.com/org/repo.git"],
    ),
    (
        "url-port",
        "input",
        {"url": "https://example.com:8443/v1/items?page=2&limit=50"},
        ["https://example.com:8443/v1/items?page=2&limit=50"],
    ),
    (
        "commit-sha",
        "output",
        {"sha": "3f2a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a"},
        ["3f2a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a"],
    ),
    (
        "uuid",
        "output",
        {"id": "123e4567-e89b-12d3-a456-426614174000"},
        ["123e4567-e89b-12d3-a456-426614174000"],
    ),
    (
        "long-ordinary-key",
        "output",
        {"include_closed_tickets_from_archive": False},
        ["include_closed_tickets_from_archive"],
    ),
    (
        "json-in-string-counter",
        "output",
        {"body": json.dumps({"max_tokens": 100, "model": "x"})},
        ["max_tokens", "100"],
    ),
    (
        "pairs-not-secret",
        "input",
        {"headers": [["Accept", "application/json"], ["X-Request-Id", "req-12345678"]]},
        ["application/json", "req-12345678"],
    ),
    (
        "name-value-not-secret",
        "input",
        {"params": [{"name": "page_size", "value": "100"}]},
        ['"value": "100"'],
    ),
    (
        "tool-name-plain",
        "tool",
        "GET api.example.com/v1/orders/{id}",
        ["GET api.example.com/v1/orders/{id}"],
    ),
    ("isbn", "output", {"isbn": "978-3-16-148410-0"}, ["978-3-16-148410-0"]),
    (
        "cli-flags-plain",
        "input",
        "git log --format oneline --max-count 20",
        ["--format oneline", "--max-count 20"],
    ),
]


def _record(root: Path, where: str, payload: Any) -> None:
    rec = Recorder(root, "battery", redaction=Redactor(env={}))
    kw: dict[str, Any] = {"input": {"q": 1}, "output": {"ok": True}}
    tool = "battery_tool"
    if where == "tool":
        tool = payload
    elif where == "error":
        kw["error"] = RuntimeError(payload)
    elif where == "replay":
        kw["replay"] = payload
    else:
        kw[where] = payload
    path = rec.record(
        tool,
        kw["input"],
        kw["output"],
        "error" if where == "error" else "ok",
        error=kw.get("error"),
        replay=kw.get("replay"),
    )
    assert path is not None


def _disk(root: Path) -> str:
    """Every file's name and contents under ``root`` as one text."""
    parts = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            parts.append(name)
        for name in filenames:
            parts.append((Path(dirpath) / name).read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def _as_stored(text: str) -> list[str]:
    """``text`` as it may appear on disk: raw, JSON-escaped, or JSON-escaped twice."""
    once = json.dumps(text)[1:-1]
    return [text, once, json.dumps(once)[1:-1]]


def test_the_battery_is_big_enough() -> None:
    assert len(SECRET_CASES) + len(LOOKALIKE_CASES) >= 80
    assert len({name for name, *_ in SECRET_CASES + LOOKALIKE_CASES}) == len(
        SECRET_CASES + LOOKALIKE_CASES
    )


@pytest.mark.parametrize(
    ("name", "where", "payload", "secrets"), SECRET_CASES, ids=[c[0] for c in SECRET_CASES]
)
def test_no_secret_reaches_the_disk(
    tmp_path: Path, name: str, where: str, payload: Any, secrets: list[str]
) -> None:
    _record(tmp_path, where, payload)
    disk = _disk(tmp_path)
    leaked = [s for s in secrets for form in _as_stored(s) if form in disk]
    assert leaked == [], f"{name}: {leaked} on disk"
    assert REDACTED in disk or '"redacted":["' in disk  # bytes are stored base64


@pytest.mark.parametrize(
    ("name", "where", "payload", "kept"), LOOKALIKE_CASES, ids=[c[0] for c in LOOKALIKE_CASES]
)
def test_lookalikes_are_kept(
    tmp_path: Path, name: str, where: str, payload: Any, kept: list[str]
) -> None:
    _record(tmp_path, where, payload)
    disk = _disk(tmp_path)
    compact = [k.replace('": ', '":') for k in kept]  # fixtures are compact JSON
    missing = [k for k in compact if not any(form in disk for form in _as_stored(k))]
    assert missing == [], f"{name}: {missing} were redacted"
    assert REDACTED not in disk


def test_the_marker_is_stable(tmp_path: Path) -> None:
    """The same secret redacts to the same bytes every time, so redacted fixtures still diff
    and replay (no per-run hashes or random ids in the marker)."""
    for run in ("a", "b"):
        rec = Recorder(tmp_path, run, redaction=Redactor(env={}))
        rec.record("t", {"api_key": "k-123456789", "cmd": "Bearer abc.def-123456"}, None, "ok")
    a, b = (json.loads(next((tmp_path / r).glob("0*.json")).read_text()) for r in ("a", "b"))
    assert a["input"] == b["input"] == {"api_key": REDACTED, "cmd": f"Bearer {REDACTED}"}


def test_a_secret_env_var_set_after_the_recorder_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LATE_SERVICE_TOKEN", raising=False)
    rec = Recorder(tmp_path, "late")  # the default redactor reads os.environ
    rec.record("before", {"q": "nothing yet"}, None, "ok")
    monkeypatch.setenv("LATE_SERVICE_TOKEN", "late-loaded-by-dotenv-42")  # load_dotenv()
    rec.record("after", {"note": "sent late-loaded-by-dotenv-42 upstream"}, None, "ok")
    assert "late-loaded-by-dotenv-42" not in _disk(tmp_path)


def test_assert_replays_failure_output_is_redacted(tmp_path: Path) -> None:
    from forensics_tui.core.storage.loader import load_fixture
    from forensics_tui.testing import assert_replays

    rec = Recorder(tmp_path, "replays", redaction=Redactor(env={}))
    path = rec.record("lookup", {"q": 1}, {"status": "ok", "api_key": "old-key-1234567"}, "ok")
    fixture = load_fixture(path)

    def live(q: int) -> dict[str, Any]:
        return {"status": "changed", "api_key": "live-key-7654321", "note": "Bearer live.tok-99887"}

    with pytest.raises(AssertionError) as failed:
        assert_replays(fixture, live)
    message = str(failed.value)
    assert "status" in message and "changed" in message
    assert "live-key-7654321" not in message and "live.tok-99887" not in message
