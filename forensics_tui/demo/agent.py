"""The demo agent, "sync-inventory": fetch stock, upsert it in batches, send a notification.

It behaves like many production agents do: it trusts HTTP 200, treats a 429 as "skip this
batch, retry next time", maps fields it expects without checking the shape, and exits happily
as long as nothing raised.  Every tool call goes through the capture layer with an ``http``
replay spec pointing at the live demo service, so each call can be re-executed later.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from forensics_tui.capture import Recorder

__all__ = ["AGENT", "TASK", "run_sync_inventory"]

AGENT = "inventory-agent"
TASK = "sync-inventory"
BATCH_SIZE = 3
CLIENT_TIMEOUT_S = 1.0


def _output(response: httpx.Response) -> dict[str, Any]:
    """What the agent keeps of a response: status, body, and the headers it cares about."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    out: dict[str, Any] = {"status_code": response.status_code, "body": body}
    if "retry-after" in response.headers:
        out["headers"] = {"Retry-After": response.headers["retry-after"]}
    if "x-request-id" in response.headers:
        out["request_id"] = response.headers["x-request-id"]
    return out


def _call(
    recorder: Recorder,
    client: httpx.Client,
    tool: str,
    tool_input: dict[str, Any],
    request: dict[str, Any],
    classify: Callable[[httpx.Response], str],
) -> tuple[str, Any]:
    """Run one tool call against the service, recorded pending → final. Returns status, output."""
    replay = {"kind": "http", **request}
    call = recorder.start_call(tool, tool_input, replay=replay)
    try:
        response = client.request(
            request["method"],
            request["url"],
            headers=request.get("headers"),
            json=request.get("json"),
        )
    except httpx.TimeoutException as exc:
        call.finish(None, "timeout", error=exc)
        return "timeout", None
    except httpx.HTTPError as exc:
        call.finish(None, "error", error=exc)
        return "error", None
    output = _output(response)
    status = classify(response)
    error = None
    if status == "error":
        error = {
            "type": "HTTPStatusError",
            "message": f"{response.status_code} {response.reason_phrase} for {request['url']}",
            "traceback": "",
        }
    call.finish(output, status, error=error)
    return status, output


def _trusting(response: httpx.Response) -> str:
    """The agent's view of success: any 2xx is fine, whatever the body says."""
    return "ok" if response.status_code < 400 else "error"


def _batch_status(response: httpx.Response) -> str:
    if response.status_code == 429:
        return "skipped"  # "we'll pick it up on the next run"
    return _trusting(response)


def run_sync_inventory(
    recorder: Recorder,
    base_url: str,
    token: str,
    *,
    think_s: float = 0.0,
    on_call: Callable[[str, str], None] | None = None,
) -> str:
    """Run the agent once; returns the run status it reports (``ok`` or ``failed``)."""
    headers = {"Authorization": f"Bearer {token}"}
    failed = False
    calls = 0

    def step(tool: str, tool_input: dict[str, Any], request: dict[str, Any], classify: Any) -> Any:
        nonlocal failed, calls
        if think_s and calls:  # the first call starts at once, so a watcher sees the run appear
            time.sleep(think_s)
        calls += 1
        status, output = _call(recorder, client, tool, tool_input, request, classify)
        failed = failed or status in ("error", "timeout")
        if on_call is not None:
            on_call(tool, status)
        return status, output

    with httpx.Client(timeout=CLIENT_TIMEOUT_S, follow_redirects=False) as client:
        status, stock = step(
            "fetch_stock",
            {"warehouse": "north", "prefix": ""},
            {"method": "GET", "url": f"{base_url}/warehouse/stock?prefix=", "headers": headers},
            _trusting,
        )
        if status != "ok":
            recorder.end("failed")
            return "failed"
        items = stock["body"].get("items", []) if isinstance(stock["body"], dict) else []
        records = [
            # The agent assumes the shape it was written against: a renamed field becomes 0.
            {"sku": item.get("sku"), "qty": item.get("qty", 0), "warehouse": "north"}
            for item in items
        ]
        synced = 0
        batches = [records[i : i + BATCH_SIZE] for i in range(0, len(records), BATCH_SIZE)]
        for number, batch in enumerate(batches, start=1):
            payload = {"batch": number, "records": batch}
            status, output = step(
                "upsert_records",
                payload,
                {
                    "method": "POST",
                    "url": f"{base_url}/records/upsert",
                    "headers": headers,
                    "json": payload,
                },
                _batch_status,
            )
            if status == "ok" and isinstance(output["body"], dict):
                synced += int(output["body"].get("upserted") or 0)
        text = f"Inventory sync done: {synced} records in {len(batches)} batches."
        note = {"channel": "#ops-inventory", "text": text}
        step(
            "send_notification",
            note,
            {"method": "POST", "url": f"{base_url}/notify", "headers": headers, "json": note},
            _trusting,
        )
    outcome = "failed" if failed else "ok"
    recorder.end(outcome)
    return outcome
