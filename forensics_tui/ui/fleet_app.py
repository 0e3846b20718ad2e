"""The fleet view: the ordinary app over a fleet source's mirror, plus a hosts pane and the
host in the calls' run column.

It adds, and changes nothing: the main screen, the store feed and every analysis are the ones
used for a local root, fed by the source's files through the same watcher.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from forensics_tui.core.sources.base import HostState
from forensics_tui.ui.app import ForensicsApp
from forensics_tui.ui.widgets.hosts_pane import HostsPane

__all__ = ["FleetApp"]


class FleetApp(ForensicsApp):
    TITLE = "forensics-tui fleet"

    def __init__(
        self,
        root: Path | str,
        *,
        hosts: Callable[[], list[HostState]],
        source_error: Callable[[], str | None] = lambda: None,
        silent_after_s: float = 30.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(root, **kwargs)
        self._hosts_provider = hosts
        self._source_error = source_error
        self.silent_after_s = silent_after_s

    def on_mount(self) -> None:
        super().on_mount()
        self.call_after_refresh(self._add_hosts_pane)

    def _add_hosts_pane(self) -> None:
        """After the main screen has composed its panes (it does so after the app mounts)."""
        main = self._main
        if not main.query("#left"):
            self.call_after_refresh(self._add_hosts_pane)
            return
        left = main.query_one("#left")
        runs = main.query_one("#runs")
        pane = HostsPane(
            self._hosts_provider,
            silent_after_s=self.silent_after_s,
            error=self._source_error,
            id="hosts",
        )
        left.mount(pane, before=runs)
        # the calls' run column already leads with the host: run labels keep it (ui.labels)
