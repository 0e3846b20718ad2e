"""``forensics-tui`` with no subcommand: resolve the root and run the Textual app."""

from __future__ import annotations

from typing import Any

import click

__all__ = ["open_tui"]


def open_tui(root: str | None, *, demo: Any = None, config_path: str | None = None) -> None:
    """Open the live TUI over ``root`` (``--dir``, else ``$FORENSICS_FIXTURE_DIR``, else XDG).

    ``demo`` is accepted for the ``demo`` command's benefit and currently unused: the demo
    writes its fixtures from its own thread while the app watches the root like any other.
    """
    import os
    import sys
    from pathlib import Path

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise click.ClickException(
            "the TUI needs a terminal; in pipes and scripts use "
            "`forensics-tui tail`, `runs` or `check`"
        )

    # Frames are paced at TEXTUAL_FPS while something changes (none when idle); 120 halves the
    # wait between a fixture landing and its row being drawn.
    os.environ.setdefault("TEXTUAL_FPS", "120")

    from forensics_tui.capture.paths import resolve_root
    from forensics_tui.core.config import ConfigError, load_config

    path = resolve_root(root)
    try:
        config = load_config(Path(config_path) if config_path else None)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    from forensics_tui.ui.app import ForensicsApp

    ForensicsApp(path, config=config).run()
