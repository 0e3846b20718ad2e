"""The flow over real roots: call ids through the store, the sample corpus, the last known-good
diff, and a fixture written by the real capture Recorder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from forensics_tui.capture import Recorder
from forensics_tui.cli.main import cli
from forensics_tui.core.reexec import reexecute, resolve_fixture

from .conftest import SECRET, LocalServer, all_bytes_under, policy_for

ORIGINAL = "20260303_090000-000001"  # crm_lookup: 200 with {"error": "token_expired"}


def _point_at(root: Path, server: LocalServer) -> Path:
    """Aim the corpus call at the test server (the copy in tmp_path, never the corpus)."""
    path = root / "20260303_090000" / "000001_crm_lookup.json"
    data = json.loads(path.read_text())
    data["replay"]["url"] = server.url("/ok/C-1042")
    path.write_text(json.dumps(data, indent=2))
    return path


def test_corpus_dry_run_by_call_id(corpus_copy: Any, tmp_path: Path) -> None:
    root = corpus_copy("v1")
    env = {
        "FORENSICS_CONFIG": str(tmp_path / "none.toml"),
        "FORENSICS_SECRET_AUTHORIZATION": f"Bearer {SECRET}",
    }
    args = ["reexec", ORIGINAL, "--dry-run", "--allow-host", "127.0.0.1:8765", "--dir", str(root)]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("GET http://127.0.0.1:8765/crm/C-1042\n")
    assert SECRET not in result.output


def test_diff_against_original_and_last_known_good(corpus_copy: Any, server: LocalServer) -> None:
    root = corpus_copy("v1")
    _point_at(root, server)
    policy = policy_for("127.0.0.1")

    result = reexecute(ORIGINAL, root=root, policy=policy, confirm=lambda r: True)

    assert result.status == "ok" and len(server.requests) == 1
    assert result.diff is not None and result.diff.baseline_call_id == ORIGINAL
    assert result.diff_last_good is not None
    assert result.diff_last_good.baseline_run == "20260302_090000"
    assert result.to_json()["diff_last_good"]["verdict"] == result.diff_last_good.verdict

    # A re-execution run never becomes a baseline, even though it is newer and ok.
    again = reexecute(ORIGINAL, root=root, policy=policy, confirm=lambda r: True)
    assert again.diff_last_good is not None
    assert again.diff_last_good.baseline_run == "20260302_090000"
    assert again.new_run_id != result.new_run_id


def test_resolve_by_call_id_and_by_path(corpus_copy: Any) -> None:
    root = corpus_copy("v1")
    by_id = resolve_fixture(ORIGINAL, root)
    by_path = resolve_fixture(by_id.path, root)
    assert by_id.call_id == by_path.call_id == ORIGINAL


def test_fixture_written_by_the_recorder(tmp_path: Path, server: LocalServer) -> None:
    """The agent's real credential is redacted at capture and comes back from the env."""
    recorder = Recorder(tmp_path, "20260310_080000", agent="bot")
    path = recorder.record(
        "crm_lookup",
        {"customer": "C-7"},
        {"status_code": 401, "body": {"error": "token_expired"}},
        "error",
        replay={
            "kind": "http",
            "method": "GET",
            "url": server.url("/ok/C-7"),
            "headers": {"Authorization": f"Bearer {SECRET}"},
        },
    )
    recorder.end()
    assert path is not None and SECRET not in path.read_text()

    result = reexecute(path, root=tmp_path, policy=policy_for("127.0.0.1"), confirm=lambda r: True)

    assert result.status == "ok"
    assert server.requests[0].headers["Authorization"] == f"Bearer {SECRET}"
    assert SECRET.encode() not in all_bytes_under(tmp_path)
