"""The re-execution flow shared by CLI and TUI: resolve -> prepare -> send -> record -> diff.

``execute`` is what runs after a confirmation (in a worker thread in the TUI): it sends once,
records the new fixture, diffs it against the original and against the original's last
known-good match.  The audit log gets a line before the send (``"sent": false``, status
``sending``) and one with the result after it.  ``reexecute`` wraps the whole flow around a
``confirm`` callback; nothing is sent unless it returns True.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from forensics_tui.core.model import Fixture
from forensics_tui.core.reexec.check import prepare
from forensics_tui.core.reexec.kinds import Outcome, Refused, executor_for
from forensics_tui.core.reexec.policy import ReexecPolicy
from forensics_tui.core.reexec.request import Request
from forensics_tui.core.reexec.result import (
    AUDIT_FILE,
    ReexecResult,
    append_audit,
    file_sha256,
    record_outcome,
    scrub_outcome,
)

__all__ = ["FixtureNotFound", "execute", "reexecute", "resolve_fixture", "scanned_store", "send"]


class FixtureNotFound(Exception):
    """CALL_ID_OR_PATH names no readable fixture; the message says why."""


def _problem(result: Any) -> str:
    for attr in ("reason", "message", "problem"):
        value = getattr(result, attr, None)
        if isinstance(value, str) and value:
            return value
    return str(result)


def scanned_store(root: Path) -> Any:
    """A ``FixtureStore`` of ``root``, scanned."""
    from forensics_tui.core.storage.store import FixtureStore

    store = FixtureStore(root)
    store.scan()
    return store


def resolve_fixture(target: str | Path, root: Path, store: Any = None) -> Fixture:
    """A fixture file path, or a call id looked up in ``store`` (default: a scan of ``root``)."""
    from forensics_tui.core.storage.loader import load_fixture

    path = Path(target)
    if path.is_file():
        loaded = load_fixture(path)
    else:
        if store is None:
            store = scanned_store(root)
        call = store.call(str(target))
        if call is None:
            raise FixtureNotFound(f"no fixture file or call id {str(target)!r} under {root}")
        loaded = store.load(call)
    if not isinstance(loaded, Fixture):
        raise FixtureNotFound(f"cannot read {target}: {_problem(loaded)}")
    return loaded


def send(request: Request, policy: ReexecPolicy) -> Outcome:
    """Send an already prepared (and confirmed) request once."""
    return executor_for({"kind": request.kind}).send(request, policy)


def _last_good(original: Fixture, root: Path, store: Any, analysis: Any) -> Fixture | None:
    """The original's last known-good match (ok, no finding, not a re-execution), loaded."""
    if analysis is not None:
        store = analysis.store
    elif store is None:
        store = scanned_store(root)
    call = store.call(original.call_id)
    if call is None:  # the original lives outside this root
        return None
    if analysis is None:
        from forensics_tui.core.analysis.engine import Analysis

        analysis = Analysis(store)
    good = analysis.last_good_call(call)
    loaded = store.load(good) if good is not None else None
    return loaded if isinstance(loaded, Fixture) else None


def _diffs(
    original: Fixture,
    new: Fixture,
    root: Path,
    *,
    store: Any,
    analysis: Any,
    ignore: Iterable[str] | None,
) -> tuple[Any, Any, str | None]:
    """Diff against the original and the last known-good call; a failure is a note."""
    from forensics_tui.core.analysis.diff import diff_calls
    from forensics_tui.core.config import DEFAULT_VOLATILE_FIELDS

    fields = tuple(DEFAULT_VOLATILE_FIELDS if ignore is None else ignore)
    against_original = diff_calls(original, new, ignore=fields)
    try:
        good = _last_good(original, root, store, analysis)
    except Exception as exc:  # the analysis reads the whole root: a bad root must not hide
        return against_original, None, f"no last known-good diff: {type(exc).__name__}: {exc}"
    against_good = diff_calls(good, new, ignore=fields) if good is not None else None
    return against_original, against_good, None


def execute(
    fixture: Fixture,
    request: Request,
    *,
    root: Path,
    policy: ReexecPolicy,
    store: Any = None,
    analysis: Any = None,
    diff_ignore: Iterable[str] | None = None,
) -> ReexecResult:
    """Send the confirmed ``request``, record the new fixture, audit, and diff.

    Call it from a worker thread in the TUI: it does network and file I/O.  ``analysis`` (the
    TUI's ``Analysis``) or ``store`` (a scanned ``FixtureStore``) saves a rescan when looking up
    the last known-good call; ``diff_ignore`` is the config's volatile fields.
    """
    from forensics_tui.core.storage.loader import load_fixture

    root = Path(root)
    sha256 = file_sha256(fixture.path)
    try:  # the audit line goes first: a send that hangs or kills us is still on record
        pending = ReexecResult(fixture, False, "sending", request=request)
        append_audit(root, pending, sha256, phase="sending")
    except OSError as exc:
        reason = f"not sent: cannot write the audit log {root / AUDIT_FILE}: {exc}"
        return ReexecResult(fixture, False, "refused", request=request, reason=reason)
    outcome = scrub_outcome(send(request, policy), request.secret_values())
    result = ReexecResult(fixture, True, outcome.status, request=request, outcome=outcome)
    try:
        recorded = record_outcome(fixture, request, outcome, root, sha256)
    except OSError as exc:
        recorded = f"cannot record the result: {exc}"
    if isinstance(recorded, str):
        result.reason = recorded
    else:
        result.new_run_id, result.new_path = recorded
        new = load_fixture(result.new_path)
        if isinstance(new, Fixture):
            result.new_fixture = new
            result.new_call_id = new.call_id
            result.diff, result.diff_last_good, result.reason = _diffs(
                fixture, new, root, store=store, analysis=analysis, ignore=diff_ignore
            )
    try:
        append_audit(root, result, sha256)
    except OSError as exc:
        result.reason = f"{result.reason + '; ' if result.reason else ''}audit: {exc}"
    return result


def reexecute(
    target: Fixture | str | Path,
    *,
    root: Path,
    policy: ReexecPolicy,
    dry_run: bool = False,
    confirm: Callable[[Request], bool] | None = None,
    diff_ignore: Iterable[str] | None = None,
) -> ReexecResult:
    """The whole flow; nothing is sent unless ``confirm(request)`` returns True."""
    store = None
    if isinstance(target, Fixture):
        fixture = target
    else:
        if not Path(target).is_file():  # a call id: scan once, reuse it for the last-good diff
            store = scanned_store(Path(root))
        fixture = resolve_fixture(target, Path(root), store)
    try:
        request = prepare(fixture, policy)
    except Refused as exc:
        return ReexecResult(fixture, False, "refused", reason=str(exc))
    if dry_run:
        return ReexecResult(fixture, False, "dry_run", request=request)
    if confirm is None or not confirm(request):
        return ReexecResult(fixture, False, "not_confirmed", request=request)
    return execute(
        fixture, request, root=Path(root), policy=policy, store=store, diff_ignore=diff_ignore
    )
