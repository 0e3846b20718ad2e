"""The fleet view: the ordinary app over a fleet source's mirror, plus a hosts pane and the
host in the calls' run column.

It adds, and changes nothing: the main screen, the store feed and every analysis are the ones
used for a local root, fed by the source's files through the same watcher.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.timer import Timer

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
        caught_up: Callable[[], bool] = lambda: True,
        **kwargs: Any,
    ) -> None:
        super().__init__(root, **kwargs)
        self._hosts_provider = hosts
        self._source_error = source_error
        self._caught_up = caught_up
        self._was_caught_up = False
        self._catch_up_timer: Timer | None = None
        self.silent_after_s = silent_after_s

    def on_mount(self) -> None:
        super().on_mount()
        self.call_after_refresh(self._add_hosts_pane)
        if not self._source_caught_up():
            self._catch_up_timer = self.set_interval(0.25, self._check_caught_up)

    def _source_caught_up(self) -> bool:
        if not self._was_caught_up and self._caught_up():
            self._was_caught_up = True
        return self._was_caught_up

    def _check_caught_up(self) -> None:
        if self._source_caught_up():
            if self._catch_up_timer is not None:
                self._catch_up_timer.stop()
            self.request_analysis()

    def request_analysis(self) -> None:
        # Like a scan in progress: while the mirror is still filling from the stream (a first
        # open copies the whole fleet), analysing the part that arrived would be redone at
        # every batch and take the interpreter from the thread bringing the rest in.  The
        # analysis is asked for once the source has caught up (``_check_caught_up``).
        if self._source_caught_up():
            super().request_analysis()

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
