"""The pinned transport keeps TLS right: it connects to the checked address, yet the SNI it
sends and the certificate it verifies are the URL's host name.  A real TLS server on
127.0.0.1 with a certificate for ``sni.test`` made by the ``openssl`` command."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from forensics_tui.core.reexec.transport import pinned_transport

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path, list[str | None]]]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "1", "-subj", "/CN=sni.test",
         "-addext", "subjectAltName=DNS:sni.test"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    names: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            body = self.headers.get("Host", "").encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.append(name)  # type: ignore[assignment]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield int(httpd.server_address[1]), cert, names
    httpd.shutdown()
    httpd.server_close()


def test_sni_and_certificate_follow_the_name_not_the_address(
    tls_server: tuple[int, Path, list[str | None]],
) -> None:
    port, cert, names = tls_server
    trust = ssl.create_default_context(cafile=str(cert))
    transport = pinned_transport("sni.test", ["127.0.0.1"], total_s=10, ssl_context=trust)
    with httpx.Client(transport=transport, trust_env=False) as client:
        response = client.get(f"https://sni.test:{port}/")
    assert response.status_code == 200
    assert response.text == f"sni.test:{port}"  # the Host header
    assert names == ["sni.test"]  # the SNI
    assert transport.backend.connected == ["127.0.0.1"]


def test_another_host_through_the_same_transport_is_refused(
    tls_server: tuple[int, Path, list[str | None]],
) -> None:
    port, cert, _ = tls_server
    trust = ssl.create_default_context(cafile=str(cert))
    transport = pinned_transport("sni.test", ["127.0.0.1"], total_s=10, ssl_context=trust)
    with (
        httpx.Client(transport=transport, trust_env=False) as client,
        pytest.raises(httpx.ConnectError, match=r"only sni\.test was checked"),
    ):
        client.get(f"https://other.test:{port}/")
