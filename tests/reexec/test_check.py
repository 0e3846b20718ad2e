"""Refusals before anything is sent, host allowlist rules, secret sources and the request shown."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from forensics_tui.core.config import Config
from forensics_tui.core.model import Fixture
from forensics_tui.core.reexec import ReexecPolicy, Refused, check, host_refusal, prepare
from forensics_tui.core.reexec.secrets_fill import default_env_name
from forensics_tui.core.storage.loader import load_fixture

from .conftest import SECRET, http_replay, make_fixture, policy_for


def _fixture(tmp_path: Path, **kw: object) -> Fixture:
    loaded = load_fixture(make_fixture(tmp_path, **kw))  # type: ignore[arg-type]
    assert isinstance(loaded, Fixture), loaded
    return loaded


# -- host allowlist ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "allow", "allowed"),
    [
        ("http://api.example.com/x", ["api.example.com"], True),
        ("http://api.example.com:8080/x", ["api.example.com"], True),  # a name: any port
        ("http://api.example.com:8080/x", ["api.example.com:8080"], True),
        ("http://api.example.com:9090/x", ["api.example.com:8080"], False),  # only that port
        ("https://api.example.com/x", ["api.example.com:443"], True),  # default port counts
        ("http://API.Example.com./x", ["api.example.com"], True),
        ("http://evil.com/x", ["api.example.com"], False),
        ("http://api.example.com.evil.com/x", ["api.example.com"], False),
        ("http://a.corp.example/x", ["*.corp.example"], True),
        ("http://corp.example.evil/x", ["*.corp.example"], False),
        ("http://[::1]:8000/x", ["[::1]:8000"], True),
        ("http://[::1]:8000/x", ["::1"], True),
        ("http://127.0.0.1:1/x", [], False),
    ],
)
def test_host_allowlist(url: str, allow: list[str], allowed: bool) -> None:
    assert (host_refusal(url, allow) is None) is allowed


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[fd00:ec2::254]/latest/",
        "http://0xa9fea9fe/latest/",  # 169.254.169.254 spelled as one hex number
        "http://2852039166/latest/",  # ... and as a decimal
        "http://[::ffff:169.254.169.254]/",
    ],
)
def test_metadata_endpoints_refused_even_by_wildcard(url: str) -> None:
    reason = host_refusal(url, ["*"])
    assert reason is not None and "metadata" in reason


def test_metadata_endpoint_allowed_only_when_named_exactly() -> None:
    url = "http://169.254.169.254/latest/"
    assert host_refusal(url, ["169.254.169.254"]) is None


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://h/x", "gopher://h/", "/relative"])
def test_non_http_schemes_refused(url: str) -> None:
    reason = host_refusal(url, ["*", "h"])
    assert reason is not None and "scheme" in reason


def test_allowlist_from_config_env_and_flag() -> None:
    config = Config(reexec_allow_hosts=["a.example"])
    env = {"FORENSICS_REEXEC_ALLOW_HOSTS": " b.example , c.example:81 "}
    policy = ReexecPolicy.from_config(config, allow_hosts=["d.example"], env=env)
    assert policy.allow_hosts == ("a.example", "b.example", "c.example:81", "d.example")


# -- refusals of check() ----------------------------------------------------------------------


def test_no_replay_spec(tmp_path: Path) -> None:
    reason = check(_fixture(tmp_path, replay=None), policy_for("127.0.0.1"))
    assert reason is not None and "no replay spec" in reason


def test_unknown_kind(tmp_path: Path) -> None:
    reason = check(_fixture(tmp_path, replay={"kind": "carrier-pigeon"}), policy_for("*"))
    assert reason is not None and "unknown replay kind 'carrier-pigeon'" in reason


def test_host_not_allowed(tmp_path: Path) -> None:
    fixture = _fixture(tmp_path, replay=http_replay("http://127.0.0.1:8765/crm"))
    reason = check(fixture, policy_for("api.example.com"))
    assert reason is not None and "not on the allowlist" in reason
    assert check(fixture, policy_for("127.0.0.1:8765")) is None


def test_missing_secret(tmp_path: Path) -> None:
    fixture = _fixture(
        tmp_path,
        replay=http_replay("http://127.0.0.1:8765/crm"),
        redacted=["replay.headers.Authorization"],
    )
    reason = check(fixture, policy_for("127.0.0.1", env={}))
    assert reason is not None
    assert "replay.headers.Authorization" in reason
    assert "FORENSICS_SECRET_AUTHORIZATION" in reason


def test_secret_inside_larger_string_needs_a_mapping(tmp_path: Path) -> None:
    url = "http://svc:[REDACTED]@127.0.0.1:8765/crm?key=[REDACTED]"
    fixture = _fixture(tmp_path, replay=http_replay(url, headers={}))
    env = {"FORENSICS_SECRET_URL": "pw", "SVC_PASS": "p@ss/w:rd"}
    reason = check(fixture, policy_for("127.0.0.1", env=env))
    assert reason is not None and "inside a larger string" in reason
    mapped = policy_for("127.0.0.1", env=env, secrets={"replay.url": "SVC_PASS"})
    request = prepare(fixture, mapped)
    # Percent-encoded on the wire, so a secret cannot change where the request goes.
    assert request.wire_url() == (
        "http://svc:p%40ss%2Fw%3Ard@127.0.0.1:8765/crm?key=p%40ss%2Fw%3Ard"
    )
    assert "p@ss" not in request.describe() and "$SVC_PASS" in request.describe()


def test_redacted_host_is_refused(tmp_path: Path) -> None:
    fixture = _fixture(tmp_path, replay=http_replay("http://[REDACTED]/x", headers={}))
    policy = policy_for("*", env={"X": "127.0.0.1"}, secrets={"replay.url": "X"})
    reason = check(fixture, policy)
    assert reason is not None and "host" in reason


def test_host_header_pointing_elsewhere_is_refused(tmp_path: Path) -> None:
    replay = http_replay("http://127.0.0.1:8765/x", headers={"Host": "internal.admin"})
    reason = check(_fixture(tmp_path, replay=replay), policy_for("127.0.0.1"))
    assert reason is not None and "Host" in reason


def test_header_injection_is_refused(tmp_path: Path) -> None:
    replay = http_replay("http://127.0.0.1:8765/x", headers={"X-A": "a\r\nX-Evil: 1"})
    reason = check(_fixture(tmp_path, replay=replay), policy_for("127.0.0.1"))
    assert reason is not None and "line break" in reason


def test_pending_call_is_refused(tmp_path: Path) -> None:
    fixture = _fixture(tmp_path, status="pending", replay=http_replay("http://127.0.0.1/x"))
    reason = check(fixture, policy_for("127.0.0.1"))
    assert reason is not None and "pending" in reason


# -- secret sources ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "env"),
    [
        ("replay.headers.Authorization", "FORENSICS_SECRET_AUTHORIZATION"),
        ("replay.headers.X-Api-Key", "FORENSICS_SECRET_X_API_KEY"),
        ("input.items[2].token", "FORENSICS_SECRET_TOKEN"),
    ],
)
def test_default_env_name(path: str, env: str) -> None:
    assert default_env_name(path) == env


def test_config_mapping_wins_over_default_name(tmp_path: Path) -> None:
    fixture = _fixture(tmp_path, replay=http_replay("http://127.0.0.1:8765/x"))
    env = {"NOTIFY_TOKEN": "from-mapping", "FORENSICS_SECRET_AUTHORIZATION": "from-default"}
    policy = policy_for(
        "127.0.0.1", env=env, secrets={"replay.headers.authorization": "NOTIFY_TOKEN"}
    )
    request = prepare(fixture, policy)
    assert ("Authorization", "from-mapping") in request.wire_headers()
    assert [(s["path"], s["env"]) for s in request.secret_sources] == [
        ("replay.headers.Authorization", "NOTIFY_TOKEN")
    ]
    assert request.secret_sources[0]["to"].startswith("127.0.0.1:")


# -- the request shown for confirmation -------------------------------------------------------


def test_describe_masks_and_names_the_source(tmp_path: Path) -> None:
    replay = http_replay("http://127.0.0.1:8765/crm/C-1042", method="post", json={"a": 1})
    request = prepare(_fixture(tmp_path, replay=replay), policy_for("127.0.0.1"))
    text = request.describe()
    assert SECRET not in text
    assert text.splitlines()[0] == "POST http://127.0.0.1:8765/crm/C-1042"
    assert "Authorization: <secret $FORENSICS_SECRET_AUTHORIZATION>" in text
    assert '{"a":1}' in text
    assert "NOT idempotent" in text
    assert request.idempotent is False and request.needs_typed_confirmation
    assert SECRET not in str(request.to_json()) and SECRET not in repr(request)


def test_get_is_idempotent(tmp_path: Path) -> None:
    request = prepare(
        _fixture(tmp_path, replay=http_replay("http://127.0.0.1:1/x")), policy_for("127.0.0.1")
    )
    assert request.idempotent and not request.needs_typed_confirmation


def test_curl_line_reads_secrets_from_the_environment(tmp_path: Path) -> None:
    replay = http_replay("http://127.0.0.1:8765/x?q=a b", method="PUT", body="it's")
    request = prepare(_fixture(tmp_path, replay=replay), policy_for("127.0.0.1"))
    line = request.curl_line(timeout_s=5, max_bytes=100)
    assert SECRET not in line
    assert '"${FORENSICS_SECRET_AUTHORIZATION}"' in line
    assert "-L" not in shlex.split(line)  # never follows redirects
    # The line is valid shell: bash expands it with the secret from its own environment.
    env = {"FORENSICS_SECRET_AUTHORIZATION": "Bearer xyz", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        ["bash", "-c", f"printf '%s\\n' {line.removeprefix('curl ')}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert "Authorization: Bearer xyz" in out
    assert "it's" in out and "http://127.0.0.1:8765/x?q=a b" in out
    assert out[out.index("-X") + 1] == "PUT"


def test_hostile_strings_are_escaped_in_the_description(tmp_path: Path) -> None:
    replay = http_replay("http://127.0.0.1:1/x", headers={}, body="a\x1b]52;c;AAAA\x07b")
    request = prepare(_fixture(tmp_path, replay=replay), policy_for("127.0.0.1"))
    assert "\x1b" not in request.describe() and "\\x1b" in request.describe()
    assert "\x1b" not in request.curl_line()
    # a header carrying one is refused outright (see tests/security/test_reexec_hostile.py)
    bad = http_replay("http://127.0.0.1:1/x", headers={"X-Note": "a\x1b]52;c;AAAA\x07b"})
    with pytest.raises(Refused, match="control character"):
        prepare(_fixture(tmp_path, replay=bad), policy_for("127.0.0.1"))


def test_refused_is_an_exception_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(Refused, match="no replay spec"):
        prepare(_fixture(tmp_path, replay=None), policy_for("*"))
