"""An httpx transport that connects only to the addresses that were checked, within a deadline.

Checking a host name and then letting the HTTP client resolve it again is a DNS-rebinding
hole: the name can answer 127.0.0.1 to the check and 169.254.169.254 to the connection.  So the
name is resolved once (``resolve_checked``), the answers are judged, and the transport's network
backend connects to exactly those addresses.  The URL keeps the name, so the ``Host`` header,
TLS SNI and certificate checks are unchanged.

The same backend enforces one deadline over the whole exchange: every connect, read and write
gets at most the time left, so a server trickling one header line at a time cannot outlive it
(httpx's own timeouts are per operation).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import httpcore

__all__ = ["Resolver", "pinned_transport"]

Resolver = Callable[[str, int], list[str]]


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, backend: _PinnedBackend) -> None:
        self._inner = inner
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self._inner.read(max_bytes, self._backend.left(timeout, httpcore.ReadTimeout))
        except httpcore.ReadTimeout:
            self._backend.left(None, httpcore.ReadTimeout)  # say "in total" when that is why
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            self._inner.write(buffer, self._backend.left(timeout, httpcore.WriteTimeout))
        except httpcore.WriteTimeout:
            self._backend.left(None, httpcore.WriteTimeout)
            raise

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        left = self._backend.left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, left), self._backend
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    def __init__(self, host: str, addresses: Sequence[str], deadline: float, total: float) -> None:
        self._inner = httpcore.SyncBackend()
        self.host = host
        self.addresses = tuple(addresses)
        self.deadline = deadline
        self.total = total
        self.connected: list[str] = []

    def left(self, timeout: float | None, error: type[Exception]) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise error(f"the exchange took longer than {self.total:g}s in total")
        return remaining if timeout is None else min(timeout, remaining)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if host.strip("[]").lower() != self.host:
            raise httpcore.ConnectError(
                f"refusing to connect to {host}: only {self.host} was checked"
            )
        last: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in self.addresses:
            try:
                stream = self._inner.connect_tcp(
                    address,
                    port,
                    self.left(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            self.connected.append(address)
            return _DeadlineStream(stream, self)
        raise last

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by re-execution")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def pinned_transport(
    host: str, addresses: Sequence[str], *, total_s: float, ssl_context: Any = None
) -> Any:
    """An ``httpx.HTTPTransport`` that reaches ``host`` only at ``addresses``, all within
        ``total_s``; its ``backend.connected`` lists the address used.  ``ssl_context`` defaults to
    httpx's (system CAs, hostname checked against the URL's host).  httpx is imported here, not
        at module import: it loads rich, which the core must not pull in."""
    import httpx

    backend = _PinnedBackend(host, addresses, time.monotonic() + total_s, total_s)
    transport = httpx.HTTPTransport(trust_env=False, retries=0)
    transport._pool = httpcore.ConnectionPool(  # the same pool httpx builds, on our backend
        ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
        max_connections=1,
        http1=True,
        http2=False,
        retries=0,
        network_backend=backend,
    )
    transport.backend = backend  # type: ignore[attr-defined]
    return transport
