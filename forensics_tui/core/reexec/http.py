"""The ``http`` replay kind: rebuild the recorded request and send it once with httpx.

Sending is deliberately narrow: redirects are never followed (the 3xx is the answer, and no
credential reaches another host), proxies, ``.netrc`` and other environment settings are ignored
(``trust_env=False``), the host is resolved once and the connection goes to the checked address
(``transport``), one deadline covers the whole exchange, ``Accept-Encoding: identity`` is sent
and whatever encoding still arrives is decoded under the size cap (``decode``), and the body is
cut at the cap (``truncated``).  Failures of the target (401, refused connection, timeout) are outcomes to
record, never exceptions.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from forensics_tui.core.reexec.decode import decode_body
from forensics_tui.core.reexec.kinds import Outcome, Refused
from forensics_tui.core.reexec.policy import (
    host_refusal,
    normalise_host,
    resolve_checked,
    url_target,
)
from forensics_tui.core.reexec.request import Request
from forensics_tui.core.reexec.secrets_fill import MARKER, check_secret_hosts, fill_secrets

if TYPE_CHECKING:
    from forensics_tui.core.model import Fixture
    from forensics_tui.core.reexec.policy import ReexecPolicy

__all__ = ["HttpExecutor"]

_METHOD = re.compile(r"[A-Za-z]{1,16}")
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # HTAB is allowed
_PLACEHOLDER = re.compile("\u27e6secret-[^\u27e7]*\u27e7")
_COMPUTED_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "host"})
TOTAL_TIME_FACTOR = 3  # the whole exchange within 3 x the timeout (as curl --max-time)
_KEPT_RESPONSE_HEADERS = ("content-type", "content-length", "location", "retry-after")


def _host_port(url: str) -> str:
    """``host:port`` exactly as httpx will connect (IDNA 2008 ASCII host, default port)."""
    try:
        _, host, port = url_target(url)
    except ValueError:
        parts = urlsplit(url)
        return f"!{normalise_host(parts.hostname or '')}:{parts.port or ''}"
    return f"{normalise_host(host)}:{port}"


def _headers(spec: Any, url: str) -> list[tuple[str, str]]:
    if spec is None:
        return []
    if isinstance(spec, dict):
        pairs = list(spec.items())
    elif isinstance(spec, list) and all(isinstance(p, list | tuple) and len(p) == 2 for p in spec):
        pairs = [(p[0], p[1]) for p in spec]
    else:
        raise Refused("replay.headers is neither an object nor a list of [name, value] pairs")
    out: list[tuple[str, str]] = []
    for name, value in pairs:
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise Refused(f"replay.headers has an invalid header name {name!r}")
        text = value if isinstance(value, str) else json.dumps(value)
        if "\r" in text or "\n" in text:
            raise Refused(f"replay.headers.{name} contains a line break")
        recorded = _PLACEHOLDER.sub("", text)  # what the fixture says, secrets aside
        if _HEADER_CONTROL.search(recorded):
            raise Refused(f"replay.headers.{name} contains a control character")
        if not recorded.isascii():
            raise Refused(f"replay.headers.{name} is not ASCII (HTTP headers are sent as ASCII)")
        if name.lower() == "host":
            if normalise_host(text.split(":")[0]) != normalise_host(urlsplit(url).hostname or ""):
                raise Refused("replay.headers.Host names another host than the URL")
            continue
        if name.lower() not in _COMPUTED_HEADERS:
            out.append((name, text))
    return out


class HttpExecutor:
    """``{"kind": "http", "method", "url", "headers", "json" | "body"}``."""

    kind = "http"

    def build(self, fixture: Fixture, policy: ReexecPolicy) -> Request:
        recorded_url = fixture.replay.get("url") if fixture.replay else None
        if not isinstance(recorded_url, str) or not recorded_url:
            raise Refused("replay.url is missing")
        # Where it goes is decided before any secret is looked up, from the URL as recorded.
        authority = re.split(r"[/?#]", recorded_url.partition("://")[2], maxsplit=1)[0]
        if MARKER in authority.rpartition("@")[2]:
            raise Refused("the URL's host itself was redacted; refusing to guess where to send")
        # (brackets in a redacted password would read as an IPv6 host to urlsplit)
        reason = host_refusal(recorded_url.replace(MARKER, "REDACTED"), policy.allow_hosts)
        if reason:
            raise Refused(reason)
        spec, fills = fill_secrets(fixture.replay, "replay", policy.secrets, policy.env)
        method = spec.get("method") or "GET"
        if not isinstance(method, str) or not _METHOD.fullmatch(method):
            raise Refused(f"replay.method {method!r} is not an HTTP method")
        url = spec["url"]
        headers = _headers(spec.get("headers"), url)
        notes = ["redirects are not followed"]
        body: str | None = None
        is_json = False
        payload = spec.get("json", spec.get("body"))
        if "json" in spec or isinstance(payload, dict | list):
            body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
            is_json = True
            if not any(k.lower() == "content-type" for k, _ in headers):
                headers.append(("Content-Type", "application/json"))
        elif payload is not None:
            body = payload if isinstance(payload, str) else json.dumps(payload)
        for fill in fills:  # a header value goes out as ASCII; say which secret, not its value
            if not fill.value.isascii() and any(fill.placeholder in v for _, v in headers):
                raise Refused(
                    f"${fill.env_var} (for {fill.path}) is not ASCII; refusing to send it"
                )
        if not any(k.lower() == "accept-encoding" for k, _ in headers):
            headers.append(("Accept-Encoding", "identity"))  # no decompression bomb
        notes.append("httpx adds Host, Accept, User-Agent, Content-Length")
        host = _host_port(url)
        check_secret_hosts(fills, url, policy.secret_hosts)
        return Request(
            kind="http",
            method=method.upper(),
            target=url,
            headers=headers,
            body=body,
            body_is_json=is_json,
            fills=tuple(fills),
            host=host,
            notes=tuple(notes),
        )

    def send(self, request: Request, policy: ReexecPolicy) -> Outcome:
        import httpx  # lazily: importing the core stays cheap (httpx loads rich)

        from forensics_tui.core.reexec.transport import pinned_transport

        url = request.wire_url()
        if _host_port(url) != request.host:
            return Outcome("error", error=_err("Refused", "a secret changed the URL's host"))
        start = time.perf_counter()
        total = policy.timeout_s * TOTAL_TIME_FACTOR
        try:
            _, host, port = url_target(url)
            addresses = resolve_checked(host, port, policy.allow_hosts, policy.resolver)
        except ValueError as exc:
            kind = "Refused" if "metadata" in str(exc) else "ConnectError"
            return Outcome("error", error=_err(kind, str(exc)), duration_ms=_ms(start))
        transport = pinned_transport(host, addresses, total_s=total)
        cap = policy.max_response_bytes
        try:
            with httpx.Client(
                follow_redirects=False, trust_env=False, transport=transport
            ) as client:
                req = client.build_request(
                    request.method,
                    url,
                    headers=request.wire_headers(),
                    content=request.wire_body(),
                    timeout=httpx.Timeout(policy.timeout_s),
                )
                response = client.send(req, stream=True)
                try:
                    raw, truncated = bytearray(), False
                    for chunk in response.iter_raw():
                        raw += chunk
                        if len(raw) > cap:  # on the wire
                            del raw[cap:]
                            truncated = True
                            break
                finally:
                    response.close()
        except httpx.TimeoutException as exc:
            message = str(exc) or f"no answer within {policy.timeout_s:g}s"
            return Outcome(
                "timeout", error=_err(type(exc).__name__, message), duration_ms=_ms(start)
            )
        except (httpx.HTTPError, httpx.InvalidURL, ValueError, OSError) as exc:
            return Outcome(
                "error", error=_err(type(exc).__name__, str(exc)), duration_ms=_ms(start)
            )
        encoding = response.headers.get("content-encoding", "")
        data, decoded_truncated, note = decode_body(bytes(raw), encoding, cap)
        outcome = _outcome(response, data, truncated or decoded_truncated, _ms(start))
        outcome.details["connected_to"] = transport.backend.connected[-1:]  # type: ignore[attr-defined]
        if encoding:
            outcome.details["content_encoding"] = encoding
        if note:
            outcome.details["note"] = note
        return outcome


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


def _err(kind: str, message: str) -> dict[str, Any]:
    return {"type": kind, "message": message, "traceback": ""}


def _outcome(response: Any, data: bytes, truncated: bool, duration_ms: float) -> Outcome:
    code = response.status_code
    try:
        body: Any = data.decode(response.encoding or "utf-8", errors="replace")
    except LookupError:  # a charset name Python does not know
        body = data.decode("utf-8", errors="replace")
    if not truncated and "json" in response.headers.get("content-type", ""):
        with contextlib.suppress(ValueError):
            body = json.loads(data)
    output: dict[str, Any] = {"status_code": code, "body": body}
    if truncated:
        output["truncated"] = True
    error = None
    if code >= 400:
        error = _err("HTTPStatusError", f"{code} {response.reason_phrase}".strip())
    details = {
        "status_code": code,
        "http_version": response.http_version,
        "headers": {
            k: response.headers[k] for k in _KEPT_RESPONSE_HEADERS if k in response.headers
        },
        "bytes": len(data),
        "truncated": truncated,
    }
    return Outcome(
        "error" if code >= 400 else "ok",
        output=output,
        error=error,
        duration_ms=duration_ms,
        truncated=truncated,
        details=details,
    )
