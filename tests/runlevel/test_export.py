"""Exported tests really run under pytest (subprocess) and pass / xfail as they should."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from forensics_tui.cli.main import cli
from tests.runlevel.conftest import failed, ok, run

REPO = Path(__file__).resolve().parents[2]

TOOLS = """
STATE = {"fixed": %s}


def lookup(sku: str, region: str = "eu") -> dict:
    if not STATE["fixed"]:
        raise RuntimeError("503 Service Unavailable")
    return {"sku": sku, "qty": 5, "request_id": "live-999", "fetched_at": "now"}
"""


@pytest.fixture(autouse=True)
def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``fetched_at`` is volatile for this tool (``request_id`` is in the default set)."""
    config = tmp_path / "config.toml"
    config.write_text('[volatile]\nlookup = ["fetched_at"]\n')
    monkeypatch.setenv("FORENSICS_CONFIG", str(config))


def _tools(where: Path, fixed: bool) -> None:
    where.mkdir(parents=True, exist_ok=True)
    (where / "mytools.py").write_text(TOOLS % fixed)


def _pytest(module: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{module.parent}{os.pathsep}{REPO}"}
    env["FORENSICS_CONFIG"] = str(module.parent / "none.toml")
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # plain pytest: the exported module needs no plugin
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(module)],
        cwd=module.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _export(root: Path, call_id: str, out: Path, *extra: str):
    args = ["export-test", call_id, "-o", str(out), "--function", "mytools:lookup"]
    return CliRunner().invoke(cli, [*args, "--dir", str(root), *extra])


GOOD_OUT = {"sku": "A-1", "qty": 5, "request_id": "rec-1", "fetched_at": "then"}
SKU = {"sku": "A-1"}


def test_a_good_call_replays_and_passes(tmp_path: Path) -> None:
    root = tmp_path / "root"
    run(root, "20260101_000000", [ok("lookup", SKU, GOOD_OUT)])
    out = tmp_path / "tests" / "test_lookup.py"
    res = _export(root, "20260101_000000-000001", out)
    assert res.exit_code == 0, res.output
    assert "(replays)" in res.output
    assert (tmp_path / "tests" / "test_lookup_fixture.json").is_file()
    assert "'fetched_at')  # volatile fields" in out.read_text()
    _tools(out.parent, fixed=True)
    done = _pytest(out)
    assert "1 passed" in done.stdout, done.stdout + done.stderr


def test_a_failing_call_without_a_good_answer_is_xfail_until_fixed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    run(root, "20260101_000000", [failed("lookup", SKU, "503 Service Unavailable")])
    out = tmp_path / "tests" / "test_lookup.py"
    res = _export(root, "20260101_000000-000001", out)
    assert res.exit_code == 0 and "(xfail)" in res.output, res.output
    assert "xfail(strict=True" in out.read_text()
    _tools(out.parent, fixed=False)
    assert "1 xfailed" in _pytest(out).stdout
    _tools(out.parent, fixed=True)  # the tool is fixed: the strict xfail now says so
    done = _pytest(out)
    assert "1 failed" in done.stdout and "XPASS(strict)" in done.stdout, done.stdout


def test_a_failing_call_with_a_good_answer_asserts_the_fixed_behaviour(tmp_path: Path) -> None:
    root = tmp_path / "root"
    run(root, "20260101_000000", [failed("lookup", SKU)])
    run(root, "20260102_000000", [ok("lookup", SKU, GOOD_OUT)])  # the good answer
    out = tmp_path / "t" / "test_fixed.py"
    res = _export(root, "20260101_000000-000001", out)
    assert res.exit_code == 0 and "(fixed)" in res.output, res.output
    fixture = json.loads((tmp_path / "t" / "test_fixed_fixture.json").read_text())
    assert fixture["input"] == SKU and fixture["output"] == GOOD_OUT
    _tools(out.parent, fixed=False)
    assert "1 failed" in _pytest(out).stdout
    _tools(out.parent, fixed=True)
    assert "1 passed" in _pytest(out).stdout


def test_exported_fixture_is_redacted_and_existing_files_are_kept(tmp_path: Path) -> None:
    root = tmp_path / "root"
    leaked = {"sku": "A-1", "api_key": "sk-live-abcdefghijklmnop1234"}
    run(root, "20260101_000000", [ok("lookup", leaked, GOOD_OUT)])
    out = tmp_path / "test_x.py"
    assert _export(root, "20260101_000000-000001", out).exit_code == 0
    text = (tmp_path / "test_x_fixture.json").read_text()
    assert "sk-live-abcdefghijklmnop1234" not in text and "[REDACTED]" in text
    again = _export(root, "20260101_000000-000001", out)
    assert again.exit_code == 1 and "exists (use --force" in again.output
    assert _export(root, "20260101_000000-000001", out, "--force").exit_code == 0
    missing = _export(root, "nope", out)
    assert missing.exit_code == 2 and "no call 'nope'" in missing.output


def test_export_dataset_jsonl(tmp_path: Path) -> None:
    run(tmp_path, "20260101_000000", [ok("lookup", SKU, GOOD_OUT), failed("notify")])
    body = {"status_code": 200, "body": {"error": "token_expired"}}
    run(tmp_path, "20260102_000000", [ok("lookup", SKU, body)])
    res = CliRunner().invoke(cli, ["export-dataset", "--format", "jsonl", "--dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.output.splitlines()]
    assert [(r["run_id"], r["tool"], r["status"], r["classification"]) for r in rows] == [
        ("20260101_000000", "lookup", "ok", "ok"),
        ("20260101_000000", "notify", "error", "upstream"),  # a 503: the model's kind
        ("20260102_000000", "lookup", "ok", "auth"),
    ]
    assert rows[0]["input"] == SKU and rows[0]["output"] == GOOD_OUT
    assert {f["kind"] for f in rows[2]["findings"]} == {"auth_expiry", "schema_drift"}
    one = CliRunner().invoke(
        cli,
        [
            "export-dataset",
            "20260102_000000",
            "-o",
            str(tmp_path / "d.jsonl"),
            "--dir",
            str(tmp_path),
        ],
    )
    assert one.exit_code == 0
    assert len((tmp_path / "d.jsonl").read_text().splitlines()) == 1
    bad = CliRunner().invoke(cli, ["export-dataset", "nope", "--dir", str(tmp_path)])
    assert bad.exit_code == 2 and "unknown run 'nope'" in bad.output


def test_a_good_answer_to_another_input_does_not_count(tmp_path: Path) -> None:
    root = tmp_path / "root"
    run(root, "20260101_000000", [ok("lookup", {"sku": "B-2"}, GOOD_OUT)])
    run(root, "20260102_000000", [failed("lookup", SKU)])
    res = _export(root, "20260102_000000-000001", tmp_path / "test_y.py")
    assert res.exit_code == 0 and "(xfail)" in res.output, res.output
    assert "xfail until fixed: upstream dependency issue" in res.output


def test_hostile_fixture_text_cannot_inject_code_into_the_module(tmp_path: Path) -> None:
    root = tmp_path / "root"
    evil = 'x"""\nimport os; os.environ["PWNED"]="1"\n"""'
    tool = 'lookup"""; import os; os.environ.update(PWNED="1"); """'
    run(root, "20260101_000000", [failed(tool, {"q": evil}, message=evil)])
    out = tmp_path / "test_evil.py"
    res = CliRunner().invoke(
        cli,
        ["export-test", "20260101_000000-000001", "-o", str(out), "--dir", str(root)],
    )
    assert res.exit_code == 0, res.output
    source = out.read_text()
    compile(source, str(out), "exec")  # still valid Python
    assert source.count('"""') == 2  # the module docstring is never closed early
    namespace: dict[str, object] = {"__file__": str(out)}
    exec(compile(source, str(out), "exec"), namespace)  # importing it runs nothing hostile
    assert "PWNED" not in os.environ
    assert namespace["tool_function"] is None  # no --function, no python replay target
