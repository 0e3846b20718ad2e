"""Re-execute one fixture against its live endpoint, safely, and diff the result.

The flow is check -> describe -> confirm -> send -> record -> diff, and each step is a call the
CLI and the TUI share::

    policy = ReexecPolicy.from_config(load_config(), allow_hosts=extra)
    reason = check(fixture, policy)              # None, or why it cannot be sent
    request = prepare(fixture, policy)           # raises Refused with the same reason
    request.describe(); request.curl_line()      # masked; show for confirmation
    request.needs_typed_confirmation             # POST/PUT/PATCH/DELETE and python targets
    result = execute(fixture, request, root=root, policy=policy)   # sends, records, diffs
    result.status, result.new_run_id, result.diff.verdict, result.to_json()

``reexecute()`` wraps the whole flow with a ``confirm`` callback.  New replay kinds plug in with
``register_executor`` (see ``kinds``).
"""

from __future__ import annotations

from forensics_tui.core.reexec.check import check, prepare, preview
from forensics_tui.core.reexec.flow import (
    FixtureNotFound,
    execute,
    reexecute,
    resolve_fixture,
    scanned_store,
    send,
)
from forensics_tui.core.reexec.http import HttpExecutor
from forensics_tui.core.reexec.kinds import (
    EXECUTORS,
    Executor,
    Outcome,
    Refused,
    executor_for,
    register_executor,
)
from forensics_tui.core.reexec.policy import ReexecPolicy, host_refusal
from forensics_tui.core.reexec.python_target import PythonExecutor
from forensics_tui.core.reexec.request import Request
from forensics_tui.core.reexec.result import AUDIT_FILE, ReexecResult

__all__ = [
    "AUDIT_FILE",
    "EXECUTORS",
    "Executor",
    "FixtureNotFound",
    "Outcome",
    "ReexecPolicy",
    "ReexecResult",
    "Refused",
    "Request",
    "check",
    "execute",
    "executor_for",
    "host_refusal",
    "prepare",
    "preview",
    "reexecute",
    "register_executor",
    "resolve_fixture",
    "scanned_store",
    "send",
]

register_executor(HttpExecutor())
register_executor(PythonExecutor())
