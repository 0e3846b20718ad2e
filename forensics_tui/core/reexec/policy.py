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
from typing import Any
from urllib.parse import SplitResult, urlsplit

from forensics_tui.core.config import Config

__all__ = [
    "ALLOW_HOSTS_ENV",
    "METADATA_HOSTS",
    "ReexecPolicy",
    "host_refusal",
    "is_metadata_host",
    "normalise_host",
    "resolve_checked",
    "resolved_metadata_refusal",
    "url_target",
]

ALLOW_HOSTS_ENV = "FORENSICS_REEXEC_ALLOW_HOSTS"
METADATA_HOSTS: frozenset[str] = frozenset(
    {
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle (IMDS)
        "169.254.170.2",  # AWS ECS task credentials
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure WireServer
        "192.0.0.192",  # Oracle Cloud (legacy)
        "metadata.google.internal",
        "metadata.goog",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
    }
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
    secret_hosts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # path -> hosts
    timeout_s: float = 10.0
    max_response_bytes: int = 10 * 1024 * 1024
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)
    resolver: Any = field(default=None, repr=False)  # (host, port) -> [address]; None: system

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
            secret_hosts={k: tuple(v) for k, v in config.reexec_secret_hosts.items()},
            timeout_s=float(timeout_s if timeout_s is not None else config.reexec_timeout_s),
            max_response_bytes=int(config.reexec_max_response_bytes),
            env=env,
        )


def _ascii_host(host: str) -> str:
    """The ASCII form httpx connects to: IDNA 2008 (the ``idna`` package, as httpx encodes
    hosts), never Python's IDNA 2003 codec, which folds ``ß`` to ``ss`` and would judge
    ``straße.test`` as ``strasse.test`` while httpx connects to ``xn--strae-oqa.test``.

    A name IDNA 2008 refuses (full-width digits, ``。`` dots, ignorable characters) gets its
    NFKC-folded form with a ``!`` prefix: it can never match an allowlist entry, and the folded
    part still shows a metadata address for what it is."""
    if host.isascii():
        return host
    import idna

    try:
        return str(idna.encode(host.lower()).decode("ascii"))
    except (idna.IDNAError, UnicodeError):
        folded = unicodedata.normalize("NFKC", host).translate(_DOTS)
        return "!" + "".join(c for c in folded if c not in _IGNORABLE)


def url_target(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` exactly as httpx will connect: its own URL parser (so no
    parser differential between the check and the send), its IDNA encoding, its default
    ports.  ``ValueError`` says why there is no such target, including an internationalised
    name that does not round-trip (its ASCII form does not decode back to what was written)."""
    import httpx

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise ValueError(f"the URL cannot be parsed ({exc})") from None
    scheme = parsed.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"scheme {scheme or '(none)'!r} is not http or https")
    host = parsed.raw_host.decode("ascii").lower()
    if not host:
        raise ValueError("the URL has no host")
    written = urlsplit(url).hostname or ""
    if not written.isascii() or "xn--" in host:
        import idna

        try:
            back = idna.decode(host)
        except (idna.IDNAError, UnicodeError):
            raise ValueError(f"host {host} is not a valid internationalised name") from None
        if (
            written
            and not written.isascii()
            and back != unicodedata.normalize("NFC", written.lower())
        ):
            raise ValueError(f"host {written!r} does not round-trip through IDNA ({host})")
    return scheme, host, parsed.port or _DEFAULT_PORTS[scheme]


def normalise_host(host: str) -> str:
    """Lower-case, ASCII (IDNA), no trailing dot, no IPv6 brackets or zone id; legacy IPv4
    forms (``0xa9fea9fe``, ``2852039166``) and IPv4 embedded in IPv6 (mapped, compatible,
    NAT64) become dotted quads so they cannot dodge a check."""
    host = _ascii_host(host.strip()).strip().lower().rstrip(".")
    if host.startswith("!"):  # not valid IDNA 2008: never matches, still recognisable
        return "!" + normalise_host(host[1:])
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
    """A cloud metadata endpoint: the known names and addresses, and all of IPv4 link-local
    (169.254/16)."""
    host = host.lstrip("!")
    if host in METADATA_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host) in _LINK_LOCAL_V4
    except ValueError:
        return False


def resolved_metadata_refusal(host: str, allow_hosts: Iterable[str]) -> str | None:
    """Refuse a host *name* that resolves to a metadata address, unless named exactly.

    A check only; the send uses ``resolve_checked``, whose answers are also the addresses it
    connects to (a second lookup could answer differently: DNS rebinding).
    """
    try:
        resolve_checked(host, 0, allow_hosts)
    except ValueError as exc:
        return None if str(exc).startswith("cannot resolve") else str(exc)
    return None


def resolve_checked(
    host: str, port: int, allow_hosts: Iterable[str], resolver: Any = None
) -> list[str]:
    """Resolve ``host`` once and judge every answer; the addresses to connect to.

    An address literal is its own answer.  ``ValueError`` when the name does not resolve or an
    answer is a cloud metadata address that the allowlist does not name exactly.  ``resolver``
    (``(host, port) -> [address, ...]``, default the system's) is where tests plug in answers
    that change between lookups.
    """
    bare = host.strip("[]").split("%", 1)[0]
    try:
        ipaddress.ip_address(bare)
        return [bare]  # judged as written by host_refusal
    except ValueError:
        pass
    if resolver is None:
        resolver = system_resolver
    try:
        answers = list(resolver(host, port))
    except (OSError, UnicodeError) as exc:
        raise ValueError(f"cannot resolve {host}: {exc}") from None
    if not answers:
        raise ValueError(f"cannot resolve {host}: no addresses")
    named = {_split_entry(entry)[0] for entry in allow_hosts}
    for answer in answers:
        address = normalise_host(str(answer).split("%", 1)[0])
        if is_metadata_host(address) and host not in named and address not in named:
            raise ValueError(
                f"host {host} resolves to {address}, a cloud metadata address; refused unless "
                "named exactly with --allow-host"
            )
    return [str(a).split("%", 1)[0] for a in answers]


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses of ``host`` from the system resolver, in its order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


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
    if _effective_port(parts) is None:
        return "the URL has an invalid port"
    try:  # judge the host httpx will connect to, not another parser's idea of it
        _, connected, port = url_target(url)
    except ValueError as exc:
        if is_metadata_host(normalise_host(parts.hostname)):
            return (
                f"host {normalise_host(parts.hostname)} is a cloud metadata endpoint; refused "
                "unless named exactly with --allow-host"
            )
        return str(exc)
    host = normalise_host(connected)
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
