"""``forensics-tui tail``: print the calls already there, then stream calls as they land.

One line per call (or one JSON object per line with ``--json``); a pending call that turns final
prints a second line.  The watcher is started before the catch-up scan and lines are
de-duplicated by (call, status), so nothing written during start-up is lost or printed twice.
Works when piped: every line is flushed, and a closed pipe ends the command quietly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from forensics_tui.cli.common import fail, require_root
from forensics_tui.cli.source_option import source_option
from forensics_tui.core.model import BROKEN, STATUS_COLORS, Call
from forensics_tui.core.sanitize import safe_line
from forensics_tui.core.sources.base import SourceError

__all__ = ["call_json", "call_line", "tail_cmd"]


def call_json(call: Call) -> dict[str, Any]:
    """The ``tail --json`` object for one call (broken files carry ``path`` and ``error``)."""
    out: dict[str, Any] = {
        "run_id": call.run_id,
        "call_id": call.call_id,
        "seq": call.seq,
        "tool": call.tool,
        "status": call.status,
        "ts": call.ts,
        "duration_ms": call.duration_ms,
    }
    if call.status == BROKEN:
        out["path"] = str(call.path)
        out["error"] = call.problem
    if call.deleted:
        out["deleted"] = True
    return out


def _clock(ts: str | None) -> str:
    if not ts or "T" not in ts:
        return "--:--:--"
    return ts.split("T", 1)[1][:8]


def _duration(ms: float | None) -> str:
    if ms is None:
        return "-"
    return f"{ms:.0f}ms" if ms < 10_000 else f"{ms / 1000:.1f}s"


def call_line(call: Call, color: bool = False) -> str:
    """One human line: time, icon, run, seq, tool, status, duration, short output summary."""
    status = "deleted" if call.deleted else call.status
    summary = call.problem if call.status == BROKEN else call.preview
    icon = call.icon
    if color:
        icon = click.style(icon, fg=STATUS_COLORS.get(call.status, "white").replace("bright_", ""))
    parts = [
        _clock(call.ts),
        icon,
        safe_line(call.run_id, 40),
        f"{call.seq:>4}",
        safe_line(call.tool, 40),
        status,
        _duration(call.duration_ms),
        safe_line(summary or "", 100),
    ]
    return " ".join(parts)


class _Printer:
    def __init__(self, as_json: bool, run: str | None, store: Any = None) -> None:
        self.as_json = as_json
        self.run = run
        self.color = not as_json and sys.stdout.isatty()
        self.seen: set[tuple[str, str, bool]] = set()
        self.store = store  # set: each JSON line also carries the file name and the fixture

    def _json(self, call: Call) -> str:
        out = call_json(call)
        if self.store is not None:
            out["file"] = call.path.name
            loaded = self.store.load(call) if not call.deleted else None
            if loaded is not None and hasattr(loaded, "raw"):
                out["fixture"] = loaded.raw
        return json.dumps(out, ensure_ascii=True)

    def caught_up(self) -> None:
        """After the calls already there: a line telling a remote reader it has them all."""
        if self.store is not None:
            sys.stdout.write('{"caught_up": true}\n')
            sys.stdout.flush()

    def emit(self, calls: Iterable[Call]) -> None:
        for call in calls:
            if self.run is not None and call.run_id != self.run:
                continue
            key = (call.call_id, call.status, call.deleted)
            if key in self.seen:
                continue
            self.seen.add(key)
            line = self._json(call) if self.as_json else call_line(call, self.color)
            sys.stdout.write(line + "\n")
            sys.stdout.flush()


async def _stream(
    root: Path, printer: _Printer, store: Any, initial_n: int | None, source: Any = None
) -> None:
    from forensics_tui.core.sources.local import LocalSource

    if source is None:
        source = LocalSource(root)
    await source.start()  # a fleet source connects and mirrors what is there already
    await source.catch_up()
    queue: asyncio.Queue[list[tuple[str, Path]]] = asyncio.Queue()

    async def pump() -> None:
        async for batch in source.changes():
            await queue.put(batch)

    task = asyncio.create_task(pump())
    await asyncio.sleep(0.05)  # let the watch start before the catch-up scan below
    if root.is_dir():
        store.scan()
    existing = store.calls(None)
    if printer.run is not None:
        existing = [c for c in existing if c.run_id == printer.run]
    if initial_n is not None:
        skipped = existing[: max(0, len(existing) - initial_n)]
        printer.seen.update((c.call_id, c.status, c.deleted) for c in skipped)
        existing = existing[len(skipped) :]
    printer.emit(existing)
    printer.caught_up()
    try:
        while True:
            batch = await queue.get()
            for kind, path in batch:
                if kind == "lost":
                    click.echo(
                        safe_line(f"watch lost: {path} disappeared; waiting for it…"), err=True
                    )
            events = store.apply_changes(batch)
            if any(e.kind in ("rescanned", "run_added") for e in events) or any(
                kind == "rescan" for kind, _ in batch
            ):
                printer.emit(store.calls(None))
            printer.emit(e.call for e in events if e.call is not None)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        await source.close()


@click.command("tail")
@click.option("--run", "run", default=None, help="Only calls of this run.")
@click.option(
    "-n", "lines", type=click.IntRange(min=0), default=None, help="Start with the last N calls."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--once", is_flag=True, help="Print the calls already there and stop.")
@click.option(
    "--with-body",
    is_flag=True,
    help="With --json: each line also carries the file name and the whole fixture "
    "(what an ssh:// source reads).",
)
@source_option(live=True)
def tail_cmd(
    root: Path,
    source: Any,
    run: str | None,
    lines: int | None,
    as_json: bool,
    once: bool,
    with_body: bool,
) -> None:
    """Print the calls already there (oldest first), then stream new calls as they land."""
    from forensics_tui.core.storage.store import FixtureStore

    bodies = source.bodies() if source is not None else None  # --with-body fetches stubs
    store = FixtureStore(root, bodies=bodies)
    printer = _Printer(as_json, run, store if (with_body and as_json) else None)
    try:
        if once and source is not None and source.kind != "local":
            from forensics_tui.cli.source_option import sync_source

            sync_source(source)
        if once:
            require_root(root)
            store.scan()
            calls = [c for c in store.calls(None) if run is None or c.run_id == run]
            if run is not None and store.run(run) is None:
                fail(f"no run {run!r} under {root}")
            printer.emit(calls[-lines:] if lines else ([] if lines == 0 else calls))
            printer.caught_up()
            return
        if not root.is_dir():
            click.echo(safe_line(f"waiting for {root} to appear…"), err=True)
        asyncio.run(_stream(root, printer, store, lines, source))
    except KeyboardInterrupt:
        return
    except SourceError as exc:
        fail(safe_line(str(exc), 300))
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return
    finally:
        if bodies is not None:
            bodies.close()
