"""Shared CLI plumbing: the ``--dir`` option, root resolution, one-line errors, the console.

Every command takes ``--dir`` after its own name; a ``--dir`` given to the group
(``forensics-tui --dir D runs``) is inherited.  Errors the user can cause are one line on
stderr with exit 1 (or 2 for usage errors), never a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from forensics_tui.capture.paths import resolve_root
from forensics_tui.core.sanitize import safe_line

__all__ = [
    "dir_option",
    "echo_json",
    "fail",
    "get_root",
    "json_text",
    "open_store",
    "require_root",
    "stdout_console",
]

F = TypeVar("F", bound=Callable[..., Any])


def dir_option(func: F) -> F:
    """Add ``--dir DIR`` to a command; the command receives the resolved root as ``root``."""

    @click.option(
        "--dir",
        "dir_",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Fixture root (default: $FORENSICS_FIXTURE_DIR, else the XDG state dir).",
    )
    @click.pass_context
    @functools.wraps(func)
    def wrapper(ctx: click.Context, *args: Any, dir_: Path | None, **kwargs: Any) -> Any:
        return ctx.invoke(func, *args, root=get_root(ctx, dir_), **kwargs)

    return wrapper  # type: ignore[return-value]


def get_root(ctx: click.Context | None, explicit: Path | str | None) -> Path:
    """``--dir`` of the command, else of the group, else the environment/XDG default."""
    if explicit is None and ctx is not None:
        top = ctx.find_root()
        explicit = top.params.get("root") if top is not ctx else None
    return resolve_root(explicit)


def fail(message: str, code: int = 1) -> None:
    """Print one clear line on stderr and exit with ``code``."""
    click.echo(safe_line(f"forensics-tui: {message}", 1000), err=True)  # data may be in it
    raise SystemExit(code)


def json_text(value: Any) -> str:
    """Indented JSON with non-ASCII escaped, so no control or bidi character reaches a tty."""
    return json.dumps(value, ensure_ascii=True, indent=2, default=str)


def echo_json(value: Any) -> None:
    """``value`` as JSON on stdout (see ``json_text``)."""
    click.echo(json_text(value))


def require_root(root: Path) -> None:
    """Exit 2 with the one standard line when the fixture root does not exist."""
    if not root.is_dir():
        fail(f"no fixture root at {root} (set --dir or $FORENSICS_FIXTURE_DIR)", 2)


def open_store(root: Path) -> Any:
    """A scanned ``FixtureStore`` for ``root``; a missing root is a clear error."""
    from forensics_tui.core.storage.store import FixtureStore

    require_root(root)
    store = FixtureStore(root)
    store.scan()
    return store


def stdout_console() -> Any:
    """A Rich console for stdout: colour only on a terminal, honouring NO_COLOR; in a pipe,
    wide enough that tables keep whole run ids instead of cutting them at 80 columns."""
    from rich.console import Console

    width = None if sys.stdout.isatty() else 160
    return Console(highlight=False, soft_wrap=True, file=sys.stdout, width=width)
