"""``@checkpoint`` and ``checkpointed``: capture a tool call without touching its code.

The decorator records a function's bound arguments as input and its return value as output;
the context manager does the same for a block of code.  Both write a ``pending`` fixture when
the call starts, set ``current_call_id()`` while it runs, record an exception (``timeout`` for
timeouts, ``error`` otherwise) and re-raise it unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from forensics_tui.capture.calls import CallHandle, current_call, current_recorder
from forensics_tui.capture.default import get_recorder
from forensics_tui.capture.recorder import Recorder

__all__ = ["ActiveCall", "checkpoint", "checkpointed", "is_timeout", "status_for"]

F = TypeVar("F", bound=Callable[..., Any])
_VAR_KEYWORD = 4  # inspect.Parameter.VAR_KEYWORD, an IntEnum


def is_timeout(exc: BaseException) -> bool:
    """``TimeoutError`` (and ``asyncio.TimeoutError``), or any class named ``...Timeout``
    or ``...TimeoutError`` in the exception's hierarchy (httpx, requests, ...)."""
    if isinstance(exc, TimeoutError):
        return True
    return any(c.__name__.endswith(("Timeout", "TimeoutError")) for c in type(exc).__mro__)


def status_for(exc: BaseException) -> str:
    return "timeout" if is_timeout(exc) else "error"


class ActiveCall:
    """The handle a ``checkpointed`` block gets: set ``output`` (and ``status``, ``error``,
    ``replay``, ``meta`` if needed); the final fixture is written when the block exits."""

    def __init__(self, handle: CallHandle | None) -> None:
        self.output: Any = None
        self.error: Any = None
        self.replay: Any = None
        self.meta: Any = None
        self._status = "ok"
        self._status_set = False
        self._handle = handle
        self._token = current_call.set(handle.call_id if handle is not None else None)
        self._rec_token = current_recorder.set(handle._rec if handle is not None else None)

    @property
    def status(self) -> str:
        return self._status

    @status.setter
    def status(self, value: str) -> None:
        self._status = value
        self._status_set = True

    @property
    def call_id(self) -> str | None:
        """Stable id of this call (None if capture failed before it got one)."""
        return self._handle.call_id if self._handle is not None else None

    @property
    def seq(self) -> int | None:
        return self._handle.seq if self._handle is not None else None

    @property
    def path(self) -> Path | None:
        return self._handle.path if self._handle is not None else None

    @property
    def tool(self) -> str | None:
        return self._handle.tool if self._handle is not None else None

    def _close(self, exc: BaseException | None) -> None:
        try:
            current_call.reset(self._token)
            current_recorder.reset(self._rec_token)
        except (ValueError, RuntimeError):  # exited in another context than entered
            current_call.set(None)
            current_recorder.set(None)
        if exc is not None:
            status, error = status_for(exc), exc
        else:
            status, error = self._status, self.error
            if error is not None and not self._status_set:
                status = "error"
        if self._handle is not None:
            self._handle.finish(
                self.output, status, error=error, replay=self.replay, meta=self.meta
            )


def _start(recorder: Recorder | None, tool: str, input: Any, replay: Any, meta: Any) -> ActiveCall:
    try:
        rec = recorder or get_recorder()
        handle: CallHandle | None = rec.start_call(tool, input, replay=replay, meta=meta)
    except Exception:  # capture must never break the agent
        handle = None
    return ActiveCall(handle)


class checkpointed:
    """Capture a block of code as one tool call, with ``with`` or ``async with``."""

    def __init__(
        self,
        tool: str,
        input: Any = None,
        *,
        replay: Any = None,
        meta: Any = None,
        recorder: Recorder | None = None,
    ) -> None:
        self._args = (recorder, tool, input, replay, meta)
        self._call: ActiveCall | None = None

    def __enter__(self) -> ActiveCall:
        self._call = _start(*self._args)
        return self._call

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Literal[False]:
        if self._call is not None:
            self._call._close(exc)
            self._call = None
        return False

    async def __aenter__(self) -> ActiveCall:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        return self.__exit__(exc_type, exc, tb)


class _Binder:
    """Bound arguments of a call as a dict, without ``self``/``cls``; ``**kwargs`` flattened."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self._sig: Any = None

    def __call__(self, args: tuple, kwargs: dict) -> Any:
        try:
            if self._sig is None:
                import inspect  # on the first call, not at import: capture must import fast

                self._sig = inspect.signature(self.func)
            bound = self._sig.bind(*args, **kwargs)
            bound.apply_defaults()
        except Exception:  # no signature, or a call that does not fit it (it will raise)
            return {"args": list(args), "kwargs": dict(kwargs)}
        out: dict[str, Any] = {}
        params = self._sig.parameters
        for i, (name, value) in enumerate(bound.arguments.items()):
            kind = params[name].kind
            if i == 0 and name in ("self", "cls"):
                continue
            if kind == _VAR_KEYWORD:
                for key, item in value.items():
                    out.setdefault(key, item)
            else:
                out[name] = value
        return out


def _is_async(func: Callable[..., Any]) -> bool:
    import inspect

    return inspect.iscoroutinefunction(func)


def checkpoint(
    tool: str | Callable[..., Any] | None = None,
    *,
    replay: Any = None,
    meta: Any = None,
    recorder: Recorder | None = None,
) -> Any:
    """Decorate a sync or async function so that every call becomes a fixture.

    ``@checkpoint("search")`` or bare ``@checkpoint`` (the function's name is the tool name).
    """
    if callable(tool) and not isinstance(tool, str):
        return checkpoint(None, replay=replay, meta=meta, recorder=recorder)(tool)

    def decorate(func: F) -> F:
        name = tool or getattr(func, "__name__", None) or "tool"
        binder = _Binder(func)

        def scope(args: tuple, kwargs: dict) -> checkpointed:
            return checkpointed(
                name, binder(args, kwargs), replay=replay, meta=meta, recorder=recorder
            )

        if _is_async(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with scope(args, kwargs) as call:
                    call.output = result = await func(*args, **kwargs)
                return result

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with scope(args, kwargs) as call:
                call.output = result = func(*args, **kwargs)
            return result

        return wrapper  # type: ignore[return-value]

    return decorate
