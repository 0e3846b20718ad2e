"""``forensics-tui --source nats://…`` (or ``ssh://…``): the TUI over a fleet.

The source runs on its own thread, filling its mirror; the fleet app watches the mirror like a
local root and adds the hosts pane.  A plain path opens the ordinary TUI.
"""

from __future__ import annotations

from typing import Any

import click

from forensics_tui.cli.source_option import resolve_source

__all__ = ["open_fleet_tui", "open_source_tui"]


def open_source_tui(source_texts: tuple[str, ...], silent_after_s: float) -> bool:
    """Open the TUI for ``--source``; False when it names a plain local root (caller opens it)."""
    source = resolve_source(source_texts)
    if source is None:
        return False
    if source.kind == "local":
        from forensics_tui.cli.tui import open_tui

        open_tui(str(source.root))
        return True
    open_fleet_tui(source, silent_after_s)
    return True


def open_fleet_tui(
    source: Any, silent_after_s: float = 30.0, *, config_path: str | None = None
) -> None:
    import os
    import sys

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise click.ClickException(
            "the TUI needs a terminal; in pipes and scripts use "
            "`forensics-tui tail --source …`, `runs --source …` or `check --source …`"
        )
    os.environ.setdefault("TEXTUAL_FPS", "120")
    from pathlib import Path

    from forensics_tui.core.config import ConfigError, load_config
    from forensics_tui.core.sources.runner import SourceRunner
    from forensics_tui.ui.fleet_app import FleetApp

    try:
        config = load_config(Path(config_path) if config_path else None)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    from forensics_tui.core.storage.store import FixtureStore

    source.root.mkdir(parents=True, exist_ok=True)
    bodies = source.bodies()  # a large body is fetched when its call is opened
    runner = SourceRunner(source).start()
    try:
        FleetApp(
            source.root,
            store=FixtureStore(source.root, bodies=bodies),
            config=config,
            root_label=source.label,
            hosts=runner.hosts,
            source_error=lambda: runner.error,
            silent_after_s=silent_after_s,
            caught_up=runner.caught_up.is_set,
        ).run()
    finally:
        runner.stop()
        if bodies is not None:
            bodies.close()
