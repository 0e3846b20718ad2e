"""A host *name* that resolves to a cloud metadata address is refused unless named exactly.

DNS is the one thing here that cannot point at 169.254.169.254 for real, so the resolver is
replaced for the name under test; everything else (the server, the send) is real.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.core.model import Fixture
from forensics_tui.core.reexec import ReexecPolicy, prepare, send
from forensics_tui.core.reexec.policy import resolved_metadata_refusal

EVIL = "metadata.attacker.test"


@pytest.fixture
def evil_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def fake(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == EVIL:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_wildcard_does_not_reach_metadata_through_dns(evil_dns: None) -> None:
    assert "metadata address" in (resolved_metadata_refusal(EVIL, ["*"]) or "")
    assert resolved_metadata_refusal(EVIL, [EVIL]) is None  # named exactly: the operator's call
    assert resolved_metadata_refusal(EVIL, ["169.254.169.254"]) is None


def test_send_refuses_before_connecting(evil_dns: None) -> None:
    fixture = Fixture(
        path=Path("x.json"),
        run_id="r",
        call_id="r-1",
        seq=1,
        tool="t",
        status="ok",
        replay={"kind": "http", "method": "GET", "url": f"http://{EVIL}/latest/meta-data/"},
    )
    policy = ReexecPolicy(allow_hosts=("*",), env={})
    outcome = send(prepare(fixture, policy), policy)
    assert outcome.status == "error"
    assert outcome.error["type"] == "Refused" and "metadata" in outcome.error["message"]


def test_ordinary_names_resolve_and_pass() -> None:
    assert resolved_metadata_refusal("localhost", ["*"]) is None
    assert resolved_metadata_refusal("127.0.0.1", ["*"]) is None
    assert resolved_metadata_refusal("no-such-host.invalid", ["*"]) is None
