"""The hosts pane of the fleet view: every host with its freshness, silent hosts flagged.

A host that stops sending fixtures and heartbeats is itself evidence (a crashed pod, a network
partition), so it stays listed and turns red after ``silent_after_s`` seconds instead of
quietly disappearing.  Host names come from the network: they are shown as plain text.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.widgets import Static

from forensics_tui.core.sanitize import safe_line
from forensics_tui.core.sources.base import HostState

__all__ = ["HostsPane", "ago", "host_lines"]


def ago(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    if seconds < 1:
        return "now"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.0f}h"


def host_lines(
    hosts: list[HostState], now: float, silent_after_s: float, width: int = 30
) -> list[Text]:
    """One line per host, silent ones first, then by name."""

    def silent(h: HostState) -> bool:
        quiet = h.silent_for(now)
        return quiet is None or quiet > silent_after_s

    lines = []
    pad = min(14, max((len(safe_line(h.host, 14)) for h in hosts), default=0))
    for h in sorted(hosts, key=lambda h: (not silent(h), h.host)):
        name = safe_line(h.host, 14).ljust(pad)
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        if silent(h):
            line.append("⚠ ", style="bold red")
            line.append(name, style="bold red")
            line.append(f" SILENT {ago(h.silent_for(now))}", style="bold reverse red")
        else:
            line.append("● ", style="green")
            line.append(name, style="bold")
            line.append(f" call {ago(None if h.last_call is None else now - h.last_call)}")
            line.append(
                f" hb {ago(None if h.last_heartbeat is None else now - h.last_heartbeat)}",
                style="dim",
            )
            if h.backlog:
                line.append(f" +{h.backlog}", style="yellow")
        lines.append(line)
    return lines


class HostsPane(Static):
    """Polls ``hosts()`` once a second (cheap: a copy of a small dict) and redraws."""

    DEFAULT_CSS = """
    HostsPane {
        height: auto;
        max-height: 12;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    """

    def __init__(
        self,
        hosts: Callable[[], list[HostState]],
        *,
        silent_after_s: float = 30.0,
        error: Callable[[], str | None] = lambda: None,
        clock: Callable[[], float] = time.time,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._hosts = hosts
        self._error = error
        self._clock = clock
        self.silent_after_s = silent_after_s
        self.border_title = "Hosts"

    def on_mount(self) -> None:
        self.refresh_hosts()
        self.set_interval(1.0, self.refresh_hosts)

    def refresh_hosts(self) -> None:
        hosts = self._hosts()
        lines = host_lines(hosts, self._clock(), self.silent_after_s)
        error = self._error()
        if error:
            lines.insert(0, Text(f"source: {safe_line(error, 60)}", style="bold red"))
        if not lines:
            lines = [Text("no host yet", style="dim")]
        silent = sum(1 for line in lines if line.plain.startswith("⚠"))
        self.border_title = f"Hosts {len(hosts)}" + (f" ({silent} silent)" if silent else "")
        self.update(Text("\n").join(lines))
