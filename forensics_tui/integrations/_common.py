"""Plumbing shared by every integration: which recorder to write to, and JSON-safe values.

Integrations write through the capture layer's recorder so that ``FORENSICS_FIXTURE_DIR``,
``FORENSICS_RUN_ID`` and redaction behave exactly as for ``tool_checkpoint``.  A framework
integration that was given its own recorder publishes it in a context variable while a tool
runs, so the HTTP exchanges that tool makes land in the same run.
"""

from __future__ import annotations

import base64
import contextvars
import dataclasses
import traceback as tb
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forensics_tui.capture import Recorder

__all__ = [
    "active_recorder",
    "error_dict",
    "jsonable",
    "pick_recorder",
    "using_recorder",
]

_ACTIVE: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar(
    "forensics_active_recorder", default=None
)


def active_recorder() -> Recorder | None:
    """The recorder an enclosing integration is writing to, if any."""
    return _ACTIVE.get()


@contextmanager
def using_recorder(recorder: Recorder | None) -> Iterator[None]:
    """Make ``recorder`` the active one for the code inside (no-op for ``None``)."""
    if recorder is None:
        yield
        return
    token = _ACTIVE.set(recorder)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def pick_recorder(explicit: Recorder | None = None) -> Recorder:
    """``explicit``, else the active recorder, else the process recorder (``get_recorder()``)."""
    if explicit is not None:
        return explicit
    active = _ACTIVE.get()
    if active is not None:
        return active
    from forensics_tui.capture import get_recorder

    return get_recorder()


def error_dict(exc: BaseException, *, message: str | None = None) -> dict[str, Any]:
    """The fixture ``error`` object for an exception: type, message, traceback."""
    trace = "".join(tb.format_exception(type(exc), exc, exc.__traceback__))
    return {
        "type": type(exc).__name__,
        "message": message if message is not None else (str(exc) or type(exc).__name__),
        "traceback": trace or None,
    }


def jsonable(value: Any, *, _depth: int = 0) -> Any:
    """``value`` as plain JSON data: pydantic models, dataclasses, bytes and sets converted."""
    if _depth > 50:
        return repr(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, _depth=_depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v, _depth=_depth + 1) for v in value]
    dump = getattr(value, "model_dump", None)  # pydantic v2 models
    if callable(dump):
        try:
            return jsonable(dump(mode="json"), _depth=_depth + 1)
        except Exception:
            pass
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value), _depth=_depth + 1)
    return repr(value)
