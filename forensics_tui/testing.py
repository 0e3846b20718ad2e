"""Recorded tool calls as regression tests, plus the test factories.

``fixture_params`` turns fixtures into ``pytest.param`` values with readable ids
(``<run>/<seq>_<tool>``, the file's own name).  Which fixtures are healthy is the analysis
model's verdict (the one ``check`` and the TUI show): a fixture whose call failed or carries a
finding (``auth_expiry`` in a 200, ``schema_drift``...) is never handed over as a passing case
unless asked (``flagged=``); ``assert_replays`` calls a tool function with a
fixture's recorded input and compares the result with the recorded output, ignoring volatile and
redacted fields, failing with a readable diff.  Imports capture and core only (never Textual);
pytest is imported only when ``fixture_params`` runs.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from forensics_tui.capture.paths import resolve_root
from forensics_tui.core.analysis.diff import render_value
from forensics_tui.core.analysis.treediff import diff_values
from forensics_tui.core.config import DEFAULT_VOLATILE_FIELDS
from forensics_tui.core.model import Fixture
from forensics_tui.core.sanitize import safe_line
from forensics_tui.core.storage.factories import make_fixture, make_run_dir, write_fixture

__all__ = [
    "assert_replays",
    "fixture_params",
    "load_fixtures",
    "make_fixture",
    "make_run_dir",
    "write_fixture",
]

_ID_UNSAFE = re.compile(r"[^\w.@:+-]")


def _matches(value: str, wanted: str | Iterable[str] | None) -> bool:
    if wanted is None:
        return True
    if isinstance(wanted, str):
        return value == wanted
    return value in set(wanted)


def load_fixtures(
    root: str | os.PathLike[str] | None = None,
    tool: str | Iterable[str] | None = None,
    status: str | Iterable[str] | None = None,
) -> list[Fixture]:
    """Every loadable fixture under ``root`` (oldest run first, then ``seq``), filtered."""
    from forensics_tui.core.storage.store import FixtureStore

    base = resolve_root(root)
    if not Path(base).is_dir():
        return []
    store = FixtureStore(Path(base))
    store.scan()
    out: list[Fixture] = []
    for run in store.runs():
        for call in run.calls:
            if call.deleted or call.broken:
                continue
            if not _matches(call.tool, tool) or not _matches(call.status, status):
                continue
            fixture = store.load(call)
            if isinstance(fixture, Fixture):
                out.append(fixture)
    return out


def fixture_id(fixture: Fixture) -> str:
    """``<run>/<seq:06d>_<tool>``, made safe for a test id."""
    tool = _ID_UNSAFE.sub("_", safe_line(fixture.tool, 60))
    run = _ID_UNSAFE.sub("_", safe_line(fixture.run_id, 60))
    return f"{run}/{fixture.seq:06d}_{tool}"


FLAGGED_CHOICES = ("exclude", "xfail", "include")


def fixture_params(
    root: str | os.PathLike[str] | None = None,
    tool: str | Iterable[str] | None = None,
    status: str | Iterable[str] | None = None,
    *,
    flagged: str = "exclude",
) -> list[Any]:
    """``pytest.param(fixture, id="<run>/<seq>_<tool>")`` for each matching fixture.

    ``root`` defaults to ``--forensics-dir`` (the plugin exports it), else
    ``$FORENSICS_FIXTURE_DIR``, else the XDG state directory.  ``flagged`` decides what
    happens to fixtures the analysis flags (a failed call, or a finding such as
    ``auth_expiry`` or ``schema_drift``, not accepted with ``forensics-tui accept``):
    ``"exclude"`` (default) leaves them out, ``"xfail"`` marks them expected to fail (with the
    finding as the reason), ``"include"`` hands them over like any other.
    """
    import pytest

    if flagged not in FLAGGED_CHOICES:
        raise ValueError(f"flagged must be one of {', '.join(FLAGGED_CHOICES)}, not {flagged!r}")
    out: list[Any] = []
    for fixture, reason in _with_verdicts(root, tool, status):
        if reason is None or flagged == "include":
            out.append(pytest.param(fixture, id=fixture_id(fixture)))
        elif flagged == "xfail":
            mark = pytest.mark.xfail(reason=reason, strict=False)
            out.append(pytest.param(fixture, id=fixture_id(fixture), marks=mark))
    return out


def _with_verdicts(
    root: str | os.PathLike[str] | None,
    tool: str | Iterable[str] | None,
    status: str | Iterable[str] | None,
) -> list[tuple[Fixture, str | None]]:
    """Matching fixtures, each with why the analysis flags it (None: healthy)."""
    from forensics_tui.core.analysis.engine import Analysis
    from forensics_tui.core.storage.store import FixtureStore

    base = resolve_root(root)
    if not Path(base).is_dir():
        return []
    store = FixtureStore(Path(base))
    store.scan()
    analysis = Analysis(store)
    out: list[tuple[Fixture, str | None]] = []
    for ra in analysis.runs():
        for call in ra.run.calls:
            if call.deleted or call.broken:
                continue
            if not _matches(call.tool, tool) or not _matches(call.status, status):
                continue
            fixture = store.load(call)
            if not isinstance(fixture, Fixture):
                continue
            cv = ra.verdicts.get(call.call_id)
            reason = None
            if cv is not None and cv.flagged:
                found = cv.findings[0] if cv.findings else None
                reason = safe_line(
                    f"{found.kind}: {found.evidence}" if found else f"{cv.kind} call", 300
                )
            out.append((fixture, reason))
    return out


def _call(func: Callable[..., Any], value: Any) -> Any:
    """Call ``func`` with a recorded input: keyword arguments when the input is a dict that
    binds to the signature (what ``@checkpoint`` records), else the input as one argument."""
    args: tuple[Any, ...] = (value,)
    kwargs: dict[str, Any] = {}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        try:
            inspect.signature(func).bind(**value)
        except (TypeError, ValueError):
            pass
        else:
            args, kwargs = (), dict(value)
    result = func(*args, **kwargs)
    if inspect.isawaitable(result):
        result = asyncio.run(_await(result))
    return result


async def _await(awaitable: Any) -> Any:
    return await awaitable


def redactor_from_env() -> Any:
    from forensics_tui.capture.redact import redactor_from_env as build

    return build()


def _jsonable(value: Any) -> Any:
    from forensics_tui.capture.serialize import dumps, to_jsonable

    return json.loads(dumps(to_jsonable(value)))


def assert_replays(
    fixture: Fixture,
    func: Callable[..., Any],
    ignore: Iterable[str] = (),
) -> Any:
    """Call ``func`` with ``fixture.input`` and assert its result equals the recorded output.

    Volatile fields (the default list plus ``ignore``: key names or dotted output paths) and
    paths recorded as redacted are ignored.  Returns the result; raises ``AssertionError``
    with a ``-``/``+`` diff when it differs.
    """
    result = _call(func, fixture.input)
    redacted = [p.removeprefix("output.") for p in fixture.redacted if p.startswith("output.")]
    names = [*DEFAULT_VOLATILE_FIELDS, *ignore, *redacted]
    # The live result is redacted like a recording would be: a failure diff never prints a
    # live secret into test output (CI logs).
    now, _ = redactor_from_env().redact(_jsonable(result))
    diff = diff_values(fixture.output, now, ignore=names)
    if diff.changes or diff.notes:
        lines = [
            f"{fixture_id(fixture)}: {fixture.tool} did not replay its recorded output "
            f"({len(diff.changes)} difference(s))"
        ]
        for change in diff.changes[:50]:
            path = safe_line(change.path or "(output)", 100)
            if change.kind not in ("added", "item_added"):
                lines.append(f"- {path}: {render_value(change.old)}  (recorded)")
            if change.kind not in ("removed", "item_removed"):
                lines.append(f"+ {path}: {render_value(change.new)}  (now)")
        if len(diff.changes) > 50:
            lines.append(f"… and {len(diff.changes) - 50} more")
        lines.extend(f"# {safe_line(note)}" for note in diff.notes)
        raise AssertionError("\n".join(lines))
    return result
