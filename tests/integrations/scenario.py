"""The end-to-end scenario: one agent task run several times against a flaky upstream.

Each run sets what ``/api/items`` does, as a real upstream would misbehave from one day to the
next: fine, then an expired token inside an HTTP 200, a timeout, a 401, a 429 with
``Retry-After``, a changed response shape, timeouts again, and fine again.  ``/api/profile``
always works.  The agent lists items, reads the profile, and sends a report only when the items
came back; a failed listing makes it skip the report and still claim success, which is the
silent failure this project exists for.
"""

from __future__ import annotations

from typing import Any

RUNS: list[tuple[str, str]] = [
    ("run-01", "ok"),
    ("run-02", "token_expired"),
    ("run-03", "timeout"),
    ("run-04", "unauthorized"),
    ("run-05", "rate_limited"),
    ("run-06", "shape_changed"),
    ("run-07", "timeout"),
    ("run-08", "timeout"),
    ("run-09", "ok"),
]
TASK = "sync-items"
CLIENT_TIMEOUT = 0.5


def build_agent(base_url: str, capability: Any) -> Any:
    """A pydantic-ai agent with a scripted model; its tools call the fault server via httpx2."""
    import httpx2
    from pydantic_ai import Agent, ModelRetry
    from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    def items_came_back(messages: list[Any]) -> bool:
        for part in messages[-1].parts:
            if getattr(part, "tool_name", None) == "list_items":
                return getattr(part, "outcome", "success") == "success" and isinstance(
                    getattr(part, "content", None), dict
                )
        return False

    def respond(messages: list[Any], info: AgentInfo) -> ModelResponse:
        turn = sum(1 for m in messages if isinstance(m, ModelResponse))
        if turn == 0:
            return ModelResponse(
                parts=[ToolCallPart("list_items", {"limit": 10}), ToolCallPart("get_profile", {})]
            )
        if turn == 1 and items_came_back(messages):
            return ModelResponse(parts=[ToolCallPart("send_report", {"summary": "items synced"})])
        return ModelResponse(parts=[TextPart("All done.")])  # claims success either way

    agent = Agent(FunctionModel(respond), capabilities=[capability])

    @agent.tool_plain
    async def list_items(limit: int) -> dict[str, Any]:
        async with httpx2.AsyncClient(timeout=CLIENT_TIMEOUT) as client:
            try:
                response = await client.get(f"{base_url}/api/items", params={"limit": limit})
            except httpx2.TimeoutException as exc:
                raise ModelRetry("the items service timed out") from exc
        if response.status_code >= 400:
            raise ModelRetry(f"the items service answered HTTP {response.status_code}")
        return response.json()

    @agent.tool_plain
    def get_profile() -> dict[str, Any]:
        with httpx2.Client(timeout=CLIENT_TIMEOUT) as client:
            return client.get(f"{base_url}/api/profile").json()

    @agent.tool_plain
    def send_report(summary: str) -> dict[str, Any]:
        with httpx2.Client(timeout=CLIENT_TIMEOUT) as client:
            return client.post(f"{base_url}/api/report", json={"summary": summary}).json()

    return agent
