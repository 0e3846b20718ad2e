"""Graded re-execution against a real service on 127.0.0.1: one test per grade."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from forensics_tui.cli.main import cli
from forensics_tui.core.config import Config
from forensics_tui.core.reexec import ReexecPolicy, reexecute
from forensics_tui.core.reexec.grade import GRADES, grade, volatile_fields
from forensics_tui.core.storage.factories import make_run_dir
from tests.runlevel.servers import Service, serve

GOOD = {"sku": "A-1", "qty": 5, "request_id": "r-1"}


@pytest.fixture
def service() -> Iterator[Service]:
    with serve() as state:
        yield state


def _original(root: Path, service: Service, *, ok: bool, output: Any = None) -> Path:
    """A run whose only call GETs /stock on the service (ok with GOOD, or a 503)."""
    replay = {"kind": "http", "method": "GET", "url": service.url("/stock"), "headers": {}}
    if ok:
        call = {
            "tool": "get_stock",
            "status": "ok",
            "output": output or {"status_code": 200, "body": GOOD},
        }
    else:
        call = {
            "tool": "get_stock",
            "status": "error",
            "output": {"status_code": 503, "body": {"error": "unavailable"}},
            "error": {"type": "HTTPStatusError", "message": "503 Service Unavailable"},
        }
    run_id = "20260102_000000" if not ok else "20260101_000000"
    make_run_dir(
        root,
        run_id,
        [{**call, "input": {"sku": "A-1"}, "replay": replay}],
        status="ok" if ok else "failed",
    )
    return root / run_id / "000001_get_stock.json"


def _reexec(root: Path, path: Path) -> Any:
    policy = ReexecPolicy(allow_hosts=("127.0.0.1",), env={}, timeout_s=5.0)
    return reexecute(path, root=root, policy=policy, confirm=lambda request: True)


CASES = [
    ("same", True, (200, {**GOOD, "request_id": "r-2"}), "only volatile fields differ"),
    ("values only", True, (200, {**GOOD, "qty": 7}), "values changed at body.qty"),
    ("shape changed", True, (200, {"sku": "A-1", "quantity": 5}), "removed body.qty"),
    ("auth", True, (401, {"error": "unauthorized"}), "credential was rejected"),
    ("auth", True, (200, {"error": "token_expired"}), "credential was rejected"),
    ("still failing the same way", False, (503, {"error": "unavailable"}), "again HTTP 503"),
    ("now failing differently", False, (429, {"error": "slow down"}), "now HTTP 429"),
    ("now failing differently", True, (500, {"error": "boom"}), "was ok; now HTTP 500"),
    ("recovered", False, (200, GOOD), "was HTTP 503"),
]


@pytest.mark.parametrize(("expected", "ok", "answer", "reason"), CASES)
def test_each_grade_against_a_live_service(
    tmp_path: Path, service: Service, expected: str, ok: bool, answer: tuple[int, Any], reason: str
) -> None:
    service.answers["/stock"] = answer
    path = _original(tmp_path, service, ok=ok)
    result = _reexec(tmp_path, path)
    assert result.sent and result.grade is not None
    assert result.grade.grade == expected, result.grade
    assert reason in result.grade.reason
    assert result.to_json()["grade"]["grade"] == expected
    audit = [json.loads(line) for line in (tmp_path / ".audit.jsonl").read_text().splitlines()]
    assert audit[-1]["result"]["grade"]["grade"] == expected


def test_recovered_notes_drift_from_the_last_good_answer(tmp_path: Path, service: Service) -> None:
    _original(tmp_path, service, ok=True)  # 20260101: the last good answer
    failing = _original(tmp_path, service, ok=False)
    service.answers["/stock"] = (200, {"sku": "A-1", "quantity": 5})
    result = _reexec(tmp_path, failing)
    assert result.grade.grade == "recovered"
    assert result.grade.against == "last good"
    assert "differs from the last good answer" in result.grade.reason


def test_volatile_fields_are_configurable_per_tool(tmp_path: Path) -> None:
    config = Config(volatile_by_tool={"get_stock": ["qty"], "*": ["nonce2"]})
    fields = volatile_fields("get_stock", config)
    assert "qty" in fields and "nonce2" in fields and "request_id" in fields
    assert "qty" not in volatile_fields("other", config)
    from forensics_tui.core.storage.factories import make_fixture

    old = make_fixture("get_stock", output={"status_code": 200, "body": GOOD})
    new = make_fixture("get_stock", output={"status_code": 200, "body": {**GOOD, "qty": 9}})
    assert grade(old, new).grade == "values only"
    assert grade(old, new, volatile=fields).grade == "same"
    assert set(GRADES) == {g for g, *_ in CASES}


def test_cli_json_and_text_show_the_grade(
    tmp_path: Path, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[volatile]\nget_stock = ["qty"]\n')
    monkeypatch.setenv("FORENSICS_CONFIG", str(config))
    service.answers["/stock"] = (200, {**GOOD, "qty": 8})
    path = _original(tmp_path / "root", service, ok=True)
    args = [
        "reexec",
        str(path),
        "--yes",
        "--allow-host",
        "127.0.0.1",
        "--dir",
        str(tmp_path / "root"),
    ]
    res = CliRunner().invoke(cli, [*args, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["grade"]["grade"] == "same"  # qty is volatile for this tool
    config.write_text("")
    text = CliRunner().invoke(cli, args)
    assert "grade: values only (same shape; values changed at body.qty)" in text.output


def test_the_runs_postmortem_lists_graded_reexecutions(tmp_path: Path, service: Service) -> None:
    from forensics_tui.core.analysis.engine import Analysis
    from forensics_tui.core.analysis.postmortem import build_postmortem, postmortem_markdown
    from forensics_tui.core.storage.store import FixtureStore

    failing = _original(tmp_path, service, ok=False)
    service.answers["/stock"] = (200, GOOD)
    result = _reexec(tmp_path, failing)
    store = FixtureStore(tmp_path)
    store.scan()
    pm = build_postmortem(Analysis(store), "20260102_000000")
    assert [(r["grade"], r["run_id"], r["tool"]) for r in pm["reexecutions"]] == [
        ("recovered", result.new_run_id, "get_stock")
    ]
    md = postmortem_markdown(pm)
    assert "## Re-executions" in md and "**recovered**" in md
