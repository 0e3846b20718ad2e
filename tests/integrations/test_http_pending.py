"""Deferred pending fixtures: an exchange that ends quickly is written once, final; one still
running after ``pending_after`` is on disk as ``pending`` (and at exit), then finished in place."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from forensics_tui.capture import Recorder
from forensics_tui.integrations import _http_pending, http

from .conftest import read_fixtures, require_extra, wait_for
from .faultserver import FaultServer


class FirstWrites(Recorder):
    """A real recorder that also notes the status of every call's first file."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.first: list[str] = []

    def _write_new(self, fixture: dict, handle: Any, start: float) -> Path:
        self.first.append(fixture["status"])
        return super()._write_new(fixture, handle, start)


@pytest.fixture(autouse=True)
def _always_uninstall() -> Any:
    yield
    http.uninstall()


def test_a_quick_exchange_is_written_once_as_final(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    httpx = require_extra("httpx")
    rec = FirstWrites(tmp_path, "run1")
    with http.capture_http(rec, pending_after=60), httpx.Client(timeout=5) as client:
        for _ in range(3):
            assert client.get(fault_server.url("/ok")).status_code == 200
    assert rec.first == ["ok", "ok", "ok"]  # no pending file was ever written
    found = read_fixtures(tmp_path, "run1")
    assert [(f["seq"], f["status"]) for f in found] == [(1, "ok"), (2, "ok"), (3, "ok")]
    assert all(f["call_id"] == f"run1-{f['seq']:06d}" for f in found)


def test_pending_after_zero_writes_pending_at_once(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    httpx = require_extra("httpx")
    rec = FirstWrites(tmp_path, "run1")
    with http.capture_http(rec, pending_after=0), httpx.Client(timeout=5) as client:
        client.get(fault_server.url("/ok"))
    assert rec.first == ["pending"]
    assert [f["status"] for f in read_fixtures(tmp_path, "run1")] == ["ok"]


def test_a_hung_exchange_is_pending_within_the_delay_then_finished_in_place(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    httpx = require_extra("httpx")
    outcome: list[BaseException] = []

    def call() -> None:
        with httpx.Client(timeout=1.5) as client:
            try:
                client.get(fault_server.url("/timeout"))
            except httpx.TimeoutException as exc:
                outcome.append(exc)

    with http.capture_http(Recorder(tmp_path, "run1"), pending_after=0.05):
        worker = threading.Thread(target=call)
        worker.start()
        pending = wait_for(lambda: read_fixtures(tmp_path, "run1"))
        assert [f["status"] for f in pending] == ["pending"]  # long before the 1.5 s timeout
        assert worker.is_alive()
        worker.join()
    assert outcome
    final = read_fixtures(tmp_path, "run1")
    assert [(f["status"], f["seq"], f["call_id"]) for f in final] == [
        ("timeout", pending[0]["seq"], pending[0]["call_id"])
    ]
    assert final[0]["ts"] == pending[0]["ts"]


def test_exchanges_in_flight_at_exit_are_written_as_pending(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    httpx = require_extra("httpx")
    with http.capture_http(Recorder(tmp_path, "run1"), pending_after=3600):
        client = httpx.Client(timeout=5)
        response = client.send(client.build_request("GET", fault_server.url("/gated")), stream=True)
        assert read_fixtures(tmp_path, "run1") == []
        _http_pending.flush()  # what the interpreter runs at exit
        assert [f["status"] for f in read_fixtures(tmp_path, "run1")] == ["pending"]
        fault_server.release_gate()
        response.read()
        response.close()
        client.close()
    assert [f["status"] for f in read_fixtures(tmp_path, "run1")] == ["ok"]


def test_the_timer_racing_finishes_leaves_every_call_final(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    httpx = require_extra("httpx")
    with (
        http.capture_http(Recorder(tmp_path, "run1"), pending_after=0.001),
        httpx.Client(timeout=5) as client,
        ThreadPoolExecutor(8) as pool,
    ):
        codes = list(pool.map(lambda _: client.get(fault_server.url("/ok")).status_code, range(80)))
    assert codes == [200] * 80
    found = read_fixtures(tmp_path, "run1")
    assert len(found) == 80
    assert {f["status"] for f in found} == {"ok"}
    assert len({f["seq"] for f in found}) == 80


def test_a_failed_quick_child_is_named_by_its_parent(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    httpx = require_extra("httpx")
    require_extra("langchain")
    from forensics_tui.integrations.langchain import ForensicsMiddleware

    rec = Recorder(tmp_path, "run1")
    request = SimpleNamespace(tool_call={"name": "lookup", "args": {}, "id": "call_1"})

    def tool(_: Any) -> Any:
        with httpx.Client(timeout=5) as client:
            client.get(fault_server.url("/unauthorized")).raise_for_status()

    with http.capture_http(rec, pending_after=60), pytest.raises(httpx.HTTPStatusError):
        ForensicsMiddleware(rec).wrap_tool_call(request, tool)
    parent, child = read_fixtures(tmp_path, "run1")
    assert (parent["tool"], child["output"]["status_code"]) == ("lookup", 401)
    assert child["meta"]["parent_call"] == parent["call_id"]
    assert parent["error"]["from_child_call"] == child["call_id"]
    assert parent["error"]["status_code"] == 401


class _Noted:
    """A deferred item that notes when (absolute, and after its start) its pending write ran."""

    def __init__(self, log: list[tuple[float, float]], clock: Any) -> None:
        self.log, self.clock, self.started = log, clock, clock()

    def write_pending(self) -> None:
        now = self.clock()
        self.log.append((now, now - self.started))


def test_the_timer_serves_a_stream_of_items_in_few_wake_ups_and_never_early() -> None:
    """Items arriving every ~millisecond, each due ``delay`` after it started: every one is
    written no earlier than its due time and about a quarter delay after it at most, in bursts
    (a few wake-ups per delay), not one wake-up per item."""
    from time import monotonic, sleep

    timer = _http_pending.PendingTimer()
    delay, log = 0.2, []
    for _ in range(200):
        timer.add(_Noted(log, monotonic), delay)
        sleep(0.001)
    assert wait_for(lambda: len(log) == 200, timeout=10)
    lateness = sorted(after for _, after in log)
    assert lateness[0] >= delay
    assert lateness[len(lateness) // 2] <= delay * 1.25 + 0.1
    times = sorted(at for at, _ in log)
    bursts = 1 + sum(1 for a, b in itertools.pairwise(times) if b - a > 0.0005)
    assert bursts <= 40, bursts  # one wake-up per item: ~200


def test_a_long_delay_queued_first_never_holds_back_a_short_one() -> None:
    """Integrations have their own ``pending_after``: an item with an hour's delay at the head
    of the queue must not keep a 50 ms one (queued after it) waiting, nor write it early."""
    from time import monotonic

    timer = _http_pending.PendingTimer()
    long_log: list[tuple[float, float]] = []
    short_log: list[tuple[float, float]] = []
    timer.add(_Noted(long_log, monotonic), 3600)
    for _ in range(3):
        timer.add(_Noted(short_log, monotonic), 0.05)
    assert wait_for(lambda: len(short_log) == 3, timeout=5)
    assert all(0.05 <= after < 1.0 for _, after in short_log)
    assert long_log == []
    timer.flush()  # what the interpreter runs at exit
    assert len(long_log) == 1
