"""Bodies on demand: a large call is mirrored as a stub and its body fetched from the JetStream
Object Store when the call is loaded (store, analysis, CLI, TUI), against a real nats-server."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from forensics_tui.capture import Recorder
from forensics_tui.core.model import Fixture
from forensics_tui.core.sources.mirror import Mirror
from forensics_tui.core.sources.nats_bodies import ObjectBodies
from forensics_tui.core.sources.nats_conn import NatsOptions
from forensics_tui.core.sources.nats_source import NatsSource
from forensics_tui.core.sources.shipper import Shipper
from forensics_tui.core.sources.wire import Envelope, bodies_bucket
from forensics_tui.core.storage.bodies import STUB_KEY, register_bodies, unregister_bodies
from forensics_tui.core.storage.loader import LoadProblem
from forensics_tui.core.storage.store import FixtureStore
from tests.fleet.conftest import read_all

BLOB = "y" * 200_000
RUN = "20261205_080000_000001_b0d1e5"


def _ship(url: str, root: Path, host: str = "web-1") -> None:
    shipper = Shipper(root, NatsOptions(url), host=host, stream="FORENSICS", heartbeat_s=0.2)
    asyncio.run(asyncio.wait_for(shipper.run(once=True), 60))


def _fleet(url: str, tmp_path: Path) -> tuple[NatsSource, FixtureStore]:
    root = tmp_path / "root"
    rec = Recorder(root, run_id=RUN, agent="a")
    rec.record("search", {"q": 1}, {"hits": [1]})
    rec.record("fetch", {"url": "u"}, {"blob": BLOB})
    rec.end()
    _ship(url, root)
    source = read_all(url, tmp_path / "mirror")
    store = FixtureStore(source.root)
    store.scan()
    return source, store


def test_a_large_call_is_a_stub_until_loaded_then_kept(nats_server, tmp_path: Path) -> None:
    source, offline = _fleet(nats_server.url, tmp_path)
    small, big = offline.calls(f"web-1:{RUN}")
    stub_file = big.path
    assert stub_file.stat().st_size < 4096  # summary only: the body did not cross the network
    assert (big.tool, big.status) == ("fetch", "ok")  # listed from the summary
    problem = offline.load(big)
    assert isinstance(problem, LoadProblem) and "object store" in problem.reason
    assert isinstance(offline.load(small), Fixture)

    bodies = source.bodies()
    try:
        store = FixtureStore(source.root, bodies=bodies)
        store.scan()
        loaded = store.load(store.calls(f"web-1:{RUN}")[1])
        assert isinstance(loaded, Fixture) and loaded.output == {"blob": BLOB}
        assert STUB_KEY not in loaded.raw
        assert bodies.fetched == 1
    finally:
        bodies.close()
    # kept in the mirror: a store without any fetcher now reads the body from disk
    again = FixtureStore(source.root)
    again.scan()
    reread = again.load(again.calls(f"web-1:{RUN}")[1])
    assert isinstance(reread, Fixture) and reread.output == {"blob": BLOB}
    assert json.loads(stub_file.read_bytes())["output"] == {"blob": BLOB}


def test_fetch_failures_are_load_problems_and_retried(nats_server, tmp_path: Path) -> None:
    source, _ = _fleet(nats_server.url, tmp_path)
    store = FixtureStore(source.root, bodies=(bodies := source.bodies()))
    store.scan()
    big = store.calls(f"web-1:{RUN}")[1]
    nats_server.stop()
    try:
        down = store.load(big)
        assert isinstance(down, LoadProblem)
        assert down.reason.startswith("body not fetched: cannot reach")
        nats_server.start()
        # not cached: opening the call again fetches it now that the server is back
        deadline = time.monotonic() + 20
        loaded: Any = down
        while isinstance(loaded, LoadProblem) and time.monotonic() < deadline:
            loaded = store.load(big)
        assert isinstance(loaded, Fixture) and loaded.output == {"blob": BLOB}
    finally:
        bodies.close()


def test_a_missing_object_an_over_cap_body_and_another_hosts_object(
    nats_server, tmp_path: Path
) -> None:
    source, _ = _fleet(nats_server.url, tmp_path)
    big = next(p for p in (source.root / f"web-1:{RUN}").iterdir() if "fetch" in p.name)
    ref = json.loads(big.read_bytes())[STUB_KEY]

    small_cap = ObjectBodies(source.options, "FORENSICS", source.mirror, cap=1000)
    try:
        assert "over the 0.0 MB load cap" in (small_cap.fetch(big, ref) or "")
        forged = {**ref, "size": 10}  # a stub that lies about the size: the store's size wins
        assert "load cap" in (small_cap.fetch(big, forged) or "")
    finally:
        small_cap.close()
    bodies = source.bodies()
    try:
        other = {"object": "db-1." + ref["object"].split(".", 1)[1], "size": 10}
        assert "another host" in (bodies.fetch(big, other) or "")

        async def delete() -> None:
            import nats

            nc = await nats.connect(nats_server.url)
            objects = await nc.jetstream().object_store(bodies_bucket("FORENSICS"))
            await objects.delete(ref["object"])
            await nc.close()

        asyncio.run(delete())
        gone = bodies.fetch(big, ref)
        assert gone is not None and "not in the object store" in gone
        assert STUB_KEY in json.loads(big.read_bytes())  # the stub stays, nothing half-written
    finally:
        bodies.close()


def test_a_fetched_body_never_replaces_a_newer_message(tmp_path: Path) -> None:
    mirror = Mirror(tmp_path / "m")
    env = Envelope("call", "web-1", "r1", "000001_t.json", "c1", "final", "web-1.c1.final", 9)
    summary = json.dumps({"run_id": "r1", "tool": "t", "status": "ok"}).encode()
    stub = Mirror.stub(summary, env)
    assert stub is not None
    path = mirror.write(env, stub, time.time())
    assert path is not None
    body = json.dumps({"run_id": "r1", "tool": "t", "status": "ok", "output": 1}).encode()
    assert not mirror.replace_stub(path, "web-1.c1.pending", body)  # names another object
    newer = json.dumps({"run_id": "r1", "tool": "t", "status": "error"}).encode()
    mirror.write(env, newer, time.time())
    assert not mirror.replace_stub(path, "web-1.c1.final", body)  # no longer the stub
    assert path.read_bytes() == newer
    assert Mirror.stub(b"[1, 2]", env) is None


def test_findings_and_cli_commands_fetch_bodies(nats_server, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from forensics_tui.cli.main import cli as group
    from forensics_tui.core.analysis.engine import Analysis

    source, _ = _fleet(nats_server.url, tmp_path)
    bodies = source.bodies()
    register_bodies(source.root, bodies)  # what the CLI does for a --source
    try:
        store = FixtureStore(source.root)
        store.scan()
        facts = Analysis(store).facts(store.calls(f"web-1:{RUN}")[1])
        assert facts.shape is not None and "blob" in json.dumps(facts.shape, default=str)
    finally:
        unregister_bodies(source.root)
        bodies.close()

    cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    url = f"{nats_server.url}/FORENSICS"
    pulled = CliRunner().invoke(
        group, ["pull", "--source", url, "--dir", str(tmp_path / "local"), RUN], env=cache
    )
    assert pulled.exit_code == 0, pulled.output
    local = tmp_path / "local" / RUN
    fetched = json.loads(next(p for p in local.iterdir() if "fetch" in p.name).read_bytes())
    assert fetched["output"] == {"blob": BLOB} and STUB_KEY not in fetched  # usable offline
    tail = CliRunner().invoke(
        group, ["tail", "--json", "--once", "--with-body", "--source", url], env=cache
    )
    assert tail.exit_code == 0, tail.output
    lines = [json.loads(x) for x in tail.output.splitlines() if '"tool"' in x]
    assert lines[-1]["fixture"]["output"] == {"blob": BLOB}


async def test_fleet_tui_fetches_the_body_when_the_call_is_opened(
    nats_server, tmp_path: Path
) -> None:
    from forensics_tui.ui.fleet_app import FleetApp
    from forensics_tui.ui.widgets.calls_pane import CallsPane
    from forensics_tui.ui.widgets.detail_pane import DetailPane
    from forensics_tui.ui.widgets.payload_view import PayloadView
    from tests.ui.conftest import plain_text, wait_for

    source, _ = await asyncio.to_thread(_fleet, nats_server.url, tmp_path)
    bodies = source.bodies()
    store = FixtureStore(source.root, bodies=bodies)
    app = FleetApp(source.root, store=store, hosts=source.hosts, watch=False)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(pilot, lambda: len(app.screen.rows) == 2, timeout=10)
            calls = app.screen.query_one(CallsPane)
            detail = app.screen.query_one(DetailPane)
            big = next(i for i, c in enumerate(app.screen.rows.rows) if c.tool == "fetch")
            nats_server.stop()
            calls.set_cursor(big)
            await pilot.press("2")
            output = detail.query_one("#view-output", PayloadView)
            await wait_for(pilot, lambda: "body not fetched" in plain_text(output), timeout=20)
            nats_server.start()
            calls.set_cursor(1 - big)
            await pilot.pause(0.1)
            calls.set_cursor(big)  # opened again: fetched now, shown like any payload
            await wait_for(pilot, lambda: "yyyyyyyy" in plain_text(output), timeout=20)
    finally:
        bodies.close()
