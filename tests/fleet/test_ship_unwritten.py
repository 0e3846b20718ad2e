"""A fixture caught between its create and its write is not shipped as a finished file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from forensics_tui.core.sources.nats_conn import NatsOptions
from forensics_tui.core.sources.shipper import Shipper


def test_an_empty_young_fixture_waits_for_its_write(tmp_path: Path) -> None:
    root = tmp_path / "root"
    run = root / "run1"
    run.mkdir(parents=True)
    shipper = Shipper(root, NatsOptions("nats://127.0.0.1:1"), host="h", stream="S")
    path = run / "000001_t.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # capture's create...
    try:
        # ...and a reader in between: shipping it now would send it as a final, broken call
        # and the cursor would never let the real one out
        assert shipper._message("run1/000001_t.json") is None
        doc = {"format": 1, "run_id": "run1", "call_id": "run1-000001", "seq": 1}
        os.write(fd, json.dumps({**doc, "tool": "t", "status": "ok"}).encode())
    finally:
        os.close(fd)
    message = shipper._message("run1/000001_t.json")
    assert message is not None and message[0] == "final" and b'"status": "ok"' in message[2]

    stale = run / "000002_t.json"  # empty for long: its writer died; shipped as what it is
    stale.write_bytes(b"")
    os.utime(stale, (1, 1))
    message = shipper._message("run1/000002_t.json")
    assert message is not None and message[0] == "final" and message[2] == b""
