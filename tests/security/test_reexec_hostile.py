"""Re-executing hostile replay specs: every trick URL or header is refused, or sent safely to a
real server on 127.0.0.1 that proves nothing was smuggled; dry runs print only escaped text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from forensics_tui.cli.main import cli
from forensics_tui.core.reexec import reexecute
from forensics_tui.core.reexec.policy import host_refusal
from tests.reexec.conftest import LocalServer, _start, http_replay, make_fixture, policy_for
from tests.security.hostile import assert_ascii_json, assert_terminal_safe


@pytest.fixture
def server() -> Iterator[LocalServer]:
    state = _start()
    yield state
    state.server.shutdown()
    state.server.server_close()


METADATA_SPELLINGS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[::169.254.169.254]/",  # IPv4-compatible
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64
    "http://2852039166/",
    "http://0xa9fea9fe/",
    "http://0251.0376.0251.0376/",
    "http://169.254.169.254./",
    "http://169.254.169.254\u3002/",  # ideographic full stop: httpx maps it to "."
    "http://\uff11\uff16\uff19.\uff12\uff15\uff14.\uff11\uff16\uff19.\uff12\uff15\uff14/",
    "http://METADATA.google.internal./",
    "http://metadata\u00ad.google.internal/",  # soft hyphen, ignored by IDNA
    "http://\u24dcetadata/",  # circled m
    "http://[fd00:ec2::254%25eth0]/",  # zone id
    "http://169.254.170.2/v2/credentials",  # ECS task metadata, same link-local range
    "http://x@169.254.169.254/",
    "http://evil.example\\@169.254.169.254/",
]


@pytest.mark.parametrize("url", METADATA_SPELLINGS)
def test_metadata_spellings_refused_even_by_wildcard(url: str) -> None:
    reason = host_refusal(url, ["*"])
    assert reason is not None and "metadata" in reason, reason


@pytest.mark.parametrize(
    ("url", "allow"),
    [
        ("http://127.0.0.1@evil.example/", "127.0.0.1"),  # userinfo, then the real host
        ("http://127.0.0.1%2f@evil.example/", "127.0.0.1"),
        ("http://127.0.0.1:80\\@evil.example/", "127.0.0.1"),
        ("http://\u0440\u0430\u0443\u0440\u0430l.com/", "paypal.com"),  # Cyrillic homograph
        ("http://paypal.com.evil.example/", "paypal.com"),
        ("http://evilpaypal.com/", "*.paypal.com"),
        ("http://127.0.0.1\t.evil/", "127.0.0.1"),
        ("file:///etc/passwd", "*"),
        ("gopher://127.0.0.1:25/", "*"),
        ("http:///nohost", "*"),
        ("http://127.0.0.1:99999/", "*"),
    ],
)
def test_trick_urls_refused(url: str, allow: str) -> None:
    assert host_refusal(url, [allow]) is not None


def test_homograph_allowed_only_when_named_in_the_same_script() -> None:
    homograph = "http://\u0440\u0430\u0443\u0440\u0430l.com/"
    assert host_refusal(homograph, ["\u0440\u0430\u0443\u0440\u0430l.com"]) is None
    assert host_refusal(homograph, ["paypal.com"]) is not None


def _original(root: Path, replay: dict[str, Any]) -> Path:
    return make_fixture(root, replay=replay, redacted=[])


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"X-A": "v\r\nX-Injected: 1"}, "line break"),
        ({"X-A": "v\nX-Injected: 1"}, "line break"),
        ({"X-A": "v\x1b[2J\x07"}, "control character"),
        ({"X-A": "v\x00"}, "control character"),
        ({"X-A": "caf\u00e9\u202e"}, "not ASCII"),
        ({"X-A\r\nX-Injected": "1"}, "invalid header name"),
        ({"X A": "1"}, "invalid header name"),
        ({"\x1b[2J": "1"}, "invalid header name"),
        ({"Host": "evil.example"}, "another host"),
    ],
)
def test_hostile_headers_refused_and_nothing_sent(
    tmp_path: Path, server: LocalServer, headers: dict[str, str], why: str
) -> None:
    path = _original(tmp_path, http_replay(server.url("/ok"), headers=headers))
    result = reexecute(path, root=tmp_path, policy=policy_for("127.0.0.1"), confirm=lambda r: True)
    assert result.status == "refused" and why in (result.reason or ""), result.reason
    assert server.requests == []
    assert_ascii_json(json.dumps(result.to_json(), ensure_ascii=True))


@pytest.mark.parametrize(
    "method", ["GET /x HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET", "G\x1bT", "GET\x00", "", "G E T"]
)
def test_hostile_methods_refused(tmp_path: Path, server: LocalServer, method: str) -> None:
    path = _original(tmp_path, http_replay(server.url("/ok"), method=method, headers={}))
    result = reexecute(path, root=tmp_path, policy=policy_for("127.0.0.1"), confirm=lambda r: True)
    if method:
        assert result.status == "refused" and "not an HTTP method" in (result.reason or "")
    else:  # no method recorded: GET
        assert result.status == "ok" and server.requests[0].method == "GET"
    assert all("X-Injected" not in r.headers for r in server.requests)


@pytest.mark.parametrize(
    "suffix",
    [
        "/ok\r\nX-Injected: 1\r\n",
        "/ok HTTP/1.1\r\nX-Injected: 1\r\n\r\n",
        "/ok?q=\r\nX-Injected:%201",
        "/ok\x1b[2J\x07",
        "/ok#\r\nX-Injected: 1",
        "/ok/\u202e/[bold]x[/]",
    ],
)
def test_crlf_and_escapes_in_url_never_reach_the_wire(
    tmp_path: Path, server: LocalServer, suffix: str
) -> None:
    url = f"http://127.0.0.1:{server.port}{suffix}"
    path = _original(tmp_path, http_replay(url, headers={}))
    result = reexecute(path, root=tmp_path, policy=policy_for("127.0.0.1"), confirm=lambda r: True)
    for seen in server.requests:
        assert "X-Injected" not in seen.headers
        assert not any(c in seen.path for c in "\r\n\x1b\x07 ")
    assert result.status in ("ok", "error", "refused", "timeout"), result.status
    assert_ascii_json(json.dumps(result.to_json(), ensure_ascii=True))


def test_userinfo_is_not_a_way_to_another_host(tmp_path: Path, server: LocalServer) -> None:
    url = f"http://evil.example@127.0.0.1:{server.port}/ok"  # the host really is 127.0.0.1
    path = _original(tmp_path, http_replay(url, headers={}))
    result = reexecute(path, root=tmp_path, policy=policy_for("127.0.0.1"), confirm=lambda r: True)
    assert result.status == "ok" and len(server.requests) == 1
    url = f"http://127.0.0.1:{server.port}@evil.example/ok"  # the host is evil.example
    path = _original(tmp_path / "b", http_replay(url, headers={}))
    result = reexecute(path, root=tmp_path, policy=policy_for("127.0.0.1"), confirm=lambda r: True)
    assert result.status == "refused" and len(server.requests) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://[fe80::1%25\x1b[2J]/",
        "http://127.0.0.1:1/\x1b]52;c;ZXZpbA==\x07[bold red]x[/]\u202e",
        "http://169.254.169.254\u3002/\x1b[2J",
        "http://\x1b[2J.example/",
    ],
)
def test_dry_run_and_refusals_are_sanitised(tmp_path: Path, url: str) -> None:
    replay = http_replay(url, headers={"X-Note": "[@click=app.quit]q[/]"}, body="\x1b[2J\r\u202e")
    path = _original(tmp_path, replay)
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "FORENSICS_REEXEC_ALLOW_HOSTS": ""}
    for extra in ([], ["--json"]):
        argv = ["reexec", "--dir", str(tmp_path), "--allow-host", "*", "--dry-run", *extra]
        result = CliRunner().invoke(cli, [*argv, str(path)], env=env)
        assert result.exit_code in (0, 1), result.output
        assert_terminal_safe(result.output)
        if extra:
            assert_ascii_json(result.stdout)
        elif result.exit_code == 0:
            assert "[@click=app.quit]q[/]" in result.stdout
