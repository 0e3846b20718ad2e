"""`forensics-tui demo --no-tui` produces the runs it promises, with replay specs at its service."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from forensics_tui.cli.main import cli
from forensics_tui.core.storage.store import FixtureStore


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("demo") / "fixtures"
    result = CliRunner().invoke(
        cli, ["demo", "--dir", str(root), "--no-tui", "--think", "0"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    match = re.search(r"demo service: (http://127\.0\.0\.1:\d+)", result.stderr)
    assert match, result.stderr
    return root, match.group(1)


def _chains(root: Path) -> list[list[tuple[str, str]]]:
    store = FixtureStore(root)
    store.scan()
    return [[(c.tool, c.status) for c in run.calls] for run in store.runs()]


def test_history_covers_every_failure(demo_root: tuple[Path, str]) -> None:
    root, _ = demo_root
    store = FixtureStore(root)
    store.scan()
    runs = store.runs()
    assert len(runs) == 11
    assert all(run.task == "sync-inventory" for run in runs)
    chains = _chains(root)
    healthy = (
        [("fetch_stock", "ok")] + [("upsert_records", "ok")] * 3 + [("send_notification", "ok")]
    )
    assert chains[0] == chains[1] == healthy
    assert chains[2] == [("fetch_stock", "timeout")]
    assert [s for _, s in chains[3]] == ["ok", "error", "error", "error", "ok"]
    assert chains[4] == healthy and runs[4].status == "ok"  # token_expired hides behind 200
    assert chains[6][3] == ("upsert_records", "skipped") and runs[6].status == "ok"
    for index in (7, 8, 9, 10):
        assert chains[index][-1] == ("send_notification", "error")
    assert runs[-1].labels.get("scenario") == "live"


def test_silent_failures_are_in_the_payloads(demo_root: tuple[Path, str]) -> None:
    root, _ = demo_root
    store = FixtureStore(root)
    store.scan()
    runs = store.runs()
    expired = store.load(runs[4].calls[2])
    assert expired.status == "ok" and expired.output["body"]["error"] == "token_expired"
    drifted = store.load(runs[5].calls[0])
    assert "quantity" in drifted.output["body"]["items"][0]
    zeroed = store.load(runs[5].calls[1])
    assert all(r["qty"] == 0 for r in zeroed.input["records"])  # the agent's silent damage
    limited = store.load(runs[6].calls[3])
    assert limited.output["status_code"] == 429
    assert limited.output["headers"]["Retry-After"] == "12"


def test_replay_specs_point_at_the_service(demo_root: tuple[Path, str]) -> None:
    root, base_url = demo_root
    store = FixtureStore(root)
    store.scan()
    for run in store.runs():
        for call in run.calls:
            fixture = store.load(call)
            assert fixture.replay["kind"] == "http"
            assert fixture.replay["url"].startswith(base_url + "/")
            assert fixture.replay["headers"]["Authorization"] == "[REDACTED]"
            assert "replay.headers.Authorization" in fixture.redacted


def test_token_never_reaches_disk(demo_root: tuple[Path, str]) -> None:
    root, _ = demo_root
    for path in root.rglob("*"):
        if path.is_file():
            assert b"Bearer demo-" not in path.read_bytes(), path


def test_runs_json_on_demo(demo_root: tuple[Path, str]) -> None:
    root, _ = demo_root
    result = CliRunner().invoke(cli, ["runs", "--dir", str(root), "--json"])
    runs = json.loads(result.output)
    assert len(runs) == 11 and runs[0]["counts"] == {"ok": 4, "error": 1}
