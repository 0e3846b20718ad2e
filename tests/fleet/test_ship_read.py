"""Shipper -> JetStream -> NATS source, with real processes and a real nats-server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.capture import Recorder
from forensics_tui.core.storage.store import FixtureStore
from tests.fleet.conftest import env, read_all, start_shipper, stream_calls, wait_for


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "forensics_tui.cli.main", *args],
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_ship_pending_then_final_large_body_and_redaction(nats_server, tmp_path: Path) -> None:
    root = tmp_path / "root"
    rec = Recorder(root, run_id="run-1", agent="a", task="t")
    for i in range(5):
        rec.record("search", {"q": i}, {"hits": [i]})
    handle = rec.start_call("slow", {"x": 1})
    rec.record("big", {"q": 1}, {"blob": "y" * 300_000})
    # a legacy snippet fixture: never redacted at capture; the shipper redacts it
    legacy = root / "legacy-run"
    legacy.mkdir()
    (legacy / "fetch_001.json").write_text(
        json.dumps(
            {
                "run_id": "legacy-run",
                "tool": "fetch",
                "status": "ok",
                "ts": "2026-01-01T00:00:00",
                "input": {"headers": {"Authorization": "Bearer abcdefghijklmnopqrstuvwxyz0123"}},
                "output": {"ok": True},
            }
        )
    )
    ship = start_shipper(nats_server.url, root, "web-1", log=tmp_path / "ship.log")
    try:
        wait_for(lambda: len(stream_calls(nats_server.url)) >= 8, what="first messages")
        handle.finish({"done": True})
        wait_for(
            lambda: (
                ("web-1", handle.call_id, "final") in {m[:3] for m in stream_calls(nats_server.url)}
            ),
            what="the final state",
        )
    finally:
        ship.terminate()
        ship.wait(10)
    states = [(c, s) for _, c, s, _ in stream_calls(nats_server.url) if c == handle.call_id]
    assert states == [(handle.call_id, "pending"), (handle.call_id, "final")]

    mirror = tmp_path / "mirror"
    source = read_all(nats_server.url, mirror)
    store = FixtureStore(mirror, bodies=source.bodies())
    store.scan()
    run = store.run("web-1:run-1")
    assert run is not None and run.task == "t"
    assert [c.tool for c in run.calls] == ["search"] * 5 + ["slow", "big"]
    assert store.calls("web-1:run-1")[5].status == "ok"
    big = store.load(store.calls("web-1:run-1")[6])
    assert big.output == {"blob": "y" * 300_000}  # fetched from the object store when loaded
    leg = store.load(store.calls("web-1:legacy-run")[0])
    assert leg.input == {"headers": {"Authorization": "[REDACTED]"}}
    assert "abcdefghijklmnop" not in (mirror / "web-1:legacy-run" / "fetch_001.json").read_text()
    hosts = {h.host: h for h in source.hosts()}
    assert hosts["web-1"].version and hosts["web-1"].last_heartbeat


def test_malformed_messages_become_error_rows(nats_server, tmp_path: Path) -> None:
    import nats

    async def publish() -> None:
        nc = await nats.connect(nats_server.url)
        js = nc.jetstream()
        await js.add_stream(name="FORENSICS", subjects=["fx.>"])
        await js.publish(
            "fx.evil.run",
            b"{}",
            headers={"Fx-Kind": "call", "Fx-Name": "~2E~2E~2Fetc", "Nats-Msg-Id": "evil.c.final"},
        )
        await js.publish("fx.evil", b"{}", headers={"Fx-Kind": "call"})
        await js.publish(
            "fx.good.r1",
            b"not json at all",
            headers={
                "Fx-Kind": "call",
                "Fx-Name": "000001_t~2Ejson",
                "Nats-Msg-Id": "good.c1.final",
            },
        )
        await js.publish(
            "fx.good.r1",
            b"x" * 10,
            headers={
                "Fx-Kind": "call",
                "Fx-Name": "000002_t~2Ejson",
                "Nats-Msg-Id": "good.c2.bogus",
            },
        )
        await nc.close()

    asyncio.run(publish())
    mirror = tmp_path / "mirror"
    source = read_all(nats_server.url, mirror)
    assert source.mirror.malformed == 3
    store = FixtureStore(mirror)
    store.scan()
    rows = store.calls("fleet:malformed-messages")
    assert len(rows) == 3 and all(r.broken for r in rows)
    (good,) = store.calls("good:r1")
    assert good.broken and "JSON" in (good.problem or "")
    assert not (tmp_path / "etc").exists()
    assert sorted(p.name for p in mirror.iterdir()) == [
        ".fleet",
        "fleet:malformed-messages",
        "good:r1",
    ]


def test_cli_commands_accept_a_nats_source_and_pull(nats_server, tmp_path: Path) -> None:
    root = tmp_path / "root"
    rec = Recorder(root, run_id="run-a", agent="a")
    rec.record("search", {"q": 1}, {"hits": []})
    rec.record("charge", {"amount": 3}, None, status="error", error=RuntimeError("card declined"))
    rec.end()
    ship = start_shipper(nats_server.url, root, "pay-1")
    try:
        wait_for(lambda: len(stream_calls(nats_server.url)) >= 2, what="shipped calls")
    finally:
        ship.terminate()
        ship.wait(10)
    cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    source = f"{nats_server.url}/FORENSICS"

    from click.testing import CliRunner

    from forensics_tui.cli.main import cli as group

    def cli(*args: str, **extra: str) -> Any:
        return CliRunner().invoke(group, list(args), env={**cache, **extra})

    runs = cli("runs", "--json", "--source", source)
    assert runs.exit_code == 0, runs.output
    assert [r["run_id"] for r in json.loads(runs.output)] == ["pay-1:run-a"]
    tail = cli("tail", "--json", "--once", "--source", source)
    lines = [json.loads(line) for line in tail.output.splitlines()]
    assert [(x["tool"], x["status"]) for x in lines] == [("search", "ok"), ("charge", "error")]
    check = cli("check", "--json", FORENSICS_SOURCE=source)
    assert check.exit_code != 0 and "pay-1:run-a" in check.output
    postmortem = cli("postmortem", "--format", "json", "--source", source, "pay-1:run-a")
    assert postmortem.exit_code == 0, postmortem.output
    assert json.loads(postmortem.output)["run_id"] == "pay-1:run-a"
    patterns = cli("patterns", "--json", "--source", source)
    assert patterns.exit_code == 0, patterns.output
    diff = cli("diff", "--run", "pay-1:run-a", "--tool", "charge", "--json", "--source", source)
    assert diff.exit_code == 1 and "no baseline" in diff.output  # the verdict, over the fleet
    pulled = cli("pull", "--source", source, "--dir", str(tmp_path / "local"), "run-a")
    assert pulled.exit_code == 0, pulled.output
    local = FixtureStore(tmp_path / "local")
    local.scan()
    assert [c.status for c in local.calls("run-a")] == ["ok", "error"]
    missing = cli("pull", "--source", source, "--dir", str(tmp_path / "local"), "nope")
    assert missing.exit_code == 1 and "no run 'nope'" in missing.output
    bad = cli("runs", "--source", "nats://u:secret@127.0.0.1:1")
    assert bad.exit_code == 2 and "secret" not in bad.output and "--creds" in bad.output
    down = cli("runs", "--source", "nats://127.0.0.1:1")
    assert down.exit_code == 1 and "cannot reach NATS" in down.output


@pytest.mark.parametrize("stream", ["NOPE"])
def test_missing_stream_is_a_clear_error(nats_server, stream: str) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "forensics_tui.cli.main",
            "runs",
            "--source",
            f"{nats_server.url}/{stream}",
        ],
        env=env(),
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1 and "no stream 'NOPE'" in out.stderr


def test_tail_source_streams_calls_live_pending_then_final(nats_server, tmp_path: Path) -> None:
    root = tmp_path / "root"
    rec = Recorder(root, run_id="run-live", agent="a")
    rec.record("first", {}, {})
    ship = start_shipper(nats_server.url, root, "web-1")
    tail = None
    try:
        wait_for(lambda: stream_calls(nats_server.url), what="the stream")
        tail = subprocess.Popen(
            [sys.executable, "-m", "forensics_tui.cli.main", "tail", "--json",
             "--source", nats_server.url],
            env={**env(), "XDG_CACHE_HOME": str(tmp_path / "cache")},
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert tail.stdout is not None
        assert json.loads(tail.stdout.readline())["tool"] == "first"
        handle = rec.start_call("slow", {"n": 1})
        pending = json.loads(tail.stdout.readline())
        assert (pending["run_id"], pending["tool"], pending["status"]) == (
            "web-1:run-live",
            "slow",
            "pending",
        )
        handle.finish({"ok": True})
        final = json.loads(tail.stdout.readline())
        assert (final["call_id"], final["status"]) == (pending["call_id"], "ok")
    finally:
        if tail is not None:
            tail.terminate()
            tail.wait(10)
        ship.terminate()
        ship.wait(10)


def test_ship_once_ships_the_root_and_exits(nats_server, tmp_path: Path) -> None:
    root = tmp_path / "root"
    rec = Recorder(root, run_id="batch-job")
    for i in range(30):
        rec.record("step", {"i": i}, {"ok": True})
    rec.end()
    out = subprocess.run(
        [sys.executable, "-m", "forensics_tui.cli.main", "ship", "--once", "--nats",
         nats_server.url, "--dir", str(root), "--host", "cron-1"],
        env=env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "30 acknowledged" in out.stderr or "31 acknowledged" in out.stderr
    finals = {c for h, c, s, _ in stream_calls(nats_server.url) if s == "final"}
    assert len(finals) == 30
