"""``--source`` for every command that reads fixtures: a path, ``nats://HOST:PORT[/STREAM]`` or
``ssh://[USER@]HOST[/ROOT]`` (repeatable for ssh); else an explicit ``--dir``; else
``$FORENSICS_SOURCE``; else the default root.

One-shot commands get the source's root after a catch-up (the fleet sources mirror into a
local cache), so they analyse a fleet exactly like a local root: one verdict, wherever the
fixtures came from.  A large body the mirror holds as a stub is fetched when a command loads
that call (the source's body fetcher is registered for the root; it connects on first use).
Live commands ask for the source itself (``live=True``).
Credentials for NATS come from ``$FORENSICS_NATS_CREDS`` / ``$FORENSICS_NATS_TLS_CA``.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from forensics_tui.cli.common import dir_option, fail
from forensics_tui.core.sanitize import safe_line

__all__ = ["resolve_source", "serve_bodies", "source_option", "sync_source"]

F = TypeVar("F", bound=Callable[..., Any])

SOURCE_HELP = (
    "Where fixtures come from: a path, nats://HOST:PORT[/STREAM] or ssh://[USER@]HOST[/ROOT] "
    "(repeatable for ssh; default: $FORENSICS_SOURCE, else --dir)."
)


def resolve_source(texts: tuple[str, ...] | list[str], mirror: Path | None = None) -> Any:
    """A (not started) source for ``--source`` values, or None for a plain local root."""
    from forensics_tui.core.sources import SourceSpecError, open_source, parse_source

    if not texts:
        env = os.environ.get("FORENSICS_SOURCE", "").split()
        texts = env
    if not texts:
        return None
    try:
        specs = [parse_source(t) for t in texts]
        if len(specs) == 1 and specs[0].kind == "local":
            return None if specs[0].path is None else open_source(specs[0])
        return open_source(specs if len(specs) > 1 else specs[0], mirror_root=mirror)
    except SourceSpecError as exc:
        fail(str(exc), 2)
        raise AssertionError from None


def sync_source(source: Any) -> Path:
    """Start ``source``, bring its root up to date, close it; the root to read."""
    from forensics_tui.core.sources import SourceError

    async def run() -> None:
        try:
            await source.start()
            await source.catch_up()
        finally:
            await source.close()

    try:
        asyncio.run(run())
    except SourceError as exc:
        fail(safe_line(str(exc), 300))
    errors = getattr(source, "errors", [])
    hosts = len(getattr(source, "specs", [])) or 1
    if errors and len(errors) >= hosts:
        # nothing came back: an empty answer would read as "no runs", so it is an error
        for error in errors[:-1]:
            click.echo(f"forensics-tui: {safe_line(error, 300)}", err=True)
        fail(safe_line(errors[-1], 300))
    for error in errors:
        click.echo(f"forensics-tui: {safe_line(error, 300)}", err=True)
    if errors:
        click.echo(
            f"forensics-tui: answer is incomplete: {len(errors)} of {hosts} hosts did not reply",
            err=True,
        )
    root: Path = source.root
    serve_bodies(source)
    return root


def serve_bodies(source: Any) -> Any:
    """Register ``source``'s body fetcher for its root (bodies on demand); the fetcher or None."""
    import atexit

    from forensics_tui.core.storage.bodies import register_bodies

    fetcher = source.bodies()
    if fetcher is not None:
        register_bodies(source.root, fetcher)
        atexit.register(fetcher.close)
    return fetcher


def source_option(func: F | None = None, *, live: bool = False) -> Any:
    """Add ``--source`` (and ``--dir``) to a command.

    The command receives ``root``; with ``live=True`` it also receives ``source`` (None for a
    plain local root) and is responsible for starting and closing it.
    """

    def decorate(inner: F) -> F:
        @click.option("--source", "source_texts", multiple=True, metavar="SOURCE", help=SOURCE_HELP)
        @dir_option
        @functools.wraps(inner)
        def wrapper(*args: Any, root: Path, source_texts: tuple[str, ...], **kwargs: Any) -> Any:
            ctx = click.get_current_context()
            explicit_dir = ctx.params.get("dir_") or ctx.find_root().params.get("root")
            if explicit_dir and not source_texts:
                return inner(*args, root=root, **({"source": None} if live else {}), **kwargs)
            source = resolve_source(source_texts)
            if source is not None and source.kind == "local":
                root = source.root
                source = None if not live else source
            if live:
                return inner(*args, root=source.root if source else root, source=source, **kwargs)
            if source is not None:
                root = sync_source(source)
            return inner(*args, root=root, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate(func) if func is not None else decorate
