"""The safety settings of one re-execution, and the host allowlist that guards every send.

A ``ReexecPolicy`` gathers everything that decides what may be sent: the allowlist (config
``[reexec] allow_hosts``, ``$FORENSICS_REEXEC_ALLOW_HOSTS`` and ``--allow-host``), the python
modules that may be called, the secret mapping, the timeout, the response size cap, and the
environment secrets are read from.  Keeping the environment here (instead of reading
``os.environ`` deep inside) lets the demo and the tests pass their own without mutating the
process.

Allowlist entries: ``name`` matches that host on any port, ``name:port`` only that port
(``[v6addr]:port`` for IPv6), ``*.example.com`` any subdomain, ``*`` any host.  The cloud metadata
endpoints are refused unless an entry names them exactly: a wildcard never reaches them.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from forensics_tui.core.config import Config

__all__ = [
    "ALLOW_HOSTS_ENV",
    "METADATA_HOSTS",
    "ReexecPolicy",
    "host_refusal",
    "normalise_host",
]

ALLOW_HOSTS_ENV = "FORENSICS_REEXEC_ALLOW_HOSTS"
METADATA_HOSTS: frozenset[str] = frozenset(
    {"169.254.169.254", "metadata.google.internal", "fd00:ec2::254", "metadata"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class ReexecPolicy:
    """What a re-execution may do; build one with ``from_config`` or directly in tests."""

    allow_hosts: tuple[str, ...] = ()
    python_modules: tuple[str, ...] = ()
    secrets: Mapping[str, str] = field(default_factory=dict)  # redacted path -> env var name
    timeout_s: float = 10.0
    max_response_bytes: int = 10 * 1024 * 1024
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)

    @classmethod
    def from_config(
        cls,
        config: Config,
        *,
        allow_hosts: Iterable[str] = (),
        timeout_s: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ReexecPolicy:
        """Config settings, plus ``$FORENSICS_REEXEC_ALLOW_HOSTS`` and explicit extra hosts."""
        env = dict(os.environ) if env is None else dict(env)
        from_env = [h.strip() for h in env.get(ALLOW_HOSTS_ENV, "").split(",") if h.strip()]
        hosts = [*config.reexec_allow_hosts, *from_env, *allow_hosts]
        return cls(
            allow_hosts=tuple(dict.fromkeys(h.strip() for h in hosts if h.strip())),
            python_modules=tuple(config.reexec_python_modules),
            secrets=dict(config.reexec_secrets),
            timeout_s=float(timeout_s if timeout_s is not None else config.reexec_timeout_s),
            max_response_bytes=int(config.reexec_max_response_bytes),
            env=env,
        )


def normalise_host(host: str) -> str:
    """Lower-case, no trailing dot, no IPv6 brackets; legacy IPv4 forms (``0xa9fea9fe``,
    ``2852039166``) and IPv4-mapped IPv6 become dotted quads so they cannot dodge a check."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        if host and all(c in "0123456789abcdefx." for c in host):
            try:
                return socket.inet_ntoa(socket.inet_aton(host))
            except OSError:
                return host
        return host
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


def _split_entry(entry: str) -> tuple[str, int | None]:
    entry = entry.strip()
    if entry.startswith("["):  # [v6]:port or [v6]
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return normalise_host(host), int(port) if port.isdigit() else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        if port.isdigit():
            return normalise_host(host), int(port)
    return normalise_host(entry), None  # a bare name, or a bare IPv6 address


def _effective_port(parts: SplitResult) -> int | None:
    try:
        port = parts.port
    except ValueError:
        return None
    return port if port is not None else _DEFAULT_PORTS.get(parts.scheme.lower())


def host_refusal(url: str, allow_hosts: Iterable[str]) -> str | None:
    """Why ``url`` may not be contacted, or None when it may (http(s) and allowlisted)."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"the URL cannot be parsed ({exc})"
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return f"scheme {scheme or '(none)'!r} is not http or https"
    if not parts.hostname:
        return "the URL has no host"
    host = normalise_host(parts.hostname)
    port = _effective_port(parts)
    if port is None:
        return "the URL has an invalid port"
    metadata = host in METADATA_HOSTS
    for entry in allow_hosts:
        pattern, entry_port = _split_entry(entry)
        if entry_port is not None and entry_port != port:
            continue
        if pattern == host:
            return None
        if metadata:
            continue  # wildcards never reach the cloud metadata endpoints
        if pattern == "*" or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return None
    if metadata:
        return (
            f"host {host} is a cloud metadata endpoint; refused unless named exactly "
            "with --allow-host"
        )
    return (
        f"host {host}:{port} is not on the allowlist "
        "(config [reexec] allow_hosts, $FORENSICS_REEXEC_ALLOW_HOSTS, or --allow-host)"
    )
