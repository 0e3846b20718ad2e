"""Re-execute an ``mcp`` fixture: start the recorded server, speak MCP, send the ``tools/call``.

``reexecute_mcp(spec, timeout=...)`` is the executor function; ``McpExecutor`` adapts it to the
re-execute feature's kind registry (``register()`` plugs it in).  The protocol era follows the
recording: a handshake-era call (``initialize`` + ``notifications/initialized``) or a
2026-era stateless call (the ``_meta`` envelope on the request itself).  The server's stderr is
kept (its tail goes in the outcome) instead of reaching the operator's terminal.  Stdlib only.

Running a command from a fixture is running code: the command's program must be allowed by
``[reexec] mcp_commands`` in the config file or ``$FORENSICS_REEXEC_MCP_COMMANDS``
(comma-separated program names or paths, optionally with their exact arguments), compared by
resolved absolute path; the recorded ``cwd`` is ignored and the server gets a minimal
environment.
"""

from __future__ import annotations

import collections
import json
import os
import queue
import re
import shlex
import shutil
import subprocess
import threading
import time
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

from forensics_tui import __version__
from forensics_tui.core.reexec.kinds import Outcome, Refused, register_executor
from forensics_tui.core.reexec.request import Request
from forensics_tui.core.reexec.secrets_fill import fill_secrets
from forensics_tui.integrations._mcp_wire import (
    HANDSHAKE_VERSION,
    MODERN_META_KEY,
    call_outcome,
    is_modern,
)

if TYPE_CHECKING:
    from forensics_tui.core.model import Fixture
    from forensics_tui.core.reexec.policy import ReexecPolicy

__all__ = ["ALLOW_ENV", "McpExecutor", "allowed_command", "child_env", "reexecute_mcp", "register"]

ALLOW_ENV = "FORENSICS_REEXEC_MCP_COMMANDS"
_CALL_ID = "forensics-reexec-call"
_INIT_ID = "forensics-reexec-init"
_CLIENT = {"name": "forensics-tui", "version": __version__}


def _err(kind: str, message: str) -> dict[str, Any]:
    return {"type": kind, "message": message, "traceback": None}


def _validate(spec: Any) -> tuple[list[str], str, dict[str, Any]]:
    if not isinstance(spec, dict) or spec.get("kind") != "mcp":
        raise Refused("not an mcp replay spec")
    command = spec.get("command")
    if not (isinstance(command, list) and command and all(isinstance(c, str) for c in command)):
        raise Refused("replay.command must be a non-empty list of strings")
    tool = spec.get("tool")
    if not isinstance(tool, str) or not tool:
        raise Refused("replay.tool is missing")
    arguments = spec.get("arguments", {})
    if not isinstance(arguments, dict):
        raise Refused("replay.arguments must be an object")
    return command, tool, arguments


class _Session:
    """One server process and the lines it writes, read on threads with a deadline."""

    def __init__(self, command: list[str], cwd: str | None, env: dict[str, str] | None) -> None:
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd if cwd and os.path.isdir(cwd) else None,
            env=env,
        )
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        self.stderr: collections.deque[bytes] = collections.deque(maxlen=40)
        threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True).start()
        threading.Thread(target=self._drain, args=(self.proc.stderr,), daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        for line in iter(stream.readline, b""):
            self.lines.put(line)
        self.lines.put(None)

    def _drain(self, stream: IO[bytes]) -> None:
        for line in iter(stream.readline, b""):
            self.stderr.append(line[:500])

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode("utf-8") + b"\n")
        self.proc.stdin.flush()

    def answer(self, want: str, deadline: float) -> dict[str, Any] | None:
        """The response to request ``want``; None on EOF; TimeoutError past the deadline."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                raise TimeoutError from None
            if line is None:
                return None
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if not isinstance(message, dict):
                continue
            if "method" in message and "id" in message:  # a request from the server
                if message["method"] == "ping":
                    self.send({"jsonrpc": "2.0", "id": message["id"], "result": {}})
                else:
                    error = {"code": -32601, "message": "not supported during re-execution"}
                    self.send({"jsonrpc": "2.0", "id": message["id"], "error": error})
            elif message.get("id") == want:
                return message

    def stderr_tail(self) -> str:
        return b"".join(self.stderr).decode("utf-8", "replace")[-2000:]

    def close(self) -> int | None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        for action in (None, self.proc.terminate, self.proc.kill):
            if action is not None:
                action()
            try:
                return self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                continue
        return None


def reexecute_mcp(
    spec: dict[str, Any], *, timeout: float = 30.0, env: dict[str, str] | None = None
) -> Outcome:
    """Start ``spec["command"]``, call ``spec["tool"]`` once; failures are outcomes, not raises."""
    command, tool, arguments = _validate(spec)
    version = (
        spec.get("protocol_version") if isinstance(spec.get("protocol_version"), str) else None
    )
    modern = is_modern(version)
    start = time.perf_counter()
    deadline = time.monotonic() + timeout
    details: dict[str, Any] = {"protocol_version": version or HANDSHAKE_VERSION}
    try:
        session = _Session(command, spec.get("cwd"), env)
    except OSError as exc:
        return Outcome("error", error=_err(type(exc).__name__, str(exc)), details=details)

    def done(status: str, output: Any = None, error: Any = None) -> Outcome:
        code = session.close()
        details["exit_code"] = code
        tail = session.stderr_tail()
        if tail and status != "ok":
            details["stderr_tail"] = tail
        ms = round((time.perf_counter() - start) * 1000, 3)
        return Outcome(status, output=output, error=error, duration_ms=ms, details=details)

    params: dict[str, Any] = {"name": tool, "arguments": arguments}
    try:
        if modern:
            params["_meta"] = {
                MODERN_META_KEY: version,
                "io.modelcontextprotocol/clientInfo": _CLIENT,
                "io.modelcontextprotocol/clientCapabilities": {},
            }
        else:
            init = {"protocolVersion": version or HANDSHAKE_VERSION, "capabilities": {}}
            init["clientInfo"] = _CLIENT
            session.send({"jsonrpc": "2.0", "id": _INIT_ID, "method": "initialize", "params": init})
            reply = session.answer(_INIT_ID, deadline)
            if reply is None or "error" in reply:
                why = "the server exited" if reply is None else json.dumps(reply.get("error"))
                return done("error", error=_err("InitializeFailed", why))
            session.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        session.send({"jsonrpc": "2.0", "id": _CALL_ID, "method": "tools/call", "params": params})
        reply = session.answer(_CALL_ID, deadline)
    except TimeoutError:
        try:
            cancel = {"requestId": _CALL_ID, "reason": "re-execution timed out"}
            session.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": cancel})
        except OSError:
            pass
        return done("timeout", error=_err("Timeout", f"no answer within {timeout:g}s"))
    except OSError as exc:  # the server closed its stdin
        return done("error", error=_err(type(exc).__name__, str(exc)))
    if reply is None:
        return done("error", error=_err("NoResponse", "the server exited before answering"))
    status, output, error = call_outcome(reply)
    return done(status, output, error)


_INTERPRETERS = re.compile(
    r"(python|pypy|node|nodejs|deno|bun|ruby|perl|php|lua|java|sh|bash|zsh|dash|ksh|fish|"
    r"env|uv|uvx|npx|pnpx|pipx|poetry|pwsh|powershell|cmd|osascript|tclsh|wish)"
    r"[0-9.]*(\.exe)?",
    re.IGNORECASE,
)
_CHILD_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME")
_CHILD_ENV_WINDOWS = ("SYSTEMROOT", "SYSTEMDRIVE", "TEMP", "TMP", "USERPROFILE", "COMSPEC")


def _program_path(program: str, search_path: str | None, *, relative_ok: bool) -> str | None:
    """The real absolute path of an executable program, or None.  A bare name is looked up on
    the operator's PATH; a relative path (``./server``) depends on a directory the fixture may
    choose, so it only counts in the operator's own configuration (``relative_ok``)."""
    if os.sep in program or (os.altsep and os.altsep in program):
        if not os.path.isabs(program) and not relative_ok:
            return None
        found: str | None = os.path.abspath(program)
    else:
        found = shutil.which(program, path=search_path)
    if found is None or not os.path.isfile(found) or not os.access(found, os.X_OK):
        return None
    return os.path.realpath(found)


def allowed_command(command: list[str], policy: ReexecPolicy) -> list[str]:
    """``command`` with its program as the resolved absolute path that was checked; ``Refused``
    unless an allowlist entry (``[reexec] mcp_commands`` or ``$FORENSICS_REEXEC_MCP_COMMANDS``)
    names the same real file and, where the entry gives arguments, the same arguments.  An
    interpreter or shell (``python``, ``node``, ``sh``, ``npx``...) is allowed only with its
    arguments configured: allowing ``python`` alone would allow ``python -c ...``."""
    search_path = policy.env.get("PATH", os.defpath)
    entries = [c.strip() for c in policy.env.get(ALLOW_ENV, "").split(",") if c.strip()]
    entries += list(policy.mcp_commands)
    program = _program_path(command[0], search_path, relative_ok=False)
    hint = f"add it to [reexec] mcp_commands or ${ALLOW_ENV} to re-execute"
    if program is None:
        raise Refused(
            f"the MCP server program {command[0]!r} is not allowed: not an executable on your PATH "
            f"(relative paths are never run from a fixture); {hint}"
        )
    interpreter = _INTERPRETERS.fullmatch(os.path.basename(program)) or _INTERPRETERS.fullmatch(
        os.path.basename(command[0])
    )
    for entry in entries:
        try:
            words = shlex.split(entry)
        except ValueError:
            continue
        if not words or _program_path(words[0], search_path, relative_ok=True) != program:
            continue
        if len(words) > 1 and command[1:] != words[1:]:
            continue
        if len(words) == 1 and interpreter and len(command) > 1:
            raise Refused(
                f"{command[0]!r} is an interpreter: allowing it alone would run any code; "
                f'allow the exact command instead (mcp_commands = ["{shlex.join(command)}"])'
            )
        return [program, *command[1:]]
    raise Refused(f"the MCP server program {command[0]!r} ({program}) is not allowed; {hint}")


def child_env(env: Mapping[str, str]) -> dict[str, str]:
    """The minimal environment an MCP server started from a fixture gets: PATH, HOME, locale,
    temp dir, user; none of the operator's tokens or keys."""
    names = _CHILD_ENV + (_CHILD_ENV_WINDOWS if os.name == "nt" else ())
    return {name: env[name] for name in names if name in env}


class McpExecutor:
    """``{"kind": "mcp", "command", "tool", "arguments", "protocol_version"?, "cwd"?}``.

    The recorded ``cwd`` is not used: the server starts in the operator's current directory.
    """

    kind = "mcp"
    secret_roots = ("replay",)

    def build(self, fixture: Fixture, policy: ReexecPolicy) -> Request:
        spec, fills = fill_secrets(fixture.replay, "replay", policy.secrets, policy.env)
        command, tool, _ = _validate(spec)
        checked = allowed_command(command, policy)
        notes = ["starts the MCP server process, calls the tool once, then stops it"]
        notes.append("the server gets a minimal environment (PATH, HOME, locale, user)")
        recorded_cwd = spec.pop("cwd", None)
        if recorded_cwd:
            notes.append(f"recorded cwd {recorded_cwd!r} ignored (runs in the current directory)")
        spec["command"] = checked
        body = json.dumps(spec, ensure_ascii=False, separators=(",", ":"))
        return Request(
            kind="mcp",
            method="tools/call",
            target=f"{tool} via {shlex.join(checked)}",
            body=body,
            body_is_json=True,
            fills=tuple(fills),
            notes=tuple(notes),
        )

    def send(self, request: Request, policy: ReexecPolicy) -> Outcome:
        wire = request.wire_body()
        spec = json.loads(wire) if wire else {}
        spec.pop("cwd", None)
        return reexecute_mcp(spec, timeout=policy.timeout_s, env=child_env(policy.env))


def register() -> None:
    """Make the re-execute feature handle ``mcp`` fixtures."""
    register_executor(McpExecutor())
