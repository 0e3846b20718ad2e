"""A stdio MCP proxy that records every ``tools/call`` as a fixture, relaying bytes untouched.

An MCP host starts ``forensics-tui mcp-proxy -- <server command...>`` instead of the server.
Each newline-delimited frame is copied byte for byte in both directions (client stdin ->
server stdin, server stdout -> client stdout); stderr is inherited, so the server's logs pass
through.  Alongside, a ``CallTracker`` pairs each ``tools/call`` request with its response by
JSON-RPC id (ints and strings kept distinct) and writes one fixture per call: a pending one when
the request goes out, the final one when the answer (``isError`` -> ``error``), a JSON-RPC
error, or ``notifications/cancelled`` (-> ``timeout``) comes back.  Nothing but relayed frames
is ever written to stdout.  Stdlib only.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from forensics_tui.integrations._mcp_wire import (
    MODERN_META_KEY,
    call_outcome,
    id_key,
    is_empty_result,
)

if TYPE_CHECKING:
    from forensics_tui.capture import Recorder

__all__ = ["CallTracker", "run_proxy"]


class CallTracker:
    """Pairs ``tools/call`` requests with responses and records them; thread-safe."""

    def __init__(self, recorder: Recorder, command: Sequence[str], cwd: str | None = None) -> None:
        self.recorder = recorder
        self.command = list(command)
        self.cwd = cwd
        self.protocol_version: str | None = None
        self.server_name: str | None = None
        self.failed = 0
        self._pending: dict[tuple[str, Any], Any] = {}
        self._lock = threading.Lock()

    # -- frames -------------------------------------------------------------------------

    def from_client(self, line: bytes) -> None:
        for message in _messages(line):
            method = message.get("method")
            if method == "initialize":
                params = message.get("params") or {}
                version = params.get("protocolVersion") if isinstance(params, dict) else None
                self.protocol_version = version if isinstance(version, str) else None
            elif method == "tools/call":
                self._start(message)
            elif method == "notifications/cancelled":
                params = message.get("params") or {}
                if isinstance(params, dict):
                    self._cancel(params.get("requestId"), params.get("reason"))

    def from_server(self, line: bytes) -> None:
        for message in _messages(line):
            if "method" in message:
                continue  # a request or notification from the server, not an answer
            result = message.get("result")
            if isinstance(result, dict):
                meta = result.get("_meta")
                info = result.get("serverInfo") or (
                    meta.get("io.modelcontextprotocol/serverInfo")
                    if isinstance(meta, dict)
                    else None
                )
                if isinstance(info, dict) and isinstance(info.get("name"), str):
                    self.server_name = info["name"]
            key = id_key(message.get("id"))
            with self._lock:
                handle = self._pending.pop(key, None) if key else None
            if handle is not None:
                status, output, error = call_outcome(message)
                extra = {"empty_result": True} if is_empty_result(message) else None
                self._finish(handle, output, status, error, extra)

    # -- lifecycle ------------------------------------------------------------------------

    def _start(self, message: dict[str, Any]) -> None:
        key = id_key(message.get("id"))
        params = message.get("params")
        params = params if isinstance(params, dict) else {}
        tool = params.get("name") if isinstance(params.get("name"), str) else "tools/call"
        arguments = params.get("arguments") if isinstance(params.get("arguments"), dict) else {}
        meta_in = params.get("_meta")
        version = self.protocol_version
        if isinstance(meta_in, dict) and isinstance(meta_in.get(MODERN_META_KEY), str):
            version = meta_in[MODERN_META_KEY]
        replay: dict[str, Any] = {
            "kind": "mcp",
            "command": self.command,
            "tool": tool,
            "arguments": arguments,
        }
        if version:
            replay["protocol_version"] = version
        if self.cwd:
            replay["cwd"] = self.cwd
        meta = {"integration": "mcp-proxy", "mcp_id": message.get("id")}
        if self.server_name:
            meta["mcp_server"] = self.server_name
        try:
            handle = self.recorder.start_call(tool, arguments, replay=replay, meta=meta)
        except Exception as exc:  # never break the relay
            print(f"forensics-tui mcp-proxy: could not record {tool}: {exc}", file=sys.stderr)
            return
        if key is not None:
            with self._lock:
                self._pending[key] = handle

    def _cancel(self, request_id: Any, reason: Any) -> None:
        key = id_key(request_id)
        with self._lock:
            handle = self._pending.pop(key, None) if key else None
        if handle is not None:
            message = reason if isinstance(reason, str) and reason else "the client cancelled it"
            error = {"type": "Cancelled", "message": message, "traceback": None}
            self._finish(handle, None, "timeout", error)

    def _finish(self, handle: Any, output: Any, status: str, error: Any, meta: Any = None) -> None:
        if status != "ok":
            self.failed += 1
        try:
            handle.finish(output, status, error=error, meta=meta)
        except Exception as exc:
            print(f"forensics-tui mcp-proxy: could not record a result: {exc}", file=sys.stderr)

    def close(self, exit_code: int | None) -> None:
        """Finish calls still waiting for an answer: the server is gone."""
        with self._lock:
            left = list(self._pending.values())
            self._pending.clear()
        for handle in left:
            message = f"the server exited (code {exit_code}) before answering"
            self._finish(handle, None, "error", {"type": "NoResponse", "message": message})


def _messages(line: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return []
    items = data if isinstance(data, list) else [data]
    return [m for m in items if isinstance(m, dict)]


def _observe(observe: Any, line: bytes) -> None:
    """Record a frame; a frame the tracker cannot make sense of never stops the relay."""
    try:
        observe(line)
    except Exception as exc:
        with contextlib.suppress(Exception):
            print(f"forensics-tui mcp-proxy: could not record a frame: {exc!r}", file=sys.stderr)


def _pump(source: IO[bytes], sink: IO[bytes], observe: Any, before: bool) -> None:
    """Copy lines from ``source`` to ``sink`` exactly; ``observe`` each (before or after)."""
    try:
        for line in iter(source.readline, b""):
            if before:
                _observe(observe, line)
            try:
                sink.write(line)
                sink.flush()
            except (BrokenPipeError, OSError, ValueError):
                return
            if not before:
                _observe(observe, line)
    except (OSError, ValueError):
        return


_SHUTDOWN_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL})


def _clean_end(code: int, client_closed: bool) -> bool:
    """Did the server end the way an MCP stdio session ends?

    Exit 0, or, once the client has closed its input, a terminating signal: the stdio shutdown
    sequence closes the server's stdin, then sends SIGTERM (and at last SIGKILL) to a server
    slow to leave, which on a loaded machine is a healthy one.
    """
    if code == 0:
        return True
    return client_closed and code < 0 and -code in _SHUTDOWN_SIGNALS


def run_proxy(
    command: Sequence[str],
    recorder: Recorder,
    *,
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | None = None,
) -> int:
    """Run ``command`` behind the proxy until it exits; returns its exit code."""
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout.buffer
    tracker = CallTracker(recorder, command, cwd=os.getcwd())
    try:
        child = subprocess.Popen(list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    except OSError as exc:
        raise FileNotFoundError(f"cannot start the MCP server {command[0]!r}: {exc}") from exc
    assert child.stdin is not None and child.stdout is not None

    client_done = threading.Event()

    def client_to_server() -> None:
        _pump(stdin, child.stdin, tracker.from_client, before=True)  # type: ignore[arg-type]
        client_done.set()
        with contextlib.suppress(OSError):
            child.stdin.close()  # type: ignore[union-attr]

    previous = {}
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):  # not the main thread / not supported
            previous[signum] = signal.signal(signum, lambda s, _f: child.send_signal(s))
    upstream = threading.Thread(target=client_to_server, name="mcp-c2s", daemon=True)
    upstream.start()
    try:
        _pump(child.stdout, stdout, tracker.from_server, before=False)
        code = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    tracker.close(code)
    with contextlib.suppress(Exception):
        recorder.end("ok" if _clean_end(code, client_done.is_set()) else "failed")
    return code if code >= 0 else 128 - code
