"""Alerts: a receiver on 127.0.0.1 counts POSTs; a promotion is alerted exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from forensics_tui.cli.main import cli
from forensics_tui.core.alerts import AlertError, post
from tests.runlevel.conftest import failed, ok, run
from tests.runlevel.servers import Service, serve


@pytest.fixture
def receiver() -> Iterator[Service]:
    with serve() as state:
        yield state


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORENSICS_CONFIG", str(tmp_path / "no-config.toml"))


def _history(root: Path, n: int = 3, start: int = 1) -> None:
    for day in range(start, start + n):
        run(root, f"202601{day:02d}_000000", [ok("fetch"), failed("send_notification")])


def _check(root: Path, url: str, *extra: str):
    return CliRunner().invoke(cli, ["check", "--alert", url, "--dir", str(root), *extra])


def test_one_promotion_is_alerted_exactly_once_across_two_checks(
    tmp_path: Path, receiver: Service
) -> None:
    _history(tmp_path)
    url = receiver.url("/hook")
    first = _check(tmp_path, url)
    assert first.exit_code == 1  # the check itself fails: the newest run failed
    events = [p["event"] for p in receiver.posts]
    assert sorted(events) == ["pattern_promoted", "run_failed"]
    promo = next(p for p in receiver.posts if p["event"] == "pattern_promoted")
    assert promo["pattern"]["tool"] == "send_notification" and promo["pattern"]["promoted"]
    assert promo["run_ids"] == ["20260101_000000", "20260102_000000", "20260103_000000"]
    assert "recurring failure promoted: send_notification" in promo["text"]
    assert Path(promo["postmortem"]).is_file()
    assert Path(promo["postmortem"]).read_text().startswith("# Post-mortem")
    second = _check(tmp_path, url)
    assert second.exit_code == 1
    assert len(receiver.posts) == 2  # nothing new: nothing sent again
    _history(tmp_path, n=1, start=4)  # a new failing run, same promoted pattern
    _check(tmp_path, url)
    assert [p["event"] for p in receiver.posts[2:]] == ["run_failed"]
    assert receiver.posts[2]["run_ids"] == ["20260104_000000"]
    state = json.loads((tmp_path / ".alerts.json").read_text())
    assert len(state["sent"]) == 3
    assert oct((tmp_path / ".alerts.json").stat().st_mode & 0o777) == "0o600"


def test_dry_run_sends_and_records_nothing(tmp_path: Path, receiver: Service) -> None:
    _history(tmp_path)
    res = _check(tmp_path, receiver.url("/hook"), "--dry-run")
    assert '"event": "pattern_promoted"' in res.output
    assert receiver.posts == [] and not (tmp_path / ".alerts.json").exists()


def test_refusal_is_a_clear_error_and_is_retried_next_time(
    tmp_path: Path, receiver: Service
) -> None:
    _history(tmp_path)
    receiver.refuse = 403
    res = _check(tmp_path, receiver.url("/hook"), "--json")
    assert res.exit_code == 1
    assert "alert not sent: the alert endpoint refused the message: HTTP 403" in res.output
    receiver.refuse = None
    _check(tmp_path, receiver.url("/hook"))
    assert len(receiver.posts) == 2  # nothing was recorded as sent while refused


def test_retries_with_backoff(receiver: Service) -> None:
    receiver.fail_first = 2
    waits: list[float] = []
    post(receiver.url("/hook"), {"text": "x"}, backoff_s=0.01, sleep=waits.append)
    assert waits == [0.01, 0.02] and receiver.posts == [{"text": "x"}]
    receiver.fail_first = 10
    with pytest.raises(AlertError, match="did not take the message after 3 tries: HTTP 503"):
        post(receiver.url("/hook"), {"text": "y"}, attempts=3, backoff_s=0, sleep=waits.append)


def test_redacted_and_escaped_for_slack(tmp_path: Path, receiver: Service) -> None:
    message = "<!channel> denied for Bearer abcdefghijklmnopqrstuvwxyz0123456789"
    for day in (1, 2, 3):
        run(tmp_path, f"202601{day:02d}_000000", [failed("send_notification", message=message)])
    _check(tmp_path, receiver.url("/hook"))
    raw = json.dumps(receiver.posts)
    assert "abcdefghijklmnopqrstuvwxyz0123456789" not in raw
    assert "[REDACTED]" in raw
    texts = [p["text"] for p in receiver.posts]  # what Slack renders: no mention gets through
    assert all("<!channel>" not in t for t in texts)
    assert any("&lt;!channel&gt;" in t for t in texts)


def test_state_through_a_symlink_is_refused(tmp_path: Path, receiver: Service) -> None:
    _history(tmp_path)
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere.json"
    elsewhere.write_text('{"sent": {}}')
    os.symlink(elsewhere, tmp_path / ".alerts.json")
    res = _check(tmp_path, receiver.url("/hook"))
    assert res.exit_code == 1 and "alert not sent: cannot read" in res.output
    assert receiver.posts == []
    assert elsewhere.read_text() == '{"sent": {}}'


def test_bad_url_is_a_usage_error(tmp_path: Path) -> None:
    _history(tmp_path, n=1)
    res = CliRunner().invoke(
        cli, ["watch", "--alert", "file:///etc/passwd", "--dir", str(tmp_path)]
    )
    assert res.exit_code == 2 and "alert URL must be http(s)" in res.output


def test_headless_watch_alerts_a_new_failing_run_and_a_promotion(
    tmp_path: Path, receiver: Service
) -> None:
    _history(tmp_path, n=2)  # not promoted yet; existing runs are not alerted as new
    env = {**os.environ, "FORENSICS_CONFIG": str(tmp_path / "none.toml")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    cmd = [sys.executable, "-m", "forensics_tui", "watch", "--alert", receiver.url("/hook")]
    proc = subprocess.Popen(
        [*cmd, "--settle", "0.2", "--dir", str(tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        assert proc.stderr is not None
        while "watching" not in proc.stderr.readline():  # the watch is set up
            assert time.monotonic() < deadline and proc.poll() is None
        _history(tmp_path, n=1, start=3)  # the third failing run: promotion + run failed
        with receiver.arrived:
            assert receiver.arrived.wait_for(lambda: len(receiver.posts) >= 2, timeout=20)
        assert sorted(p["event"] for p in receiver.posts) == ["pattern_promoted", "run_failed"]
        assert next(p for p in receiver.posts if p["event"] == "run_failed")["run_ids"] == [
            "20260103_000000"
        ]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert proc.returncode == 0


def test_alerts_see_every_run_when_checkpoints_hold(tmp_path: Path, receiver: Service) -> None:
    """A warm checkpoint cache lets ``check`` read only the newest run; an alert's patterns
    still count every run."""
    _history(tmp_path, n=2)
    past = time.time() - 60
    for entry in tmp_path.iterdir():
        os.utime(entry, (past, past))
    assert CliRunner().invoke(cli, ["check", "--dir", str(tmp_path)]).exit_code == 1
    assert CliRunner().invoke(cli, ["check", "--dir", str(tmp_path)]).exit_code == 1  # warm
    _history(tmp_path, n=1, start=3)  # the third failing run promotes the pattern
    _check(tmp_path, receiver.url("/hook"))
    promo = [p for p in receiver.posts if p["event"] == "pattern_promoted"]
    assert len(promo) == 1 and len(promo[0]["run_ids"]) == 3
