"""``forensics-tui pull --source SOURCE RUN...``: copy runs from a fleet into a local root, for
offline forensics with every command (and no network).

A fleet run is named ``HOST:RUN`` in the mirror; a bare ``RUN`` works when one host has it.
It lands under ``--dir`` as ``RUN`` (``HOST:RUN`` with ``--keep-host``).  Files are read with
the safe reader and written with the capture layer's atomic write; an existing run directory
is never overwritten.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from forensics_tui.cli.common import dir_option, fail
from forensics_tui.cli.source_option import SOURCE_HELP, resolve_source, sync_source
from forensics_tui.core.sanitize import safe_line

__all__ = ["pull_cmd"]


def _match(mirror: Path, wanted: str) -> Path:
    from forensics_tui.core.sources.mirror import split_run_id

    exact = mirror / wanted
    if not wanted.startswith(".") and "/" not in wanted and exact.is_dir():
        return exact
    names = [n for n in os.listdir(mirror) if not n.startswith(".")] if mirror.is_dir() else []
    found = [n for n in names if split_run_id(n)[1] == wanted]
    if len(found) == 1:
        return mirror / found[0]
    if not found:
        fail(f"no run {safe_line(wanted, 80)!r} in the source")
    names = ", ".join(safe_line(n, 80) for n in sorted(found))
    fail(f"run {safe_line(wanted, 80)!r} is on several hosts: {names} (name one)")
    raise AssertionError


def _copy_run(src: Path, dest: Path) -> int:
    from forensics_tui.core.sources.files import atomic_write, private_dir
    from forensics_tui.core.storage.loader import LOAD_CAP
    from forensics_tui.core.storage.safe_read import ReadRefused, read_settled

    private_dir(dest)
    copied = 0
    for name in sorted(os.listdir(src)):
        if name.startswith(".") or not name.endswith(".json"):
            continue
        try:
            if name != "run.json":
                _fetch_body(src / name)
            raw = read_settled(src / name, root=src.parent, cap=LOAD_CAP)
        except (FileNotFoundError, ReadRefused):
            continue
        atomic_write(os.fspath(dest), name, raw.data)
        copied += 1
    return copied


def _fetch_body(path: Path) -> None:
    """A pulled run is for offline use: bring a stub's body from the fleet first (a body that
    cannot be fetched is copied as its stub, and said so)."""
    import json

    from forensics_tui.core.storage.bodies import STUB_KEY, bodies_for, stub_ref
    from forensics_tui.core.storage.safe_read import read_file_bytes

    raw = read_file_bytes(path, root=path.parent.parent, cap=2 * 1024 * 1024, head=1)
    if not raw.complete or STUB_KEY.encode() not in raw.data:
        return  # a stub is a summary: small, and it names the key
    try:
        ref = stub_ref(json.loads(raw.data))
    except ValueError:
        return
    fetcher = bodies_for(path.parent.parent)
    if ref is None or fetcher is None:
        return
    why = fetcher.fetch(path, ref)
    if why is not None:
        click.echo(safe_line(f"{path.parent.name}/{path.name}: {why}", 300), err=True)


@click.command("pull")
@click.option("--source", "source_texts", multiple=True, metavar="SOURCE", help=SOURCE_HELP)
@click.option("--keep-host", is_flag=True, help="Name the local run HOST:RUN.")
@click.argument("runs", nargs=-1, required=True)
@dir_option
def pull_cmd(
    root: Path, source_texts: tuple[str, ...], keep_host: bool, runs: tuple[str, ...]
) -> None:
    """Copy RUNS from a fleet source into the local root (--dir)."""
    from forensics_tui.core.sources.mirror import split_run_id

    source = resolve_source(source_texts)
    if source is None or source.kind == "local":
        fail("pull needs a fleet --source (nats:// or ssh://)", 2)
    mirror = sync_source(source)
    root.mkdir(parents=True, exist_ok=True)
    for wanted in runs:
        src = _match(mirror, wanted)
        name = src.name if keep_host else split_run_id(src.name)[1]
        dest = root / name
        if dest.exists():
            click.echo(safe_line(f"skipped {name}: {dest} already exists", 300), err=True)
            continue
        count = _copy_run(src, dest)
        click.echo(safe_line(f"pulled {src.name} -> {dest} ({count} files)", 300))
