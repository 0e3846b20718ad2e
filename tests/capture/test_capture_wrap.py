"""``@checkpoint`` and ``checkpointed``: sync and async, errors, timeouts, the lifecycle."""

from __future__ import annotations

import asyncio
import inspect
import json
from pathlib import Path

import pytest

from forensics_tui.capture import (
    Recorder,
    checkpoint,
    checkpointed,
    current_call_id,
    is_timeout,
    set_recorder,
)


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def fixtures(rec: Recorder) -> list[dict]:
    return [load(p) for p in sorted(rec.run_dir.glob("0*.json"))]


@pytest.fixture
def rec(tmp_path: Path):
    recorder = Recorder(tmp_path, "run")
    set_recorder(recorder)
    yield recorder
    set_recorder(None)


class ReadTimeout(Exception):  # shaped like httpx.ReadTimeout / requests.ReadTimeout
    pass


class PoolTimeoutError(Exception):
    pass


class TransportError(Exception):
    pass


class ConnectTimeout(TransportError):
    pass


class TimeoutSettingsInvalid(Exception):  # "Timeout" inside the name is not enough
    pass


@pytest.mark.parametrize(
    ("exc", "timeout"),
    [
        (TimeoutError("t"), True),
        (asyncio.TimeoutError(), True),  # noqa: UP041 - the alias agents catch
        (ReadTimeout(), True),
        (PoolTimeoutError(), True),
        (ConnectTimeout(), True),
        (TransportError(), False),
        (TimeoutSettingsInvalid(), False),
        (ValueError(), False),
    ],
)
def test_timeout_classification(exc: BaseException, timeout: bool) -> None:
    assert is_timeout(exc) is timeout


def test_sync_decorator_records_bound_arguments_and_result(rec: Recorder) -> None:
    @checkpoint("search_docs")
    def search(query: str, limit: int = 5, *tags: str, exact: bool = False, **extra) -> dict:
        """Docs."""
        return {"hits": limit}

    assert search("refund", 3, "a", "b", lang="en") == {"hits": 3}
    assert search.__name__ == "search" and search.__doc__ == "Docs."
    (doc,) = fixtures(rec)
    assert doc["tool"] == "search_docs" and doc["status"] == "ok"
    assert doc["input"] == {
        "query": "refund",
        "limit": 3,
        "tags": ["a", "b"],
        "exact": False,
        "lang": "en",
    }
    assert doc["output"] == {"hits": 3}
    assert doc["duration_ms"] >= 0


def test_methods_leave_out_self_and_cls(rec: Recorder) -> None:
    class Agent:
        @checkpoint("step")
        def step(self, n: int) -> int:
            return n + 1

        @classmethod
        @checkpoint("make")
        def make(cls, name: str) -> str:
            return name

    assert Agent().step(1) == 2
    assert Agent.make("x") == "x"
    assert [d["input"] for d in fixtures(rec)] == [{"n": 1}, {"name": "x"}]


def test_bare_decorator_uses_the_function_name(rec: Recorder) -> None:
    @checkpoint
    def fetch_stock(sku: str) -> int:
        return 4

    assert fetch_stock("A-1") == 4
    assert fixtures(rec)[0]["tool"] == "fetch_stock"


def test_exception_is_recorded_and_reraised(rec: Recorder) -> None:
    boom = ValueError("bad sku")

    @checkpoint("upsert")
    def upsert(batch: list) -> None:
        raise boom

    with pytest.raises(ValueError) as caught:
        upsert([1, 2])
    assert caught.value is boom
    (doc,) = fixtures(rec)
    assert doc["status"] == "error"
    assert doc["error"]["type"] == "ValueError"
    assert doc["error"]["message"] == "bad sku"
    assert "in upsert" in doc["error"]["traceback"]
    assert doc["input"] == {"batch": [1, 2]} and doc["output"] is None


@pytest.mark.parametrize("exc_type", [TimeoutError, ReadTimeout, ConnectTimeout])
def test_timeouts_get_their_status(rec: Recorder, exc_type: type[Exception]) -> None:
    @checkpoint("notify")
    def notify() -> None:
        raise exc_type("slow")

    with pytest.raises(exc_type):
        notify()
    doc = fixtures(rec)[0]
    assert doc["status"] == "timeout"
    assert doc["error"]["type"].endswith(exc_type.__name__)


def test_pending_is_on_disk_while_the_call_runs(rec: Recorder) -> None:
    seen = {}

    @checkpoint("slow")
    def slow() -> str:
        call_id = current_call_id()
        (path,) = rec.run_dir.glob("0*.json")
        seen.update(load(path), observed_id=call_id)
        return "done"

    slow()
    assert seen["status"] == "pending" and seen["observed_id"] == seen["call_id"]
    final = fixtures(rec)[0]
    assert final["status"] == "ok" and final["call_id"] == seen["call_id"]
    assert current_call_id() is None


async def test_async_decorator(rec: Recorder) -> None:
    @checkpoint("afetch")
    async def afetch(url: str) -> dict:
        await asyncio.sleep(0)
        return {"url": url, "inside": current_call_id()}

    assert inspect.iscoroutinefunction(afetch)
    result = await afetch("http://x")
    doc = fixtures(rec)[0]
    assert doc["status"] == "ok" and doc["input"] == {"url": "http://x"}
    assert result["inside"] == doc["call_id"]


async def test_async_timeout_and_error(rec: Recorder) -> None:
    @checkpoint("wait")
    async def wait() -> None:
        await asyncio.wait_for(asyncio.sleep(10), timeout=0.01)

    @checkpoint("fail")
    async def fail() -> None:
        raise RuntimeError("nope")

    with pytest.raises(asyncio.TimeoutError):
        await wait()
    with pytest.raises(RuntimeError):
        await fail()
    statuses = [(d["tool"], d["status"]) for d in fixtures(rec)]
    assert statuses == [("wait", "timeout"), ("fail", "error")]


async def test_cancelled_call_is_not_left_pending(rec: Recorder) -> None:
    @checkpoint("hang")
    async def hang() -> None:
        await asyncio.sleep(10)

    task = asyncio.create_task(hang())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    doc = fixtures(rec)[0]
    assert doc["status"] == "error" and doc["error"]["type"] == "asyncio.exceptions.CancelledError"


def test_context_manager_sync(rec: Recorder) -> None:
    with checkpointed("batch_upsert", {"n": 3}, replay={"kind": "python", "target": "m:f"}) as c:
        assert load(c.path)["status"] == "pending"
        assert current_call_id() == c.call_id
        c.output = {"written": 3}
    with checkpointed("notify", {"to": "#ops"}) as c:
        c.status = "skipped"
        c.output = {"reason": "429"}
        c.meta = {"retry_after": 30}
    with checkpointed("lookup") as c:
        c.error = {"type": "NotFound", "message": "sku", "traceback": None}
    docs = fixtures(rec)
    assert [(d["tool"], d["status"]) for d in docs] == [
        ("batch_upsert", "ok"),
        ("notify", "skipped"),
        ("lookup", "error"),
    ]
    assert docs[0]["output"] == {"written": 3}
    assert docs[0]["replay"] == {"kind": "python", "target": "m:f"}
    assert docs[1]["meta"]["retry_after"] == 30
    assert docs[2]["input"] is None and docs[2]["error"]["type"] == "NotFound"
    assert current_call_id() is None


def test_context_manager_records_and_reraises(rec: Recorder) -> None:
    with pytest.raises(TimeoutError), checkpointed("fetch", {"u": 1}) as c:
        c.output = "partial"
        raise TimeoutError("read")
    doc = fixtures(rec)[0]
    assert doc["status"] == "timeout" and doc["output"] == "partial"
    assert doc["error"]["message"] == "read"


async def test_context_manager_async(rec: Recorder) -> None:
    async with checkpointed("aupsert", {"batch": 1}) as c:
        await asyncio.sleep(0)
        c.output = [1]
    with pytest.raises(KeyError):
        async with checkpointed("aupsert", {"batch": 2}):
            raise KeyError("x")
    assert [d["status"] for d in fixtures(rec)] == ["ok", "error"]


def test_nested_calls_link_to_their_parent(rec: Recorder) -> None:
    @checkpoint("inner")
    def inner() -> int:
        return 1

    @checkpoint("outer")
    def outer() -> int:
        return inner()

    outer()
    by_tool = {d["tool"]: d for d in fixtures(rec)}
    assert by_tool["inner"]["meta"]["parent_call"] == by_tool["outer"]["call_id"]
    assert "parent_call" not in by_tool["outer"]["meta"]


def test_explicit_recorder_and_unbindable_arguments(tmp_path: Path) -> None:
    own = Recorder(tmp_path, "own")

    @checkpoint("t", recorder=own)
    def f(a: int) -> int:
        return a

    with pytest.raises(TypeError):
        f(1, 2, 3)  # the call itself fails; capture still records what it was given
    doc = fixtures(own)[0]
    assert doc["input"] == {"args": [1, 2, 3], "kwargs": {}}
    assert doc["status"] == "error" and doc["error"]["type"] == "TypeError"
