"""The ``python`` replay kind: call ``module:function`` with the recorded input, in a subprocess.

A fixture is untrusted, so it must not be able to name ``os:system``: only modules listed in the
config (``[reexec] python_modules``; ``pkg.*`` allows a package's submodules) are importable this
way, and only public plain function names.  The call runs in a fresh interpreter with a timeout
(its whole process group is killed when it expires); the arguments travel over stdin, so filled
secrets never touch the disk or the command line.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

from forensics_tui.core.reexec.kinds import Outcome, Refused
from forensics_tui.core.reexec.request import Request
from forensics_tui.core.reexec.secrets_fill import fill_secrets

if TYPE_CHECKING:
    from forensics_tui.core.model import Fixture
    from forensics_tui.core.reexec.policy import ReexecPolicy

__all__ = ["PythonExecutor", "module_allowed"]

_TARGET = re.compile(
    r"([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*):([A-Za-z][A-Za-z0-9_]*)"
)

# Runs in the child: the real stdout carries only the JSON result; prints go to stderr.
_RUNNER = """
import asyncio, importlib, inspect, json, sys, traceback
out, sys.stdout = sys.stdout, sys.stderr
req = json.loads(sys.stdin.read())
try:
    fn = getattr(importlib.import_module(req["module"]), req["function"])
    result = fn(**req["kwargs"])
    if inspect.isawaitable(result):
        result = asyncio.run(result)
    payload = {"ok": True, "result": result}
except BaseException as exc:
    payload = {"ok": False, "error": {"type": type(exc).__name__, "message": str(exc),
               "traceback": traceback.format_exc()}}
out.write(json.dumps(payload, default=repr))
out.flush()
"""


def module_allowed(module: str, allowed: tuple[str, ...]) -> bool:
    """Exactly listed, or under a listed ``pkg.*``."""
    for entry in allowed:
        if entry == module:
            return True
        if entry.endswith(".*") and module.startswith(entry[:-1]):
            return True
    return False


class PythonExecutor:
    """``{"kind": "python", "target": "pkg.module:function"}``, input as keyword arguments."""

    kind = "python"

    def build(self, fixture: Fixture, policy: ReexecPolicy) -> Request:
        target = (fixture.replay or {}).get("target")
        match = _TARGET.fullmatch(target) if isinstance(target, str) else None
        if match is None or not isinstance(target, str):
            raise Refused(f"replay.target {target!r} is not 'package.module:function'")
        module = match.group(1)
        if not module_allowed(module, policy.python_modules):
            raise Refused(
                f"python module {module!r} is not allowed "
                "(list it in the config: [reexec] python_modules)"
            )
        kwargs = fixture.input if fixture.input is not None else {}
        if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
            raise Refused("the recorded input is not an object, so it cannot be keyword arguments")
        filled, fills = fill_secrets(kwargs, "input", policy.secrets, policy.env)
        return Request(
            kind="python",
            method="CALL",
            target=target,
            body=json.dumps(filled, ensure_ascii=False),
            body_is_json=True,
            fills=tuple(fills),
            notes=(f"runs in a subprocess; killed after {policy.timeout_s:g}s",),
        )

    def send(self, request: Request, policy: ReexecPolicy) -> Outcome:
        module, _, function = request.target.partition(":")
        kwargs = json.loads(request.wire_body() or b"{}")
        payload = json.dumps({"module": module, "function": function, "kwargs": kwargs})
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", _RUNNER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env=dict(policy.env),
        )
        try:
            out, err = proc.communicate(payload.encode("utf-8"), timeout=policy.timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.communicate()
            message = f"{request.target} did not return within {policy.timeout_s:g}s"
            return Outcome("timeout", error=_err("TimeoutExpired", message), duration_ms=_ms(start))
        return _outcome(out, err, proc.returncode, policy.max_response_bytes, _ms(start))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the child we started, and anything it spawned
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


def _err(kind: str, message: str, traceback: str = "") -> dict[str, Any]:
    return {"type": kind, "message": message, "traceback": traceback}


def _outcome(out: bytes, err: bytes, code: int, cap: int, duration_ms: float) -> Outcome:
    details = {
        "exit_code": code,
        "bytes": len(out),
        "stderr": err[-2000:].decode("utf-8", "replace"),
    }
    if len(out) > cap:
        details["truncated"] = True
        text = out[:cap].decode("utf-8", "replace")
        return Outcome(
            "ok",
            output={"truncated": True, "text": text},
            duration_ms=duration_ms,
            truncated=True,
            details=details,
        )
    try:
        payload = json.loads(out)
    except ValueError:
        message = f"the subprocess exited with code {code} without a result"
        return Outcome(
            "error", error=_err("ReexecError", message), duration_ms=duration_ms, details=details
        )
    if payload.get("ok"):
        return Outcome("ok", output=payload.get("result"), duration_ms=duration_ms, details=details)
    error = payload.get("error") or {}
    return Outcome(
        "error",
        error=_err(str(error.get("type")), str(error.get("message")), str(error.get("traceback"))),
        duration_ms=duration_ms,
        details=details,
    )
