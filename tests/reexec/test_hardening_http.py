"""Re-execution that cannot be steered: IDNA, DNS rebinding, metadata addresses, decompression
bombs, a total deadline, the audit line before the send, secrets in error text and bound to
hosts, safe methods, and what ``--yes`` / ``--dry-run`` report.

Everything is a real HTTP server on 127.0.0.x.  DNS is the one thing that cannot answer
differently for a test name here, so ``socket.getaddrinfo`` is hooked for the test names only.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from forensics_tui.cli.main import cli
from forensics_tui.core.reexec import AUDIT_FILE, Refused, execute, prepare, send
from forensics_tui.core.reexec.policy import host_refusal
from forensics_tui.core.storage.loader import load_fixture

from .conftest import SECRET, all_bytes_under, http_replay, make_fixture, policy_for

Handler = Callable[[BaseHTTPRequestHandler], None]


class Server:
    """A real HTTP server on ``address``; ``handler(request)`` answers, requests are kept."""

    def __init__(self, address: str, port: int, handler: Handler) -> None:
        self.seen: list[dict[str, Any]] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.seen.append({"path": self.path, "headers": dict(self.headers.items())})
                with contextlib.suppress(OSError):
                    handler(self)

            do_POST = do_PURGE = do_OPTIONS = do_GET

        self.httpd = ThreadingHTTPServer((address, port), H)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(handler: Handler, address: str = "127.0.0.1", port: int = 0) -> Server:
        server = Server(address, port, handler)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def _reply(req: BaseHTTPRequestHandler, body: bytes, ctype: str = "application/json") -> None:
    req.send_response(200)
    req.send_header("Content-Type", ctype)
    req.send_header("Content-Length", str(len(body)))
    req.end_headers()
    req.wfile.write(body)


def _ok(req: BaseHTTPRequestHandler) -> None:
    _reply(req, b'{"ok": true}')


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """``answers[name]`` is a queue of addresses: each lookup of ``name`` takes the next one
    (the last repeats), as a rebinding DNS server would answer."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def lookup(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        queue = answers.get(name.lower().rstrip("."))
        if queue is None:
            return real(host, port, *args, **kwargs)
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return answers


def _fixture(root: Path, url: str, **kw: Any) -> Any:
    path = make_fixture(root, replay=http_replay(url, **kw), redacted=["replay.headers.Auth"])
    fixture = load_fixture(path)
    assert not isinstance(fixture, str)
    return fixture


# -- 1. IDNA ---------------------------------------------------------------------------------


def test_idna_2003_folding_does_not_pass_the_allowlist(
    tmp_path: Path, servers: Any, fake_dns: dict[str, list[str]]
) -> None:
    server = servers(_ok)
    fake_dns["xn--strae-oqa.test"] = ["127.0.0.1"]
    fake_dns["strasse.test"] = ["127.0.0.1"]
    fixture = _fixture(tmp_path, f"http://straße.test:{server.port}/ok")
    assert "not on the allowlist" in (host_refusal(fixture.replay["url"], ["strasse.test"]) or "")
    with pytest.raises(Refused, match=r"xn--strae-oqa\.test"):
        prepare(fixture, policy_for("strasse.test"))
    assert server.seen == []
    # allowed under the name httpx really connects to, it goes there with that Host
    policy = policy_for("straße.test")
    outcome = send(prepare(fixture, policy), policy)
    assert outcome.status == "ok", outcome.error
    assert server.seen[0]["headers"]["Host"] == f"xn--strae-oqa.test:{server.port}"


def test_names_that_are_not_idna_2008_are_refused() -> None:
    for url in ("http://ＡＢＣ.test/", "http://a\u200bb.test/", "http://１２７.0.0.1/"):
        assert host_refusal(url, ["*"]) is not None, url


# -- 2. DNS rebinding and metadata addresses ---------------------------------------------------


def test_dns_rebinding_connects_to_the_checked_address(
    tmp_path: Path, servers: Any, fake_dns: dict[str, list[str]]
) -> None:
    internal = servers(lambda r: _reply(r, b'{"credentials": "AKIA-internal"}'), "127.0.0.2")
    public = servers(_ok, "127.0.0.1", internal.port)
    fake_dns["rebind.test"] = ["127.0.0.1", "127.0.0.2"]  # first lookup, then every later one
    fixture = _fixture(tmp_path, f"http://rebind.test:{public.port}/latest")
    policy = policy_for("rebind.test")
    outcome = send(prepare(fixture, policy), policy)
    assert outcome.status == "ok", outcome.error
    assert internal.seen == [] and len(public.seen) == 1
    assert public.seen[0]["headers"]["Host"] == f"rebind.test:{public.port}"
    assert outcome.details["connected_to"] == ["127.0.0.1"]


def test_a_name_answering_a_metadata_address_is_refused(
    tmp_path: Path, fake_dns: dict[str, list[str]]
) -> None:
    fake_dns["cloud.test"] = ["100.100.100.200"]
    fixture = _fixture(tmp_path, "http://cloud.test/latest/meta-data/")
    policy = policy_for("*")
    outcome = send(prepare(fixture, policy), policy)
    assert outcome.error and outcome.error["type"] == "Refused"
    assert "metadata" in outcome.error["message"]


@pytest.mark.parametrize(
    "host",
    [
        "100.100.100.200",
        "[fd00:ec2::254]",
        "169.254.170.2",
        "168.63.129.16",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data.ec2.internal",
    ],
)
def test_cloud_metadata_addresses_need_an_exact_entry(host: str) -> None:
    url = f"http://{host}/computeMetadata/v1/"
    assert "metadata" in (host_refusal(url, ["*"]) or "")
    assert host_refusal(url, [host]) is None


# -- 4. decompression bombs --------------------------------------------------------------------


def _bomb(encoding: str) -> bytes:
    zeros = b"\0" * (100 * 1024 * 1024)
    if encoding == "gzip":
        return gzip.compress(zeros, compresslevel=9)
    import zstandard

    return zstandard.ZstdCompressor(level=19).compress(zeros)


@pytest.mark.parametrize("encoding", ["gzip", "zstd"])
def test_a_compressed_bomb_is_decoded_under_the_cap(
    tmp_path: Path, servers: Any, encoding: str
) -> None:
    payload = _bomb(encoding)

    def bomb(req: BaseHTTPRequestHandler) -> None:  # compresses whatever was asked for
        req.send_response(200)
        req.send_header("Content-Type", "application/octet-stream")
        req.send_header("Content-Encoding", encoding)
        req.send_header("Content-Length", str(len(payload)))
        req.end_headers()
        req.wfile.write(payload)

    server = servers(bomb)
    fixture = _fixture(tmp_path, f"http://127.0.0.1:{server.port}/bomb")
    policy = policy_for("127.0.0.1", max_response_bytes=1_000_000)
    request = prepare(fixture, policy)
    tracemalloc.start()
    try:
        outcome = send(request, policy)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert server.seen[0]["headers"]["Accept-Encoding"] == "identity"
    assert outcome.status == "ok" and outcome.truncated
    assert len(outcome.output["body"]) <= 1_000_000
    assert peak < 30_000_000, f"peak {peak / 1e6:.0f} MB for a 1 MB cap"


# -- 5. one deadline for the whole exchange; the audit line first -------------------------------


def test_trickling_headers_hit_the_total_deadline(tmp_path: Path, servers: Any) -> None:
    def trickle(req: BaseHTTPRequestHandler) -> None:
        req.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for n in range(40):
            req.wfile.write(b"X-Slow-%d: y\r\n" % n)
            req.wfile.flush()
            time.sleep(0.25)
        req.wfile.write(b"Content-Length: 0\r\n\r\n")

    server = servers(trickle)
    fixture = _fixture(tmp_path, f"http://127.0.0.1:{server.port}/trickle")
    policy = policy_for("127.0.0.1", timeout_s=0.5)  # 1.5 s in total
    start = time.monotonic()
    outcome = send(prepare(fixture, policy), policy)
    assert time.monotonic() - start < 5
    assert outcome.status == "timeout" and "in total" in outcome.error["message"]


def test_the_audit_line_is_written_before_the_request_arrives(tmp_path: Path, servers: Any) -> None:
    root = tmp_path / "root"
    seen_audit: list[list[dict[str, Any]]] = []

    def check_audit(req: BaseHTTPRequestHandler) -> None:
        lines = (root / AUDIT_FILE).read_text().splitlines() if (root / AUDIT_FILE).exists() else []
        seen_audit.append([json.loads(line) for line in lines])
        _ok(req)

    server = servers(check_audit)
    fixture = _fixture(root, f"http://127.0.0.1:{server.port}/ok")
    policy = policy_for("127.0.0.1")
    result = execute(fixture, prepare(fixture, policy), root=root, policy=policy)
    assert result.status == "ok"
    (before,) = seen_audit[0]
    assert before["phase"] == "sending" and before["request"]["method"] == "GET"
    lines = (root / AUDIT_FILE).read_text().splitlines()
    assert [json.loads(line)["phase"] for line in lines] == ["sending", "result"]


def test_an_audit_log_that_cannot_be_written_means_nothing_is_sent(
    tmp_path: Path, servers: Any
) -> None:
    root = tmp_path / "root"
    server = servers(_ok)
    fixture = _fixture(root, f"http://127.0.0.1:{server.port}/ok")
    victim = tmp_path / "victim.rc"
    victim.write_text("# rc\n")
    (root / AUDIT_FILE).symlink_to(victim)
    policy = policy_for("127.0.0.1")
    result = execute(fixture, prepare(fixture, policy), root=root, policy=policy)
    assert not result.sent and "audit" in (result.reason or "")
    assert server.seen == [] and victim.read_text() == "# rc\n"


# -- 6. secrets in error text ------------------------------------------------------------------


def test_a_secret_with_a_control_character_is_never_sent(tmp_path: Path, servers: Any) -> None:
    server = servers(_ok)
    fixture = _fixture(tmp_path, f"http://127.0.0.1:{server.port}/ok")
    policy = policy_for("127.0.0.1", env={"FORENSICS_SECRET_AUTHORIZATION": f"Bearer {SECRET}\r"})
    with pytest.raises(Refused, match="control character") as caught:
        prepare(fixture, policy)
    assert SECRET not in str(caught.value)
    assert server.seen == []


@pytest.mark.parametrize("form", ["bytes-repr", "repr", "json-ascii", "percent", "token"])
def test_every_echoed_form_of_a_secret_is_scrubbed(tmp_path: Path, servers: Any, form: str) -> None:
    from urllib.parse import quote

    value = 'Bearer to"ken\\' + SECRET

    def echo(req: BaseHTTPRequestHandler) -> None:
        auth = req.headers.get("Authorization", "")
        shown = {
            "bytes-repr": repr(auth.encode("utf-8")),
            "repr": repr(auth),
            "json-ascii": json.dumps(auth),
            "percent": quote(auth, safe=""),
            "token": auth.split()[-1],
        }[form]
        _reply(req, f"you sent {shown}".encode(), "text/plain")

    root = tmp_path / "root"
    server = servers(echo)
    fixture = _fixture(root, f"http://127.0.0.1:{server.port}/echo")
    policy = policy_for("127.0.0.1", env={"FORENSICS_SECRET_AUTHORIZATION": value})
    result = execute(fixture, prepare(fixture, policy), root=root, policy=policy)
    assert result.sent and server.seen
    on_disk = all_bytes_under(root)
    assert SECRET.encode() not in on_disk
    assert SECRET not in json.dumps(result.outcome.output) + json.dumps(result.to_json())


# -- 7. secrets bound to hosts -----------------------------------------------------------------


def test_a_secret_bound_to_a_host_goes_nowhere_else(tmp_path: Path, servers: Any) -> None:
    server = servers(_ok)
    fixture = _fixture(tmp_path, f"http://127.0.0.1:{server.port}/ok")
    bound = {"replay.headers.Authorization": ("api.notify.test",)}
    with pytest.raises(Refused, match=r"may only be sent to api\.notify\.test"):
        prepare(fixture, policy_for("127.0.0.1", secret_hosts=bound))
    here = {"replay.headers.Authorization": (f"127.0.0.1:{server.port}",)}
    request = prepare(fixture, policy_for("127.0.0.1", secret_hosts=here))
    shown = request.describe()
    assert f"from $FORENSICS_SECRET_AUTHORIZATION -> sent to 127.0.0.1:{server.port}" in shown


def test_secret_host_binding_from_the_config_file(tmp_path: Path, servers: Any) -> None:
    server = servers(_ok)
    root = tmp_path / "root"
    path = make_fixture(root, replay=http_replay(f"http://127.0.0.1:{server.port}/ok"))
    config = tmp_path / "config.toml"
    config.write_text(
        '[reexec.secrets]\n"replay.headers.Authorization" = '
        '{ env = "NOTIFY_TOKEN", hosts = ["api.notify.test"] }\n'
    )
    env = {
        "FORENSICS_CONFIG": str(config),
        "NOTIFY_TOKEN": f"Bearer {SECRET}",
        "FORENSICS_FIXTURE_DIR": "",
    }
    args = ["reexec", str(path), "--yes", "--allow-host", "127.0.0.1", "--dir", str(root)]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 1 and "may only be sent to api.notify.test" in result.stderr
    assert server.seen == []


# -- 8. methods, --yes, --dry-run ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "safe"),
    [("GET", True), ("HEAD", True), ("OPTIONS", True), ("PURGE", False), ("LOCK", False)],
)
def test_only_get_head_options_are_safe(tmp_path: Path, method: str, safe: bool) -> None:
    fixture = _fixture(tmp_path, "http://127.0.0.1:9/x", method=method)
    request = prepare(fixture, policy_for("127.0.0.1"))
    assert request.idempotent is safe and request.needs_typed_confirmation is not safe


def test_dry_run_shows_the_request_a_policy_refuses(tmp_path: Path) -> None:
    root = tmp_path / "root"
    path = make_fixture(root, replay=http_replay("http://api.elsewhere.test/v1/items?id=7"))
    env = {"FORENSICS_CONFIG": str(tmp_path / "none.toml"), "FORENSICS_FIXTURE_DIR": ""}
    result = CliRunner().invoke(
        cli, ["reexec", str(path), "--dry-run", "--dir", str(root)], env=env
    )
    assert result.exit_code == 1
    assert "GET http://api.elsewhere.test/v1/items?id=7" in result.stdout
    assert "<secret $FORENSICS_SECRET_AUTHORIZATION>" in result.stdout
    assert "would be refused" in result.stderr and "not on the allowlist" in result.stderr


def test_a_non_ascii_header_secret_is_refused_before_sending(tmp_path: Path) -> None:
    fixture = _fixture(tmp_path, "http://127.0.0.1:9/ok")
    policy = policy_for("127.0.0.1", env={"FORENSICS_SECRET_AUTHORIZATION": "Bearer tök-" + SECRET})
    with pytest.raises(Refused, match="not ASCII") as caught:
        prepare(fixture, policy)
    assert SECRET not in str(caught.value)
