"""Integration overhead over a bare ``@checkpoint`` call, every integration in one run.

    python benchmarks/bench_integrations.py [--dir /dev/shm] [--batches 15] [--calls 200]

For each HTTP client (httpx sync and async, requests, aiohttp, urllib, urllib3) the same GET is
made against a real 127.0.0.1 server, uncaptured and captured, batches interleaved; the server
runs in another process, so with the default CPU clock (this process's CPU time) its work is not
counted.  ``captured - uncaptured`` is what capture costs.  The bare call it is compared with is
the same uncaptured request inside a ``@checkpoint`` function (``<client> in @checkpoint -
uncaptured``: recording that call by hand, a pending and a final fixture), so both run amid the
same request's work; what the integration adds over a bare call is the difference.  The bare
call measured alone (``bare @checkpoint``, a loop that keeps its code and data in the CPU
caches) is cheaper than the same call between real requests; the table shows the difference
against it too, and ``--interleave-probe`` measures the effect.  LangChain's
``ForensicsMiddleware.wrap_tool_call`` is compared with the bare call of the same function.
Medians of interleaved batches, with the load average at the start and end (issue 12: <= 15 µs).

``--varied`` changes the payload of every call (bare and middleware: a fresh id and subject
each call; HTTP: the server answers a fresh body and the URL's query changes), so nothing
cached from an earlier call applies.

Also imported by ``bench_capture.py`` (``FloorCase``, ``integration_cases``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forensics_tui.capture import Recorder, checkpoint, serialize

CLOCK: Callable[[], float] = time.process_time
HTTP_CLIENTS = ("httpx", "httpx async", "requests", "aiohttp", "urllib", "urllib3")


class FloorCase:
    """Encode + exclusive create + one write of a fixture-sized dict: the machine's floor (what
    capture cannot avoid doing: it also takes a seq, checks the payload and builds the
    fixture)."""

    def __init__(self, base: Path, backend: str, fixture: dict[str, Any]) -> None:
        self.backend = backend
        self.dir = base / f"floor-{backend}"
        self.dir.mkdir()
        self.fixture = fixture
        self.names = itertools.count()
        self.samples: list[float] = []

    def one(self) -> None:
        data = serialize.dumps(self.fixture)
        n = next(self.names)
        fd = os.open(f"{self.dir}/{n:06d}.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, data)
        os.close(fd)


# The loopback server: HTTP/1.1 keep-alive, answers every GET with the JSON body it was given
# (``varied``: the same body with a fresh counter in it, so no two answers are equal).  Nagle
# is off: with it, after some requests on a keep-alive connection the body (the second write)
# waited for the client's delayed ACK of the headers, 40 ms a call, and long runs crawled.
_SERVER = r"""
import http.server, json, sys, itertools
body = sys.stdin.buffer.read()
varied = sys.argv[1] == "1"
count = itertools.count()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK wait
    def do_GET(self):
        data = body
        if varied:
            value = json.loads(body)
            n = next(count)
            value["body"]["customer"] = f"C-{n}"
            value["body"]["tickets"][0]["subject"] = f"Order #{n} arrived damaged {n * 7919}"
            data = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *args):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"""


class LoopbackServer:
    """The server process; ``url`` is where it listens."""

    def __init__(self, body: bytes, varied: bool) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER, "1" if varied else "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(body)
        self.proc.stdin.close()
        port = int(self.proc.stdout.readline())
        self.url = f"http://127.0.0.1:{port}/v1/crm/lookup"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Case:
    """One way of making a call: ``call()``, and ``install()`` -> undo, for captured cases."""

    def __init__(self, call: Callable[[], Any], install: Callable[[], Any] | None = None) -> None:
        self.call = call
        self.install = install
        self.samples: list[float] = []
        self.close: Callable[[], Any] = lambda: None

    def __call__(self) -> Any:
        return self.call()


def _http_install(recorder: Recorder, client: str) -> Callable[[], Any]:
    def install() -> Callable[[], Any]:
        from forensics_tui.integrations import http

        http.install(recorder, clients=(client.split()[0],))
        return http.uninstall

    return install


def _queries(varied: bool) -> Callable[[], str]:
    if not varied:
        return lambda: "?customer=C-1042"
    counter = itertools.count()
    return lambda: f"?customer=C-{next(counter)}"


def _http_getter(
    client: str, url: str, varied: bool
) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """(one GET of ``url`` through ``client``, close); ImportError when it is not installed."""
    query = _queries(varied)
    if client == "httpx":
        import httpx

        sync_client = httpx.Client()
        return lambda: sync_client.get(url + query()).json(), sync_client.close
    if client == "httpx async":
        import httpx

        loop = asyncio.new_event_loop()
        async_client = httpx.AsyncClient()

        async def get_async() -> Any:
            return (await async_client.get(url + query())).json()

        def close_async() -> None:
            loop.run_until_complete(async_client.aclose())
            loop.close()

        return lambda: loop.run_until_complete(get_async()), close_async
    if client == "requests":
        import requests

        session = requests.Session()
        return lambda: session.get(url + query()).json(), session.close
    if client == "aiohttp":
        import aiohttp

        loop = asyncio.new_event_loop()
        session = loop.run_until_complete(_aiohttp_session(aiohttp))

        async def get_aiohttp() -> Any:
            async with session.get(url + query()) as resp:
                return await resp.json()

        def close_aiohttp() -> None:
            loop.run_until_complete(session.close())
            loop.close()

        return lambda: loop.run_until_complete(get_aiohttp()), close_aiohttp
    if client == "urllib":
        import urllib.request

        def get_urllib() -> Any:
            with urllib.request.urlopen(url + query()) as resp:
                return json.loads(resp.read())

        return get_urllib, lambda: None
    if client == "urllib3":
        import urllib3

        pool = urllib3.PoolManager()
        return lambda: json.loads(pool.request("GET", url + query()).data), pool.clear
    raise ValueError(client)


async def _aiohttp_session(aiohttp: Any) -> Any:
    return aiohttp.ClientSession()


def _by_hand(get: Callable[[], Any], tool: str, base: Path, client: str) -> Callable[[], Any]:
    """The same uncaptured request inside a bare ``@checkpoint`` function: what recording it
    by hand costs, measured amid the same request's work (its CPU caches, its allocations)."""
    rec = Recorder(base, "by-hand-" + client.replace(" ", "-"))

    @checkpoint(tool, recorder=rec)
    def lookup(customer: str) -> Any:
        return get()

    return lambda: lookup("C-1042")


def _varied(inp: dict, out: dict) -> tuple[Callable[[], dict], Callable[[], dict]]:
    counter = itertools.count()

    def fresh_out() -> dict:
        n = next(counter)
        value = json.loads(json.dumps(out))
        value["body"]["customer"] = f"C-{n}"
        value["body"]["tickets"][0]["subject"] = f"Order #{n} arrived damaged {n * 7919}"
        return value

    def fresh_in() -> dict:
        return {**inp, "customer": f"C-{next(counter)}", "query": f"open tickets #{next(counter)}"}

    return fresh_in, fresh_out


FRAMEWORKS = ("langchain middleware", "pydantic-ai capability", "openai-agents hooks")
Cases = tuple[dict[str, "Case"], Callable[[], Any]]


def _three(
    name: str, run: Callable[[Callable[[], dict]], Any], capture: Callable[[], Any], tool: Any
) -> dict[str, Case]:
    """A framework's three cases: ``run(tool_body)`` drives one tool call through the
    framework; uncaptured with the plain tool, ``in @checkpoint`` with the tool decorated
    (recording it by hand, amid the same framework work), ``captured`` through the
    integration (``capture(tool_body)``)."""
    return {
        f"{name} uncaptured": Case(lambda: run(tool)),
        f"{name} in @checkpoint": Case(lambda: run(tool.by_hand)),
        f"{name} captured": Case(capture),
    }


class _Tool:
    """The benchmark's tool: ``__call__`` returns the payload; ``by_hand`` is the same
    function under ``@checkpoint`` (its own recorder)."""

    def __init__(self, base: Path, name: str, tool: str, fresh_out: Callable[[], dict]) -> None:
        self.fresh_out = fresh_out

        @checkpoint(tool, recorder=Recorder(base, f"by-hand-{name}"))
        def by_hand(**kwargs: Any) -> dict:
            return fresh_out()

        self.by_hand = by_hand

    def __call__(self, **kwargs: Any) -> dict:
        return self.fresh_out()


def _langchain_cases(
    base: Path, tool: str, fresh_in: Callable[[], dict], fresh_out: Callable[[], dict]
) -> Cases:
    """``ForensicsMiddleware.wrap_tool_call`` around what LangChain's tool node hands it: the
    tool's dict as JSON text in a ``ToolMessage``."""
    from langchain_core.messages import ToolMessage

    from forensics_tui.integrations.langchain import ForensicsMiddleware

    middleware = ForensicsMiddleware(Recorder(base, "langchain"))
    body = _Tool(base, "langchain", tool, fresh_out)

    def node(fn: Callable[..., dict], request: Any) -> Any:
        return ToolMessage(content=json.dumps(fn(**request.tool_call["args"])), tool_call_id="1")

    def request() -> Any:
        return SimpleNamespace(tool_call={"name": tool, "args": fresh_in(), "id": "call_1"})

    def run(fn: Callable[..., dict]) -> Any:
        return node(fn, request())

    def captured() -> Any:
        return middleware.wrap_tool_call(request(), lambda r: node(body, r))

    return _three("langchain middleware", run, captured, body), lambda: None


def _pydantic_ai_cases(
    base: Path, tool: str, fresh_in: Callable[[], dict], fresh_out: Callable[[], dict]
) -> Cases:
    """``ForensicsCapability.wrap_tool_execute`` around an async tool, on one event loop."""
    from pydantic_ai.messages import ToolCallPart

    from forensics_tui.integrations.pydantic_ai import ForensicsCapability

    capability = ForensicsCapability(recorder=Recorder(base, "pydantic-ai"))
    loop = asyncio.new_event_loop()
    ctx = SimpleNamespace(run_step=1, retry=0)  # what the capability reads of a RunContext
    tool_def = SimpleNamespace(timeout=None)
    body = _Tool(base, "pydantic-ai", tool, fresh_out)

    def handler_of(fn: Callable[..., dict]) -> Callable[[dict], Any]:
        async def handler(args: dict) -> dict:
            return fn(**args)

        return handler

    plain_handler = handler_of(body)

    def run(fn: Callable[..., dict]) -> Any:
        args = fresh_in()
        ToolCallPart(tool_name=tool, args=args, tool_call_id="call_1")  # made by the framework
        handler = plain_handler if fn is body else handler_of(fn)
        return loop.run_until_complete(handler(args))

    def captured() -> Any:
        args = fresh_in()
        call = ToolCallPart(tool_name=tool, args=args, tool_call_id="call_1")
        execute = capability.wrap_tool_execute(
            ctx,  # type: ignore[arg-type]
            call=call,
            tool_def=tool_def,  # type: ignore[arg-type]
            args=args,
            handler=plain_handler,
        )
        return loop.run_until_complete(execute)

    return _three("pydantic-ai capability", run, captured, body), loop.close


def _openai_agents_cases(
    base: Path, tool: str, fresh_in: Callable[[], dict], fresh_out: Callable[[], dict]
) -> Cases:
    """``ForensicsHooks``: ``on_tool_start``, the instrumented ``FunctionTool`` invoked as the
    SDK invokes it (JSON arguments, a fresh ``ToolContext`` per call), ``on_tool_end``."""
    from agents import Agent, function_tool
    from agents.tool_context import ToolContext

    from forensics_tui.integrations.openai_agents import ForensicsHooks

    body = _Tool(base, "openai-agents", tool, fresh_out)

    def crm_lookup(customer: str, query: str, limit: int, include_closed: bool) -> dict:
        return body()

    def crm_lookup_by_hand(customer: str, query: str, limit: int, include_closed: bool) -> dict:
        return body.by_hand(
            customer=customer, query=query, limit=limit, include_closed=include_closed
        )

    hooked, plain = function_tool(crm_lookup), function_tool(crm_lookup)
    by_hand = function_tool(crm_lookup_by_hand, name_override="crm_lookup")
    agent = Agent(name="bench", tools=[hooked])
    hooks = ForensicsHooks(Recorder(base, "openai-agents"))
    loop = asyncio.new_event_loop()
    loop.run_until_complete(hooks.on_agent_start(None, agent))  # instruments ``hooked``

    def context() -> tuple[Any, str]:
        arguments = json.dumps(fresh_in())
        ctx = ToolContext(None, tool_name=tool, tool_call_id="call_1", tool_arguments=arguments)
        return ctx, arguments

    async def through_hooks() -> Any:
        ctx, arguments = context()
        await hooks.on_tool_start(ctx, agent, hooked)
        result = await hooked.on_invoke_tool(ctx, arguments)
        await hooks.on_tool_end(ctx, agent, hooked, result)
        return result

    async def without(fn: Any) -> Any:
        ctx, arguments = context()
        return await fn.on_invoke_tool(ctx, arguments)

    def run(fn: Callable[..., dict]) -> Any:
        return loop.run_until_complete(without(plain if fn is body else by_hand))

    return (
        _three("openai-agents hooks", run, lambda: loop.run_until_complete(through_hooks()), body),
        loop.close,
    )


def integration_cases(
    base: Path,
    tool: str,
    inp: dict,
    out: dict,
    *,
    clients: tuple[str, ...] = HTTP_CLIENTS,
    varied: bool = False,
) -> dict[str, Case]:
    """name -> ``Case``: bare ``@checkpoint``, langchain middleware, and for each HTTP client
    installed ``<client> uncaptured`` and ``<client> captured`` (close them with ``close_all``)."""
    cases: dict[str, Case] = {}
    bare_rec = Recorder(base, "bare")
    fresh_in, fresh_out = _varied(inp, out) if varied else (lambda: inp, lambda: out)

    @checkpoint(tool, recorder=bare_rec)
    def bare(**kwargs: Any) -> dict:
        return fresh_out()

    cases["bare @checkpoint"] = Case(lambda: bare(**fresh_in()))
    closers: list[Callable[[], Any]] = []
    for make in (_langchain_cases, _pydantic_ai_cases, _openai_agents_cases):
        try:
            made, close = make(base, tool, fresh_in, fresh_out)
        except ImportError:
            continue
        cases.update(made)
        closers.append(close)

    def close_all() -> None:
        for close in closers:
            close()

    cases["bare @checkpoint"].close = close_all
    if not clients:
        return cases
    server = LoopbackServer(json.dumps(out).encode(), varied)
    closers.append(server.close)
    for client in clients:
        try:
            get, close = _http_getter(client, server.url, varied)
        except ImportError:
            continue
        closers.append(close)
        rec = Recorder(base, "http-" + client.replace(" ", "-"))
        cases[f"{client} uncaptured"] = Case(get)
        cases[f"{client} in @checkpoint"] = Case(_by_hand(get, tool, base, client))
        cases[f"{client} captured"] = Case(get, _http_install(rec, client))
    return cases


def close_all(cases: dict[str, Case]) -> None:
    for case in cases.values():
        case.close()


def batch_us(case: Case, calls: int) -> float:
    """µs per call over one batch (a few warm-up calls first; gc collected before)."""
    undo = case.install() if case.install is not None else None
    try:
        for _ in range(3):
            case()
        gc.collect()
        start = CLOCK()
        for _ in range(calls):
            case()
        return (CLOCK() - start) / calls * 1e6
    finally:
        if undo is not None:
            undo()


def _paired(samples: dict[str, list[float]], plus: str, minus: str) -> float:
    """Median over rounds of ``plus - minus`` measured in the same round: the machine's drift
    between rounds cancels out, which a difference of two medians does not do."""
    return median(a - b for a, b in zip(samples[plus], samples[minus], strict=True))


def overheads(
    samples: dict[str, list[float]],
) -> list[tuple[str, float, float | None, float | None]]:
    """(integration, µs per call, µs added over a bare call, µs added over bare alone), each a
    median of per-round differences (``samples``: name -> one batch's µs per round).

    For each framework hook (LangChain middleware, pydantic-ai capability, OpenAI Agents
    hooks) and each HTTP client: its cost is ``captured - uncaptured``; the bare call it is
    compared with is the same tool (the same request) recorded by hand with ``@checkpoint``,
    driven the same way (``in @checkpoint - uncaptured``): the same work amid the same
    framework or request code, so both pay the same cold CPU caches.  The last column
    subtracts the bare call measured alone instead, in a loop that keeps its code and data
    hot: the same Python runs slower amid real work (``--interleave-probe`` measures it)."""
    bare = median(samples["bare @checkpoint"])
    rows: list[tuple[str, float, float | None, float | None]] = [
        ("bare @checkpoint", bare, None, None)
    ]
    for name in (*FRAMEWORKS, *HTTP_CLIENTS):
        if f"{name} captured" in samples:
            captured, plain = f"{name} captured", f"{name} uncaptured"
            by_hand = _paired(samples, f"{name} in @checkpoint", plain)
            rows.append((f"{name} bare @checkpoint", by_hand, None, None))
            cost = _paired(samples, captured, plain)
            added = _paired(samples, captured, f"{name} in @checkpoint")
            alone = median(
                c - p - b
                for c, p, b in zip(
                    samples[captured], samples[plain], samples["bare @checkpoint"], strict=True
                )
            )
            rows.append((f"{name} capture", cost, added, alone))
    return rows


def interleave_probe(base: Path, batches: int, calls: int) -> int:
    """The bare ``@checkpoint`` call timed alone, and timed alone between uncaptured httpx
    requests (only the call is on the clock): the cost of the CPU caches the request leaves."""
    from bench_capture import INPUT, OUTPUT, TOOL

    cases = integration_cases(base, TOOL, INPUT, OUTPUT, clients=("httpx",))
    bare, get = cases["bare @checkpoint"], cases["httpx uncaptured"]
    alone: list[float] = []
    between: list[float] = []
    try:
        for _ in range(batches):
            alone.append(batch_us(bare, calls))
            spent = 0.0
            for _ in range(calls):
                get()
                start = CLOCK()
                bare()
                spent += CLOCK() - start
            between.append(spent / calls * 1e6)
    finally:
        close_all(cases)
        import shutil

        shutil.rmtree(base, ignore_errors=True)
    a, b = median(alone), median(between)
    print(f"bare @checkpoint alone: {a:.1f} µs; between real httpx requests: {b:.1f} µs ", end="")
    print(f"({b / a:.2f}x), median of {batches} batches of {calls} calls, load {_load()}")
    return 0


def _load() -> str:
    return " / ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_dir = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    parser.add_argument("--dir", default=default_dir, help="file system to write fixtures on")
    parser.add_argument("--calls", type=int, default=200, help="calls per batch")
    parser.add_argument("--batches", type=int, default=15, help="batches (median is reported)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="cpu")
    parser.add_argument("--backend", choices=("auto", "json", "orjson"), default="auto")
    parser.add_argument("--varied", action="store_true", help="a different payload every call")
    parser.add_argument("--clients", default=",".join(HTTP_CLIENTS), help="HTTP clients")
    parser.add_argument(
        "--interleave-probe",
        action="store_true",
        help="only time the bare @checkpoint call alone and between uncaptured httpx requests",
    )
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    backend = serialize.set_json_backend(args.backend)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_capture import INPUT, OUTPUT, TOOL

    clients = tuple(c for c in args.clients.split(",") if c)
    base = Path(tempfile.mkdtemp(prefix="bench-integrations-", dir=args.dir))
    if args.interleave_probe:
        return interleave_probe(base, args.batches, args.calls)
    cases = integration_cases(base, TOOL, INPUT, OUTPUT, clients=clients, varied=args.varied)
    load_start = _load()
    try:
        # Interleaved, so the machine's noise hits every case alike; every other round in
        # reverse, so no case always runs right after the same other one.
        for round_no in range(args.batches):
            order = list(cases.values())
            for case in order if round_no % 2 == 0 else reversed(order):
                case.samples.append(batch_us(case, args.calls))
    finally:
        close_all(cases)
        import shutil

        shutil.rmtree(base, ignore_errors=True)
    medians = {name: median(case.samples) for name, case in cases.items()}
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.clock} clock, ", end="")
    print(f"json backend {backend}, fixtures on {args.dir}, redaction on")
    print(f"payload: {'varied every call' if args.varied else 'the same every call'}; ", end="")
    print(f"median of {args.batches} interleaved batches of {args.calls} calls (differences:")
    print("median of the differences between batches of the same round)")
    print(f"load average at start {load_start}, at end {_load()}\n")
    for name, value in medians.items():
        print(f"  {name:>40}: {value:8.1f} µs per call")
    print()
    head = f"{'integration':>40} | {'µs per call':>11} | {'added over bare':>15} | <= 15 µs"
    print(head + f" | {'over bare alone':>15}")
    for name, value, added, alone in overheads({n: c.samples for n, c in cases.items()}):
        met = "" if added is None else ("met" if added <= 15.0 else "not met")
        extra = "" if added is None else f"{added:+.1f}"
        other = "" if alone is None else f"{alone:+.1f}"
        print(f"{name:>40} | {value:11.1f} | {extra:>15} | {met:>8} | {other:>15}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
