"""The replay kinds: a registry from ``replay.kind`` to the executor that builds and sends it.

``http`` and ``python`` register themselves when the package is imported; a later ``mcp``
executor plugs in with ``register_executor(McpExecutor())`` and nothing else changes: the check,
the confirmation, the recording and the audit are kind-independent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from forensics_tui.core.model import Fixture
    from forensics_tui.core.reexec.policy import ReexecPolicy
    from forensics_tui.core.reexec.request import Request

__all__ = [
    "EXECUTORS",
    "Executor",
    "Outcome",
    "Refused",
    "executor_for",
    "register_executor",
]


class Refused(Exception):
    """A fixture cannot be re-executed; ``str(exc)`` is the one-line reason shown to the user."""


@dataclass(slots=True)
class Outcome:
    """What came back from one send, ready to become the new fixture."""

    status: str  # ok | error | timeout (fixture statuses)
    output: Any = None
    error: dict[str, Any] | None = None
    duration_ms: float | None = None
    truncated: bool = False
    details: dict[str, Any] = field(default_factory=dict)  # e.g. response headers, bytes read


class Executor(Protocol):
    """Builds the exact request for one replay kind, and sends it."""

    kind: str

    def build(self, fixture: Fixture, policy: ReexecPolicy) -> Request:
        """The exact request, secrets filled (``secrets_fill.fill_secrets`` over the fixture
        fields this kind sends); raises ``Refused`` with the reason."""
        ...

    def send(self, request: Request, policy: ReexecPolicy) -> Outcome:
        """Send it; failures of the target are an ``Outcome``, never an exception."""
        ...


EXECUTORS: dict[str, Executor] = {}


def register_executor(executor: Executor) -> None:
    """Make ``executor`` handle fixtures whose ``replay.kind`` is ``executor.kind``."""
    EXECUTORS[executor.kind] = executor


def executor_for(replay: Any) -> Executor:
    """The executor for a replay spec, or ``Refused`` saying why there is none."""
    if replay is None:
        raise Refused("the fixture has no replay spec (nothing records how to re-execute it)")
    if not isinstance(replay, dict):
        raise Refused("the replay spec is not an object")
    kind = replay.get("kind")
    executor = EXECUTORS.get(kind) if isinstance(kind, str) else None
    if executor is None:
        known = ", ".join(sorted(EXECUTORS)) or "none"
        raise Refused(f"unknown replay kind {kind!r} (known: {known})")
    return executor
