"""The SSH source: a few hosts without NATS, each running ``forensics-tui tail --json
--with-body`` remotely, multiplexed into one mirror.

Every line from a remote host is untrusted: it must be one JSON object under the size cap,
with a run id and file name that pass the wire checks; the fixture it carries is written to
the mirror as is, so the loader judges it like a local file.  ``$FORENSICS_SSH`` names the ssh
program (default ``ssh``, run with ``BatchMode=yes``: no password prompt can hang a reader).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from forensics_tui.core.sources.base import Batch, HostState, Source, SourceError
from forensics_tui.core.sources.mirror import Mirror, default_mirror_root
from forensics_tui.core.sources.spec import SourceSpec
from forensics_tui.core.sources.wire import Envelope, WireError, safe_host, safe_name, safe_run
from forensics_tui.core.storage.loader import LOAD_CAP

__all__ = ["SshSource", "ssh_argv"]

_CAUGHT_UP = "caught_up"


def ssh_argv(spec: SourceSpec) -> list[str]:
    """The local command that runs the remote tail for ``spec``."""
    remote = ["forensics-tui", "tail", "--json", "--with-body"]
    if spec.path is not None:
        remote += ["--dir", os.fspath(spec.path)]
    program = shlex.split(os.environ.get("FORENSICS_SSH", "ssh"))
    argv = [*program, "-o", "BatchMode=yes"]
    if spec.port is not None:
        argv += ["-p", str(spec.port)]
    if spec.user:
        argv += ["-l", spec.user]
    assert spec.host is not None
    return [*argv, spec.host, "--", shlex.join(remote)]


class SshSource(Source):
    kind = "ssh"

    def __init__(self, specs: list[SourceSpec], *, mirror_root: Path | None = None) -> None:
        self.specs = specs
        self.label = " ".join(s.text for s in specs)
        self.root = Path(mirror_root) if mirror_root else default_mirror_root(self.label)
        self.mirror = Mirror(self.root)
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._procs: list[asyncio.subprocess.Process] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._waiting: set[str] = set()  # hosts whose initial listing is not in yet
        self._open: set[str] = set()  # hosts whose remote tail still runs
        self.errors: list[str] = []

    async def start(self) -> None:
        for spec in self.specs:
            assert spec.host is not None
            host = safe_host(spec.host)
            try:
                proc = await asyncio.create_subprocess_exec(
                    *ssh_argv(spec),
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                    limit=LOAD_CAP + 4096,
                    start_new_session=True,  # close() ends ssh and anything it started
                )
            except OSError as exc:
                raise SourceError(
                    f"cannot run ssh for {spec.text}: {exc.strerror or exc}"
                ) from None
            self._procs.append(proc)
            self._waiting.add(host)
            self._open.add(host)
            self._tasks.append(asyncio.create_task(self._read(host, proc)))

    async def _read(self, host: str, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None and proc.stderr is not None
        while True:
            try:
                line = await proc.stdout.readline()
            except (ValueError, asyncio.LimitOverrunError):
                await self._queue.put((host, {"_error": "line over the size cap"}))
                continue
            if not line:
                break
            await self._queue.put((host, line))
        err = (await proc.stderr.read(2000)).decode("utf-8", "replace").strip()
        code = await proc.wait()
        await self._queue.put((host, {"_exit": code, "_stderr": err}))

    async def catch_up(self) -> int:
        count = 0
        while self._waiting:
            items = [await self._queue.get()]
            while not self._queue.empty():
                items.append(self._queue.get_nowait())
            count += len(self._apply(items))
        return count

    async def changes(self) -> AsyncIterator[Batch]:  # type: ignore[override]
        while self._open or not self._queue.empty():
            items = [await self._queue.get()]
            while not self._queue.empty():
                items.append(self._queue.get_nowait())
            batch = self._apply(items)
            if batch:
                yield batch

    def _apply(self, items: list[tuple[str, Any]]) -> Batch:
        batch: Batch = []
        now = time.time()
        for host, item in items:
            if isinstance(item, dict):  # end of a host's stream, or an overlong line
                if "_exit" in item:
                    self._waiting.discard(host)
                    self._open.discard(host)
                    if item["_exit"] not in (0, None):
                        self.errors.append(f"{host}: ssh exited {item['_exit']}: {item['_stderr']}")
                continue
            path = self._apply_line(host, item, now)
            if path is not None:
                batch.append(("modified", path))
        return batch

    def _apply_line(self, host: str, line: bytes, now: float) -> Path | None:
        try:
            obj = json.loads(line)
        except ValueError:
            return None
        if not isinstance(obj, dict):
            return None
        if obj.get(_CAUGHT_UP) is True:
            self._waiting.discard(host)
            return None
        try:
            run = safe_run(str(obj.get("run_id", "")))
            name = safe_name(str(obj.get("file", "")))
        except WireError:
            self.mirror.malformed += 1
            return None
        fixture = obj.get("fixture")
        body = json.dumps(fixture).encode() if isinstance(fixture, dict) else line
        state = "pending" if obj.get("status") == "pending" else "final"
        env = Envelope("call", host, run, name, str(obj.get("call_id", "")), state)
        return self.mirror.write(env, body, now)

    def hosts(self) -> list[HostState]:
        return self.mirror.hosts()

    async def close(self) -> None:
        for proc in self._procs:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGTERM)
        if self._tasks:  # the readers end at EOF; waiting for them lets the pipes close
            _, late = await asyncio.wait(self._tasks, timeout=5)
            for task in late:
                task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.gather(*late, return_exceptions=True)
        for proc in self._procs:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), 5)
        self.mirror.save_cursor()
