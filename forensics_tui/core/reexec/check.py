"""Can this fixture be re-executed?  The answer, with the reason, before anything is sent.

``check(fixture, policy)`` follows mitmproxy's ``check(flow) -> str | None``: None means it can
be sent, a string is the one-line reason it cannot (no replay spec, unknown kind, a refused host
or scheme, a module not allowed, a redacted value with no source).  ``prepare`` is the same
work returning the exact ``Request`` to show for confirmation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from urllib.parse import urlsplit

from forensics_tui.core.model import Fixture
from forensics_tui.core.reexec.kinds import Refused, executor_for
from forensics_tui.core.reexec.policy import ReexecPolicy
from forensics_tui.core.reexec.request import Request

__all__ = ["check", "prepare", "preview"]


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


class _AnyEnv(Mapping[str, str]):
    """The environment, with a stand-in for every variable that is not set (preview only)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def __getitem__(self, key: str) -> str:
        value = self._env.get(key)
        return value if value and value.isprintable() else "unset-in-preview"

    def get(self, key: str, default: object = None) -> str:  # type: ignore[override]
        return self[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._env)

    def __len__(self) -> int:
        return len(self._env)


def preview(fixture: Fixture, policy: ReexecPolicy) -> Request | None:
    """The exact request ``fixture`` describes even where ``policy`` refuses it (host not
    allowed, secret missing or bound elsewhere), for a dry run to show next to the reason.
    Never sent: missing secrets are stand-ins, and it is only ever rendered masked.  None when
    the spec itself cannot make a request."""
    replay = fixture.replay if isinstance(fixture.replay, dict) else {}
    url = replay.get("url")
    hosts: tuple[str, ...] = ("*",)
    if isinstance(url, str):
        try:
            parts = urlsplit(url.replace("[REDACTED]", "REDACTED"))
            hosts += (
                f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname or "",
            )
        except ValueError:
            pass
    lenient = dataclasses.replace(
        policy,
        allow_hosts=hosts,
        secret_hosts={},
        env=_AnyEnv(policy.env),
    )
    try:
        return executor_for(fixture.replay).build(fixture, lenient)
    except Refused:
        return None
