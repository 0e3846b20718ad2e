"""Reading a streamed body line by line through each recorded HTTP client (test helper).

``read_stream(client, url, on_first)`` reads the first line, calls ``on_first()``, then reads
the rest, with a read timeout (0.5 s unless given); ``close_after_first`` stops after the first line and
closes the response.  The same call shapes as real agents use (``client.stream``,
``stream=True``, ``urlopen``, ``preload_content=False``, ``resp.content``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .conftest import require_extra

TIMEOUT = 0.5
STREAM_CLIENTS = [
    "httpx",
    "httpx-async",
    "httpx2",
    "requests",
    "urllib",
    "urllib3",
    "aiohttp",
]


def read_stream(
    client: str,
    url: str,
    on_first: Callable[[], None],
    *,
    stop: bool = False,
    timeout: float = TIMEOUT,
) -> list:
    """The lines the caller got; ``stop``: close right after the first one."""
    if client in ("httpx", "httpx2"):
        mod = require_extra(client)
        with mod.Client(timeout=timeout) as c, c.stream("GET", url) as r:
            lines = r.iter_lines()
            got = [next(lines)]
            on_first()
            return got if stop else got + list(lines)
    if client == "httpx-async":
        mod = require_extra("httpx")

        async def go() -> list:
            async with mod.AsyncClient(timeout=timeout) as c, c.stream("GET", url) as r:
                lines = r.aiter_lines()
                got = [await anext(lines)]
                on_first()
                if stop:
                    await lines.aclose()
                    return got
                return got + [line async for line in lines]

        return asyncio.run(go())
    if client == "requests":
        requests = require_extra("requests")
        r = requests.get(url, stream=True, timeout=timeout)
        lines = r.iter_lines()
        got = [next(lines)]
        on_first()
        if stop:
            r.close()
            return got
        return got + list(lines)
    if client == "urllib":
        import urllib.request

        r = urllib.request.urlopen(url, timeout=timeout)
        got = [r.readline()]
        on_first()
        if stop:
            r.close()
            return got
        return got + r.read().splitlines()
    if client == "urllib3":
        urllib3 = require_extra("urllib3")
        pool = urllib3.PoolManager()
        r = pool.request("GET", url, preload_content=False, timeout=timeout, retries=False)
        chunks = r.stream(1024)
        got = [next(chunks)]
        on_first()
        if stop:
            r.release_conn()
            return got
        return got + list(chunks)
    if client == "aiohttp":
        aiohttp = require_extra("aiohttp")

        async def go_aiohttp() -> list:
            limits = aiohttp.ClientTimeout(sock_read=timeout)
            async with aiohttp.ClientSession(timeout=limits) as s, s.get(url) as r:
                got = [await r.content.readline()]
                on_first()
                if stop:
                    r.release()
                    return got
                return got + [line async for line in r.content]

        return asyncio.run(go_aiohttp())
    raise ValueError(client)


def get_json(client: str, url: str) -> tuple[int, Any]:
    """``(status code, parsed body)`` of a plain GET; HTTP errors are answers, not raises."""
    import json

    if client in ("httpx", "httpx2"):
        mod = require_extra(client)
        with mod.Client(timeout=TIMEOUT) as c:
            r = c.get(url)
            return r.status_code, r.json()
    if client == "httpx-async":
        mod = require_extra("httpx")

        async def go() -> tuple[int, Any]:
            async with mod.AsyncClient(timeout=TIMEOUT) as c:
                r = await c.get(url)
                return r.status_code, r.json()

        return asyncio.run(go())
    if client == "requests":
        r = require_extra("requests").get(url, timeout=TIMEOUT)
        return r.status_code, r.json()
    if client == "urllib":
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())
    if client == "urllib3":
        urllib3 = require_extra("urllib3")
        r = urllib3.PoolManager().request("GET", url, timeout=TIMEOUT, retries=False)
        return r.status, json.loads(r.data)
    if client == "aiohttp":
        aiohttp = require_extra("aiohttp")

        async def go_aiohttp() -> tuple[int, Any]:
            timeout = aiohttp.ClientTimeout(total=TIMEOUT)
            async with aiohttp.ClientSession(timeout=timeout) as s, s.get(url) as r:
                return r.status, await r.json()

        return asyncio.run(go_aiohttp())
    raise ValueError(client)
