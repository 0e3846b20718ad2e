"""A stdio JSON-RPC peer that answers ``tools/call`` with the odd replies real servers send.

Each tool name picks a reply: ``masked`` (the MCP SDK's "Error executing tool" for a plain
exception), ``structured`` (isError with a structured error), ``empty`` (no content at all),
``prose`` (error text in a success), ``weird_meta`` (a non-conforming ``"_meta": "x"``);
anything else answers ``{"ok": true}``.  Replies are written exactly as listed in ``REPLIES``.
"""

from __future__ import annotations

import json
import sys

REPLIES = {
    "masked": {
        "content": [{"type": "text", "text": "Error executing tool masked"}],
        "isError": True,
    },
    "structured": {
        "content": [{"type": "text", "text": "upstream said no"}],
        "structuredContent": {"error": {"type": "AuthError", "message": "token expired"}},
        "isError": True,
    },
    "empty": {"content": []},
    "prose": {"content": [{"type": "text", "text": "Error: upstream returned HTTP 401"}]},
    "weird_meta": {"_meta": "x", "content": [{"type": "text", "text": "fine"}]},
}


def main() -> None:
    for line in sys.stdin:
        message = json.loads(line)
        name = (message.get("params") or {}).get("name")
        result = REPLIES.get(name, {"content": [{"type": "text", "text": '{"ok": true}'}]})
        sys.stdout.write(
            json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}) + "\n"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
