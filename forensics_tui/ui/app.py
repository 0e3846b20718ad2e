"""The Textual application: wires the store feed, the main screen, keys and the palette.

Everything with real behaviour lives elsewhere (``state.py`` holds what the explorer shows,
screens/ and widgets/ draw it, ``feed.py`` brings the store's changes); this module starts the
workers, runs the core analysis and hands its answers to the state, applies the user's key
remapping and exposes each binding as a command-palette entry.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from forensics_tui.core.config import Config
from forensics_tui.core.model import Call
from forensics_tui.core.sanitize import safe_line
from forensics_tui.ui.answers import Answers, answers_from
from forensics_tui.ui.clock import UTC_ZONE, Now, Zone, system_clock, zone_named
from forensics_tui.ui.feed import StoreFeed
from forensics_tui.ui.findings import detail_lines
from forensics_tui.ui.keys import all_keys, key_display
from forensics_tui.ui.messages import Delta
from forensics_tui.ui.screens.help import HelpScreen
from forensics_tui.ui.screens.main import MainScreen
from forensics_tui.ui.state import ExplorerState
from forensics_tui.ui.view_model import RunSummary

__all__ = ["ForensicsApp"]

_LIVE_CHECK_S = 5.0
_ANALYSIS_DELAY_S = 0.5
"""Findings are recomputed once changes have paused this long..."""
_ANALYSIS_MAX_DELAY_S = 2.0
"""...or this long after the first change they do not cover yet, even if the stream goes on."""
_ANALYSIS_DUTY = 0.04
"""At most this share of the time goes to analysis while runs grow: after an analysis that
took *t*, the next waits at least *t* / ``_ANALYSIS_DUTY`` (it holds the interpreter lock,
and a landing that arrives meanwhile waits for its row), but never more than
``_ANALYSIS_MAX_SPACING_S``; the first analysis (every run from nothing) does not count."""
_ANALYSIS_MAX_SPACING_S = 10.0
AUTO_ANALYSIS_MAX_CALLS = 20_000
"""Above this many calls, findings and diffs wait for an explicit ``A`` (they read every file)."""


class ForensicsApp(App[None]):
    """Live forensic view over one fixture root."""

    CSS_PATH = "app.tcss"
    TITLE = "forensics-tui"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-wide")]
    """``-narrow`` below 100 columns: the runs pane gives its room to the calls (app.tcss)."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark,f1", "help", "Help", id="help"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, id="command-palette"),
        Binding("A", "analyse", "Analyse findings", show=False, id="analyse"),
    ]

    def __init__(
        self,
        root: Path | str,
        *,
        config: Config | None = None,
        now: Now = system_clock,
        root_label: str | None = None,
        store: Any | None = None,
        watch: bool = True,
        debounce_ms: int = 20,
        step_ms: int = 5,
    ) -> None:
        super().__init__()
        self.root = Path(root)
        self.config = config or Config()
        self.now = now
        self.root_label = root_label if root_label is not None else str(self.root)
        self.keymap = dict(self.config.keys)
        self._store = store
        self._watch = watch
        self._debounce = (debounce_ms, step_ms)
        self.feed: StoreFeed | None = None
        self.state = ExplorerState()
        try:
            self.zone: Zone = zone_named(self.config.timezone, now())
        except ValueError:
            self.zone = UTC_ZONE  # a bad [ui] timezone is reported once mounted
            self._zone_error: str | None = f"[ui] timezone {self.config.timezone!r} is unknown"
        else:
            self._zone_error = None
        self._analysis: Any | None = None
        self._analysis_timer: Any | None = None
        self._analysis_running = False
        self._first_change: float | None = None
        """When the oldest change the findings do not cover yet came in (monotonic)."""
        self._last_change = 0.0
        self._analysis_ended = 0.0
        self._analysis_cost = 0.0  # seconds the last analysis took (the worker's measure)
        self.analysis_pending = False
        self.analysis_enabled: bool | None = None  # None: decide by the root's size
        self._heap_frozen = False
        self._answered = False
        """True from a change until its findings are in (tests and screenshots wait on it)."""

    @property
    def watching(self) -> bool:
        return self._watch

    @property
    def findings(self) -> dict[str, tuple[Any, ...]]:
        """call_id -> badge-worthy findings (the state's copy of the analysis' answers)."""
        return self.state.answers.findings

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(self.state)

    def on_mount(self) -> None:
        if self.keymap:
            self.set_keymap(self.keymap)
        if self._zone_error:
            self.notify(f"{self._zone_error}; times are shown in UTC", severity="warning")
        main = self.screen
        assert isinstance(main, MainScreen)
        self._main = main
        self.feed = StoreFeed(
            self.root,
            main.post_message,
            store=self._store,
            debounce_ms=self._debounce[0],
            step_ms=self._debounce[1],
        )
        if self._watch:
            self._run_feed()
        else:
            self._scan_only()
        self.set_interval(_LIVE_CHECK_S, self._check_live_runs)

    # -- workers --------------------------------------------------------------------------
    @work(exclusive=True, group="feed")
    async def _run_feed(self) -> None:
        assert self.feed is not None
        await self.feed.run()

    @work(thread=True, exclusive=True, group="feed")
    def _scan_only(self) -> None:
        assert self.feed is not None
        self.feed.scan()

    def _check_live_runs(self) -> None:
        live = [r for r in self.state.runs.order if r.is_live]
        if live and self.feed is not None:
            self._refresh_runs(live)

    @work(thread=True, exclusive=True, group="live-check")
    def _refresh_runs(self, live: list[RunSummary]) -> None:
        assert self.feed is not None
        fresh = self.feed.refresh_live_runs([r.run_id for r in live])
        before = {r.run_id: r for r in live}
        changed = {r.run_id: r for r in fresh if before.get(r.run_id) != r}
        if changed:
            self.call_from_thread(self.feed.publish, Delta(runs=changed))

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place worker errors surface: a notification, never a crash."""
        if event.state == WorkerState.ERROR:
            if event.worker.group == "analysis":  # the next change may try again
                self._analysis_running = False
                self._next_analysis()
            error = event.worker.error
            self.notify(
                safe_line(f"{event.worker.group or 'worker'} failed: {error}", 200),
                severity="error",
                markup=False,
                timeout=10,
            )

    # -- services for the widgets ---------------------------------------------------------
    def load_call(self, call: Call) -> Any:
        """Full fixture or ``LoadProblem`` (called from a worker thread)."""
        assert self.feed is not None
        return self.feed.store.load(call)

    def drain_feed(self) -> Delta:
        return self.feed.drain() if self.feed is not None else Delta()

    # -- analysis (findings, diffs) -------------------------------------------------------
    @property
    def analysis(self) -> Any | None:
        """``core.analysis.Analysis`` over the store (created on first use, in a worker)."""
        if self._analysis is None and self.feed is not None:
            from forensics_tui.core.analysis.engine import Analysis

            self._analysis = Analysis(self.feed.store, self.config)
        return self._analysis

    def _analysis_allowed(self) -> bool:
        if not self.state.scan_complete:
            return False  # analysing a half-indexed root would redo the work (and mislead)
        if self.analysis_enabled is not None:
            return self.analysis_enabled
        return len(self.state.index) <= AUTO_ANALYSIS_MAX_CALLS

    def action_analyse(self) -> None:
        """Compute findings now, whatever the size of the root."""
        self.analysis_enabled = True
        self.notify("Analysing every run for findings…", timeout=3)
        self.request_analysis()

    def request_analysis(self) -> None:
        """Recompute findings soon: bursts coalesce, a steady stream cannot postpone them.

        A bounded-delay throttle: the analysis runs once changes have paused for
        ``_ANALYSIS_DELAY_S``, and at the latest ``_ANALYSIS_MAX_DELAY_S`` after the first
        change it does not cover, however long a stream of landings goes on.  A change only
        records its time (no timer is restarted per landing); one analysis runs at a time, and
        changes that arrive during it are taken up by the next.
        """
        if not self._analysis_allowed():
            if self.analysis_enabled is None and self.state.scan_complete:
                self.analysis_enabled = False
                self.notify(
                    f"Large root ({len(self.state.index)} calls): findings are not computed "
                    "automatically. Press A to analyse.",
                    timeout=8,
                )
            return
        self.analysis_pending = True
        now = time.monotonic()
        self._last_change = now
        if self._first_change is None:
            self._first_change = now
        if self._analysis_timer is None and not self._analysis_running:
            self._analysis_timer = self.set_timer(_ANALYSIS_DELAY_S, self._analysis_due)

    def _analysis_wait(self) -> float:
        """Seconds until the pending changes are due for analysis (0: now)."""
        assert self._first_change is not None
        due = min(self._last_change + _ANALYSIS_DELAY_S, self._first_change + _ANALYSIS_MAX_DELAY_S)
        spacing = min(self._analysis_cost / _ANALYSIS_DUTY, _ANALYSIS_MAX_SPACING_S)
        due = max(due, self._analysis_ended + spacing)
        return max(0.0, due - time.monotonic())

    def _analysis_due(self) -> None:
        self._analysis_timer = None
        if self._analysis_running or self._first_change is None:
            return
        wait = self._analysis_wait()
        if wait > 0.001:  # changes came in since the timer was set: not quiet yet
            self._analysis_timer = self.set_timer(wait, self._analysis_due)
            return
        self._first_change = None  # the analysis reads the store as it is from now on
        self._analysis_running = True
        self._analyse()

    @work(thread=True, exclusive=True, group="analysis")
    def _analyse(self) -> None:
        started = time.monotonic()
        analysis = self.analysis
        answers = Answers()
        if analysis is not None:
            now = self.now().timestamp()
            answers = answers_from(analysis, now=now, stale_after_s=self.config.stale_after_s)
        if self._answered:  # the first analysis reads everything: no measure of the next
            self._analysis_cost = time.monotonic() - started
        self.call_from_thread(self._answers_ready, answers)

    def _next_analysis(self) -> None:
        """After an analysis: schedule the next one if changes came in meanwhile."""
        self.analysis_pending = self._first_change is not None
        if self._first_change is not None and self._analysis_timer is None:
            self._analysis_timer = self.set_timer(self._analysis_wait(), self._analysis_due)

    def _answers_ready(self, answers: Answers) -> None:
        self._analysis_running = False
        self._analysis_ended = time.monotonic()
        self._next_analysis()
        try:
            self.state.set_answers(answers)
        except NoMatches:  # the main screen is being torn down (exit raced the worker)
            return
        if not self._answered:
            self._answered = True
            self.settle_heap()  # the first analysis built its caches: keep them out too

    # -- memory ---------------------------------------------------------------------------
    def settle_heap(self) -> None:
        """Keep the cyclic GC's full passes off the live path (after a complete scan).

        What startup built (modules, widgets, the index of every call) lives as long as the
        app, yet every full collection walked all of it: ~100 ms on the UI thread at a random
        moment, which a landing then waited for.  Collect once now, then freeze the survivors
        (``gc.freeze``): later passes only walk what arrives afterwards.  Frozen objects are
        still freed by reference counting; they are thawed when the app exits.
        """
        gc.collect()
        gc.freeze()
        self._heap_frozen = True

    def on_unmount(self) -> None:
        if self._heap_frozen:
            gc.unfreeze()  # an app run in a longer-lived process (tests) leaves nothing pinned

    def detail_extra(self, call: Call, width: int = 100, request: Any = None) -> list[Text]:
        """The Diff tab's lines for ``call`` (called from the detail loader thread).

        ``request`` is ``(mode, against run or None, header)``, read from the state on the UI
        thread when the call was shown.
        """
        if not self.state.scan_complete:
            return [Text("Indexing… findings and the diff follow once it is done.", style="dim")]
        if not self._analysis_allowed():
            return [Text("Large root: press A to analyse findings and diffs.", style="dim")]
        analysis = self.analysis
        if analysis is None:
            return [Text("analysis unavailable", style="dim")]
        mode, against, header = request or ("unified", None, "Diff against the last known-good run")
        return detail_lines(analysis, call, mode=mode, against=against, header=header, width=width)

    # -- actions --------------------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.keymap))

    def _run_key(self, target: str, action: str) -> None:
        main = self._main
        if target == "app":
            node: Any = self
        elif target == "screen":
            node = main
        elif target == "focused-payload":
            node = main.focused_payload()
        else:
            node = main.query_one(target)
        self.call_later(self.run_action, action, node)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if not isinstance(screen, MainScreen):
            return
        seen: set[str] = set()
        for info in all_keys():
            binding = info.binding
            if info.target == "modal" or binding.action in ("command_palette",):
                continue
            if binding.action in seen:
                continue
            seen.add(binding.action)
            key = key_display(self, binding, self.keymap)
            tip = f" — {binding.tooltip}" if binding.tooltip else ""
            yield SystemCommand(
                binding.description or binding.action,
                f"key: {key}{tip}",
                partial(self._run_key, info.target, binding.action),
            )
