"""The safety settings of one re-execution, and the host allowlist that guards every send.

A ``ReexecPolicy`` gathers everything that decides what may be sent: the allowlist (config
``[reexec] allow_hosts``, ``$FORENSICS_REEXEC_ALLOW_HOSTS`` and ``--allow-host``), the python
modules that may be called, the secret mapping, the timeout, the response size cap, and the
environment secrets are read from.  Keeping the environment here (instead of reading
``os.environ`` deep inside) lets the demo and the tests pass their own without mutating the
process.

Allowlist entries: ``name`` matches that host on any port, ``name:port`` only that port
(``[v6addr]:port`` for IPv6), ``*.example.com`` any subdomain, ``*`` any host.  The cloud metadata
endpoints (the known names, and all of IPv4 link-local 169.254/16) are refused unless an entry
names them exactly: a wildcard never reaches them, whatever spelling the URL uses (full-width
digits, ``。`` dots, IPv4 inside IPv6, IPv6 zone ids).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from forensics_tui.core.config import Config

__all__ = [
    "ALLOW_HOSTS_ENV",
    "METADATA_HOSTS",
    "ReexecPolicy",
    "host_refusal",
    "is_metadata_host",
    "normalise_host",
    "resolved_metadata_refusal",
]

ALLOW_HOSTS_ENV = "FORENSICS_REEXEC_ALLOW_HOSTS"
METADATA_HOSTS: frozenset[str] = frozenset(
    {"169.254.169.254", "metadata.google.internal", "fd00:ec2::254", "metadata"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_IGNORABLE = frozenset("\u00ad\u034f\u180b\u180c\u180d\u200b\u200c\u200d\u2060\ufeff")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LINK_LOCAL_V4 = ipaddress.ip_network("169.254.0.0/16")


@dataclass(frozen=True, slots=True)
class ReexecPolicy:
    """What a re-execution may do; build one with ``from_config`` or directly in tests."""

    allow_hosts: tuple[str, ...] = ()
    python_modules: tuple[str, ...] = ()
    mcp_commands: tuple[str, ...] = ()  # programs an ``mcp`` replay spec may start
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
            mcp_commands=tuple(config.reexec_mcp_commands),
            secrets=dict(config.reexec_secrets),
            timeout_s=float(timeout_s if timeout_s is not None else config.reexec_timeout_s),
            max_response_bytes=int(config.reexec_max_response_bytes),
            env=env,
        )


def _ascii_host(host: str) -> str:
    """The ASCII form an HTTP client would resolve: IDNA for non-ASCII names, so full-width
    digits, ideographic full stops (``。``) and ignorable characters (soft hyphen) cannot make
    ``169.254.169.254`` or ``metadata`` look like another host."""
    if host.isascii():
        return host
    folded = unicodedata.normalize("NFKC", host).translate(_DOTS)
    folded = "".join(c for c in folded if c not in _IGNORABLE)
    try:
        return folded.encode("idna").decode("ascii")
    except UnicodeError:
        return folded


def normalise_host(host: str) -> str:
    """Lower-case, ASCII (IDNA), no trailing dot, no IPv6 brackets or zone id; legacy IPv4
    forms (``0xa9fea9fe``, ``2852039166``) and IPv4 embedded in IPv6 (mapped, compatible,
    NAT64) become dotted quads so they cannot dodge a check."""
    host = _ascii_host(host.strip()).strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    bare = host.split("%", 1)[0] if ":" in host else host  # fe80::1%eth0 -> fe80::1
    try:
        addr = ipaddress.ip_address(bare)
    except ValueError:
        if host and all(c in "0123456789abcdefx." for c in host):
            try:
                return socket.inet_ntoa(socket.inet_aton(host))
            except OSError:
                return host
        return host
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(addr)
        if embedded is not None:
            return str(embedded)
    return str(addr)


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    value = int(addr)
    if addr in _NAT64 or (value >> 32 == 0 and value > 0xFFFF):  # 64:ff9b::/96, ::a.b.c.d
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def is_metadata_host(host: str) -> bool:
    """A cloud metadata endpoint: the known names, and all of IPv4 link-local (169.254/16)."""
    if host in METADATA_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host) in _LINK_LOCAL_V4
    except ValueError:
        return False


def resolved_metadata_refusal(host: str, allow_hosts: Iterable[str]) -> str | None:
    """Refuse a host *name* that resolves to a metadata address, unless named exactly.

    ``host_refusal`` judges the URL as written; this closes the gap where an allowlisted name
    (or a wildcard) points at 169.254.169.254 in DNS.  It runs just before sending.
    """
    try:
        ipaddress.ip_address(host)
        return None  # an address literal was judged by host_refusal already
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None  # unresolvable: the send itself reports the connection error
    named = {_split_entry(entry)[0] for entry in allow_hosts}
    for info in infos:
        address = normalise_host(str(info[4][0]).split("%", 1)[0])
        if is_metadata_host(address) and host not in named and address not in named:
            return (
                f"host {host} resolves to {address}, a cloud metadata address; refused unless "
                "named exactly with --allow-host"
            )
    return None


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
    metadata = is_metadata_host(host)
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
