"""One way to name runs and calls, accepted back from every surface.

A call is named by its sequence number (``#5``), the number the TUI's detail header shows and
``diff --index`` takes.  A run is named by its id; the CLI also accepts what the TUI shows: an
id with or without a ``run_`` prefix, a unique prefix, or the TUI's compact label
(``11-27 14:56:33 7a3b``, ``14:56:33 7a3b``) when it names one run only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from forensics_tui.core.model import Run

__all__ = ["RunNameError", "resolve_run"]

_TIME = re.compile(r"(?:(\d{2})-(\d{2})\s+)?(\d{2}):(\d{2}):(\d{2})")


class RunNameError(LookupError):
    """A run name that names no run, or several; the message lists the candidates."""


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _label_matches(run: Run, label: str) -> bool:
    """Whether ``label`` is the TUI's compact label of ``run`` (time plus id suffix start)."""
    found = _TIME.match(label.strip())
    if found is None:
        return False
    suffix = label.strip()[found.end() :].strip()
    month, day, hh, mm, ss = found.groups()
    clock = f"{hh}{mm}{ss}"
    stamp = _digits(run.started_at or "")
    id_digits = _digits(run.run_id)
    when = stamp[4:8] + stamp[8:14] if len(stamp) >= 14 else ""
    in_time = clock in (stamp[8:14] if len(stamp) >= 14 else "") or clock in id_digits
    if month and day:
        in_time = in_time and (f"{month}{day}{clock}" in when or f"{month}{day}" in id_digits)
    tail = run.run_id.rsplit("_", 1)[-1]
    return in_time and (not suffix or tail.startswith(suffix) or suffix in run.run_id)


def resolve_run(runs: Sequence[Run], name: str) -> Run:
    """The run ``name`` names (exact id first); raises :class:`RunNameError` otherwise."""
    by_id = {r.run_id: r for r in runs}
    text = name.strip()
    for candidate in (text, text.removeprefix("run_"), f"run_{text}"):
        if candidate in by_id:
            return by_id[candidate]
    for finder in (
        lambda r: r.run_id.startswith(text) or r.run_id.startswith(text.removeprefix("run_")),
        lambda r: _label_matches(r, text),
        lambda r: len(text) >= 4 and text in r.run_id,
    ):
        found = [r for r in runs if finder(r)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(r.run_id for r in found[:5])
            more = f" and {len(found) - 5} more" if len(found) > 5 else ""
            raise RunNameError(f"{name!r} names {len(found)} runs ({names}{more}); say which")
    raise RunNameError(f"unknown run {name!r}")
