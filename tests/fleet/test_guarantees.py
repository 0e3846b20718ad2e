"""The fleet guarantees, each with real processes: a real nats-server (or three), shippers
and agents as separate processes, kill -9 and server outages while the agents write."""

from __future__ import annotations

import asyncio
import json
import random
import signal
import time
from pathlib import Path

import pytest

from forensics_tui.core.sources.nats_conn import NatsOptions
from forensics_tui.core.sources.nats_server import NatsServer, start_cluster
from forensics_tui.core.sources.nats_source import NatsSource
from forensics_tui.core.sources.ship_cursor import ShipCursor
from tests.fleet.conftest import (
    duplicates,
    finals_on_disk,
    start_agent,
    start_shipper,
    stream_calls,
    wait_for,
)

pytestmark = pytest.mark.slow


def _all_finals_shipped(url: str, root: Path, host: str, expected: int) -> bool:
    finals = finals_on_disk(root)
    if len(finals) < expected:
        return False
    shipped = {c for h, c, s, _ in stream_calls(url) if h == host and s == "final"}
    return finals <= shipped


def test_kill9_shipper_mid_stream_then_restart_exactly_once(nats_server, tmp_path: Path) -> None:
    root = tmp_path / "root"
    agent = start_agent(root, "run-k", 1500, pause_ms=2.0)
    ship = start_shipper(nats_server.url, root, "web-1", log=tmp_path / "ship.log")
    rng = random.Random(15)
    try:
        for round_ in range(3):
            target = (round_ + 1) * 200 + rng.randrange(100)
            wait_for(lambda t=target: len(stream_calls(nats_server.url)) >= t, what=f"{target}")
            ship.send_signal(signal.SIGKILL)
            ship.wait(10)
            ship = start_shipper(nats_server.url, root, "web-1", log=tmp_path / "ship.log")
        assert agent.wait(60) == 0
        wait_for(
            lambda: _all_finals_shipped(nats_server.url, root, "web-1", 1500),
            timeout=60,
            every=0.3,
            what="every final",
        )
    finally:
        ship.kill()
        ship.wait(10)
        agent.kill()
    messages = stream_calls(nats_server.url)
    assert duplicates(messages) == {}
    finals = [c for _, c, s, _ in messages if s == "final"]
    assert len(finals) == 1500 and set(finals) == finals_on_disk(root)


def test_server_outage_agents_never_block_shippers_catch_up(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "js").start()
    root = tmp_path / "root"
    stats = tmp_path / "agent.json"
    ship = start_shipper(server.url, root, "db-1", log=tmp_path / "ship.log")
    agent = start_agent(root, "run-o", 1200, pause_ms=4.0, stats=stats)
    try:
        wait_for(lambda: len(stream_calls(server.url)) >= 150, what="shipping under way")
        server.stop()  # for a few seconds while the agent keeps writing
        written_during = len(finals_on_disk(root))
        wait_for(
            lambda: len(finals_on_disk(root)) >= written_during + 300,
            timeout=30,
            what="the agent writing on during the outage",
        )
        server = NatsServer(server.store_dir, port=server.port).start()
        assert agent.wait(60) == 0
        wait_for(
            lambda: _all_finals_shipped(server.url, root, "db-1", 1200),
            timeout=60,
            every=0.3,
            what="catch-up",
        )
    finally:
        ship.terminate()
        ship.wait(10)
        agent.kill()
        server.stop()
        server = NatsServer(server.store_dir, port=server.port).start()
    try:
        messages = stream_calls(server.url)
    finally:
        server.stop()
    assert duplicates(messages) == {}
    assert {c for _, c, s, _ in messages if s == "final"} == finals_on_disk(root)
    # capture never waits on the network: no call's writes took anywhere near a timeout
    assert json.loads(stats.read_text())["slowest_s"] < 0.5


def test_reader_reconnect_resumes_without_gap_or_duplicate(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "js").start()
    root = tmp_path / "root"
    mirror = tmp_path / "mirror"
    ship = start_shipper(server.url, root, "api-1", log=tmp_path / "ship.log")
    agent = start_agent(root, "run-r", 800, pause_ms=4.0)

    async def read(stop_at_applied: int, restart_server: bool) -> list[int]:
        nonlocal server
        source = NatsSource(NatsOptions(server.url), "FORENSICS", mirror_root=mirror)
        source.keep_applied = True
        await source.start()
        restarted = False

        async def consume() -> None:
            async for _ in source.changes():
                if len(source.applied) >= stop_at_applied:
                    return

        task = asyncio.create_task(consume())
        while not task.done():
            await asyncio.sleep(0.05)
            if restart_server and not restarted and len(source.applied) > 200:
                server.stop()
                await asyncio.sleep(1.0)
                server = NatsServer(server.store_dir, port=server.port).start()
                restarted = True
        await source.close()
        return source.applied

    try:
        wait_for(lambda: stream_calls(server.url), what="a stream")
        first = asyncio.run(asyncio.wait_for(read(500, restart_server=True), 60))
        assert agent.wait(60) == 0
        wait_for(
            lambda: _all_finals_shipped(server.url, root, "api-1", 800),
            timeout=60,
            every=0.3,
            what="everything shipped",
        )
        ship.terminate()
        ship.wait(10)
        last = max(m[3] for m in stream_calls(server.url))
        # a new reader on the same mirror resumes after the last sequence applied
        source = NatsSource(NatsOptions(server.url), "FORENSICS", mirror_root=mirror)
        source.keep_applied = True

        async def rest() -> list[int]:
            await source.start()
            await source.catch_up()
            await source.close()
            return source.applied

        rest_applied = asyncio.run(rest())
    finally:
        ship.kill()
        agent.kill()
        server.stop()
    assert first == list(range(1, len(first) + 1))  # no gap, no duplicate across the outage
    assert rest_applied[0] == first[-1] + 1
    assert first + rest_applied == list(range(1, len(first) + len(rest_applied) + 1))
    assert rest_applied[-1] >= last


def test_cluster_node_killed_nothing_acknowledged_is_lost(tmp_path: Path) -> None:
    nodes = start_cluster(tmp_path / "cluster", 3)
    root = tmp_path / "root"
    ship = start_shipper(nodes[0].url, root, "edge-1", "--replicas", "3", log=tmp_path / "ship.log")
    agent = start_agent(root, "run-c", 800, pause_ms=3.0)
    try:
        wait_for(
            lambda: len(stream_calls(nodes[0].url)) >= 200,
            timeout=60,
            what="replicated stream under way",
        )
        nodes[2].kill()  # SIGKILL one node mid-stream
        assert agent.wait(60) == 0
        wait_for(
            lambda: _all_finals_shipped(nodes[0].url, root, "edge-1", 800),
            timeout=60,
            every=0.3,
            what="every final on the surviving nodes",
        )
        ship.terminate()
        ship.wait(10)
        acked = ShipCursor(root, "edge-1").acked
        on_disk = finals_on_disk(root)

        def finals_via_another_node() -> bool:  # a read may time out while leaders settle
            return {c for _, c, s, _ in stream_calls(nodes[1].url) if s == "final"} == on_disk

        wait_for(finals_via_another_node, timeout=30, every=0.5, what="the same via node 1")
    finally:
        ship.kill()
        agent.kill()
        for node in nodes:
            node.stop()
    finals_acked = [k for k, v in acked.items() if v == "final"]
    assert len(finals_acked) == 800


def test_shipper_started_before_the_server_waits_then_ships_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    from forensics_tui.core.sources.nats_server import free_port

    port = free_port()
    root = tmp_path / "root"
    agent = start_agent(root, "run-early", 50, pause_ms=1.0)
    assert agent.wait(30) == 0
    log = tmp_path / "early.log"
    waiting = start_shipper(f"nats://127.0.0.1:{port}", root, "early-1", log=log)
    try:
        wait_for(lambda: log.is_file() and "shipping" in log.read_text(), what="start-up")
        time.sleep(0.5)  # it has nothing to connect to: it must neither exit nor hang on stop
        assert waiting.poll() is None
        waiting.terminate()
        assert waiting.wait(10) == 0
        ship = start_shipper(f"nats://127.0.0.1:{port}", root, "early-1")
        server = NatsServer(tmp_path / "js", port=port).start()
        try:
            wait_for(
                lambda: _all_finals_shipped(server.url, root, "early-1", 50),
                what="the backlog shipped once the server appeared",
            )
        finally:
            ship.terminate()
            ship.wait(10)
            server.stop()
    finally:
        waiting.kill()
