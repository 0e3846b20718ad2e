"""Tell someone: one webhook POST per newly promoted failure pattern or newly failing run.

Seed practice is "failures that recur in three or more runs are promoted and someone is told".
:func:`collect` turns the core's answers (promoted patterns, the CI gate's failing runs) into
messages; :func:`deliver` POSTs each one (Slack-compatible ``text`` plus structured fields),
retrying with backoff, and records it in ``<root>/.alerts.json`` so the same promotion or run is
never announced twice, across processes (a lock file) and crashes (written after each send,
atomically: temp file + ``os.replace``, never through a symlink).  Messages are redacted like
fixtures and their text is escaped for Slack (no ``<!channel>`` from a fixture).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from forensics_tui.core.analysis.check import check_runs
from forensics_tui.core.analysis.engine import Analysis
from forensics_tui.core.analysis.patterns import Pattern
from forensics_tui.core.analysis.postmortem import build_postmortem, postmortem_markdown
from forensics_tui.core.analysis.postmortem_file import postmortem_path, save_postmortem
from forensics_tui.core.sanitize import safe_line
from forensics_tui.core.storage.safe_read import ReadRefused, atomic_write, read_file_bytes

__all__ = [
    "ALERTS_FILE",
    "Alert",
    "AlertError",
    "AlertState",
    "collect",
    "deliver",
]

ALERTS_FILE = ".alerts.json"
LOCK_FILE = ".alerts.lock"
_MAX_STATE = 16 * 1024 * 1024
_RETRY_CODES = frozenset({408, 425, 429, 500, 502, 503, 504})


class AlertError(Exception):
    """An alert could not be sent or its state cannot be kept; the message says why."""


@dataclass(slots=True)
class Alert:
    key: str  # "pattern:<signature>" or "run:<run_id>": what "never twice" is about
    payload: dict[str, Any]


# -- files under the root (through the project's safe helpers) ------------------------------


def _read_state(path: Path) -> bytes | None:
    """The state file's bytes (None when absent); a FIFO, device, oversized file or a symlink
    out of the root is an error."""
    try:
        return read_file_bytes(path, root=path.parent, cap=_MAX_STATE).data
    except FileNotFoundError:
        return None
    except ReadRefused as exc:
        raise AlertError(f"cannot read {path}: {exc.reason}") from None


@dataclass(slots=True)
class AlertState:
    """The keys already announced, kept in ``<root>/.alerts.json``."""

    root: Path
    sent: dict[str, str] = field(default_factory=dict)  # key -> when

    @classmethod
    def load(cls, root: Path) -> AlertState:
        """Read the state; an unreadable file is an error (sending anyway could repeat)."""
        path = Path(root) / ALERTS_FILE
        raw = _read_state(path)
        if raw is None:
            return cls(Path(root))
        try:
            data = json.loads(raw)
            sent = data["sent"]
            if not isinstance(sent, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise AlertError(
                f"{path} is not an alert state file; move it away to start afresh"
            ) from None
        return cls(Path(root), {str(k): str(v) for k, v in sent.items()})

    def save(self) -> None:
        data = json.dumps({"format": 1, "sent": self.sent}, indent=1, sort_keys=True)
        try:
            atomic_write(str(self.root), ALERTS_FILE, data.encode("utf-8"), durable=True)
        except OSError as exc:
            raise AlertError(f"cannot write {self.root / ALERTS_FILE}: {exc}") from None


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``<root>/.alerts.lock`` (never through a symlink or FIFO)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(Path(root) / LOCK_FILE, flags, 0o600)
    except OSError as exc:
        raise AlertError(f"cannot lock {root / LOCK_FILE}: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise AlertError(f"{root / LOCK_FILE} is not a regular file")
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# -- messages --------------------------------------------------------------------------------


def _slack(text: str) -> str:
    """Escape what Slack would read as mentions or links (``<!channel>``, ``<url|x>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _write_postmortem(analysis: Analysis, run_id: str) -> str | None:
    try:
        markdown = postmortem_markdown(build_postmortem(analysis, run_id))
        path = save_postmortem(markdown, root=Path(analysis.store.root), run_id=run_id)
    except Exception:  # the alert still goes out, naming where the post-mortem would be
        return None
    return str(path)


def _pattern_alert(analysis: Analysis, pattern: Pattern, write: bool) -> Alert:
    pm = _write_postmortem(analysis, pattern.last_seen) if write else None
    pm = pm or str(postmortem_path(analysis.store.root, pattern.last_seen))
    text = (
        f"forensics-tui: recurring failure promoted: {safe_line(pattern.tool, 80)} "
        f"{pattern.kind} in {pattern.run_count} runs (first {safe_line(pattern.first_seen, 60)}, "
        f"last {safe_line(pattern.last_seen, 60)}): {safe_line(pattern.message, 200)}. "
        f"Post-mortem: {safe_line(pm, 300)}"
    )
    payload = {
        "text": _slack(text),
        "event": "pattern_promoted",
        "pattern": pattern.to_json(),
        "run_ids": list(pattern.runs),
        "postmortem": pm,
        "root": str(analysis.store.root),
    }
    return Alert(f"pattern:{pattern.signature}", payload)


def _run_alert(analysis: Analysis, run_id: str, evidence: list[str], write: bool) -> Alert:
    pm = _write_postmortem(analysis, run_id) if write else None
    pm = pm or str(postmortem_path(analysis.store.root, run_id))
    first = safe_line(evidence[0], 200) if evidence else "see the post-mortem"
    more = f" (+{len(evidence) - 1} more)" if len(evidence) > 1 else ""
    text = (
        f"forensics-tui: run {safe_line(run_id, 80)} failed: {first}{more}. "
        f"Post-mortem: {safe_line(pm, 300)}"
    )
    payload = {
        "text": _slack(text),
        "event": "run_failed",
        "pattern": None,
        "run_ids": [run_id],
        "problems": evidence[:20],
        "postmortem": pm,
        "root": str(analysis.store.root),
    }
    return Alert(f"run:{run_id}", payload)


def collect(
    analysis: Analysis,
    state: AlertState,
    *,
    runs: Iterable[str] = (),
    min_runs: int | None = None,
    write_postmortems: bool = True,
) -> list[Alert]:
    """Alerts not sent yet: every promoted pattern, and each of ``runs`` that fails the CI gate
    (re-execution runs and runs still going are left out)."""
    out: list[Alert] = []
    for pattern in analysis.patterns(min_runs):
        if pattern.promoted and f"pattern:{pattern.signature}" not in state.sent:
            out.append(_pattern_alert(analysis, pattern, write_postmortems))
    wanted = [r for r in dict.fromkeys(runs) if f"run:{r}" not in state.sent]
    candidates = [analysis.store.run(r) for r in wanted]
    ids = [r.run_id for r in candidates if r is not None and not r.is_reexec and not r.is_live]
    if ids:
        for result in check_runs(analysis, ids).runs:
            if result.ok:
                continue
            evidence = [f"{f.kind} on {f.tool}: {f.evidence}" for f in result.findings]
            evidence += [f"broken file {Path(b['path']).name}" for b in result.broken]
            out.append(_run_alert(analysis, result.run_id, evidence, write_postmortems))
    return out


def _redacted(payload: dict[str, Any]) -> dict[str, Any]:
    from forensics_tui.capture.redact import redactor_from_env
    from forensics_tui.capture.serialize import prepare

    value, _ = prepare(payload, redactor_from_env())
    return value if isinstance(value, dict) else payload


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AlertError(f"alert URL must be http(s)://host/...: {safe_line(url, 200)!r}")


def post(
    url: str,
    payload: dict[str, Any],
    *,
    attempts: int = 4,
    backoff_s: float = 0.5,
    timeout_s: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """POST ``payload`` as JSON; retry connection errors, timeouts, 408/429/5xx with
    exponential backoff; any other non-2xx answer is a refusal (no retry)."""
    import httpx

    last = ""
    for attempt in range(attempts):
        if attempt:
            sleep(backoff_s * 2 ** (attempt - 1))
        try:
            with httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False) as c:
                response = c.post(url, json=payload)
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
            continue
        if 200 <= response.status_code < 300:
            return
        answer = safe_line(response.text, 200)
        last = f"HTTP {response.status_code} {answer}".strip()
        if response.status_code not in _RETRY_CODES:
            raise AlertError(f"the alert endpoint refused the message: {last}")
    raise AlertError(f"the alert endpoint did not take the message after {attempts} tries: {last}")


def deliver(
    url: str,
    analysis: Analysis,
    *,
    runs: Iterable[str] = (),
    min_runs: int | None = None,
    dry_run: bool = False,
    send: Callable[[str, dict[str, Any]], None] = post,
) -> list[Alert]:
    """Collect and send the new alerts (each recorded right after it is sent); returns them.

    ``dry_run`` returns what would be sent, sends nothing and records nothing.
    """
    check_url(url)
    root = Path(analysis.store.root)
    if dry_run:
        alerts = collect(
            analysis, AlertState.load(root), runs=runs, min_runs=min_runs, write_postmortems=False
        )
        return [Alert(a.key, _redacted(a.payload)) for a in alerts]
    with _locked(root):
        state = AlertState.load(root)
        alerts = collect(analysis, state, runs=runs, min_runs=min_runs)
        done: list[Alert] = []
        for alert in alerts:
            payload = _redacted(alert.payload)
            send(url, payload)
            state.sent[alert.key] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            state.save()
            done.append(Alert(alert.key, payload))
        return done
