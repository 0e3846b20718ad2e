"""Can this fixture be re-executed?  The answer, with the reason, before anything is sent.

``check(fixture, policy)`` follows mitmproxy's ``check(flow) -> str | None``: None means it can
be sent, a string is the one-line reason it cannot (no replay spec, unknown kind, a refused host
or scheme, a module not allowed, a redacted value with no source).  ``prepare`` is the same
work returning the exact ``Request`` to show for confirmation.
"""

from __future__ import annotations

from forensics_tui.core.model import Fixture
from forensics_tui.core.reexec.kinds import Refused, executor_for
from forensics_tui.core.reexec.policy import ReexecPolicy
from forensics_tui.core.reexec.request import Request

__all__ = ["check", "prepare"]


def prepare(fixture: Fixture, policy: ReexecPolicy) -> Request:
    """The exact request for ``fixture`` (secrets filled, shown masked); ``Refused`` if none."""
    if fixture.status == "pending":
        raise Refused("the call is still pending; wait for it to finish")
    executor = executor_for(fixture.replay)
    return executor.build(fixture, policy)


def check(fixture: Fixture, policy: ReexecPolicy) -> str | None:
    """Why ``fixture`` cannot be re-executed under ``policy``, or None when it can."""
    try:
        prepare(fixture, policy)
    except Refused as exc:
        return str(exc)
    return None
