"""The analysis commands through click's CliRunner, against a copy of corpus/v1."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from forensics_tui.cli.main import cli
from forensics_tui.core.storage.factories import make_run_dir


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_diff_text_form(v1: Path) -> None:
    result = run("diff", "--run", "20260303_090000", "--tool", "crm_lookup", "--dir", str(v1))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Comparing: run_20260302_090000 vs run_20260303_090000"
    assert '+ body.error: "token_expired"' in lines
    assert '"input": unchanged' in lines
    assert lines[-1].startswith("[forensics] Root cause: ") and "upstream" in lines[-1]
    assert "\x1b[" not in result.output  # no colour when not a terminal


def test_diff_json(v1: Path) -> None:
    result = run(
        "diff", "--run", "20260306_090000", "--tool", "post_reply", "--json", "--dir", str(v1)
    )
    data = json.loads(result.output)
    # run 05's post_reply is ok with no finding: the last known-good (docs/ARCHITECTURE.md)
    # "index" is the call's sequence number (#5), the number the TUI's detail header shows
    assert data["baseline_run"] == "20260305_090000" and data["index"] == 5
    assert "post_reply" in data["baseline_reason"] and "20260305_090000" in data["baseline_reason"]
    assert data["status"] == {"old": "ok", "new": "error"}
    assert {"path": "status_code", "kind": "changed", "old": 201, "new": 503} in data["changes"]
    assert "upstream" in data["verdict"] and data["input_changed"] is False


def test_diff_against_another_run_and_index(v1: Path) -> None:
    result = run(
        "diff",
        "--run",
        "20260305_090000",
        "--tool",
        "tag_ticket",
        "--index",
        "3",
        "--against",
        "20260301_090000",
        "--json",
        "--dir",
        str(v1),
    )
    data = json.loads(result.output)
    assert data["baseline_run"] == "20260301_090000" and data["index"] == 3
    assert data["status"] == {"old": "ok", "new": "skipped"}


def test_diff_without_baseline_exits_1(v1: Path) -> None:
    result = run("diff", "--run", "20260301_090000", "--tool", "crm_lookup", "--dir", str(v1))
    assert result.exit_code == 1
    assert "no baseline" in result.output and "Traceback" not in result.output


def test_diff_unknown_call_or_run_exits_2(v1: Path) -> None:
    result = run("diff", "--run", "20260301_090000", "--tool", "nope", "--dir", str(v1))
    assert result.exit_code == 2 and "has no call of nope" in result.output
    assert "(its calls: #1 crm_lookup, #2 tag_ticket, #3 tag_ticket" in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = run("diff", "--tool", "crm_lookup", "--against", "nope", "--dir", str(v1))
    assert result.exit_code == 2 and "unknown run 'nope'" in result.output


def test_fixture_strings_print_literally(tmp_path: Path) -> None:
    """A tool named like markup, and markup in outputs, print as typed (never styled)."""
    from forensics_tui.capture import Recorder

    root = tmp_path / "markup"
    outputs = [{"v": 1}, {"v": 2, "status_code": 401, "error": "[red]bad[/red] token expired"}]
    for i, out in enumerate(outputs):
        rec = Recorder(root, f"r{i}", task="t", redact=False)
        rec.record("[bold]x", {"q": "[link=http://e]y[/link]"}, out, ts=f"2026-01-01T0{i}:00:00Z")
        rec.end()
    check = run("check", "r1", "--dir", str(root))
    assert check.exit_code == 1
    assert "[bold]x" in check.output and '"[red]bad[/red] token expired"' in check.output
    diff = run("diff", "--tool", "[bold]x", "--dir", str(root))
    assert diff.exit_code == 0 and '+ error: "[red]bad[/red] token expired"' in diff.output
    patterns = run("patterns", "--dir", str(root))
    assert "  [bold]x  auth  " in patterns.output
    markdown = run("postmortem", "r1", "--dir", str(root)).output
    assert "#1 `[bold]x`" in markdown and "[link=http://e]y[/link]" in markdown
    for args in (("check", "r1"), ("diff", "--tool", "[bold]x"), ("patterns",), ("postmortem", "r1", "--format", "json")):  # fmt: skip
        flag = () if args[0] == "postmortem" else ("--json",)
        data = json.loads(run(*args, *flag, "--dir", str(root)).output)
        assert "[bold]x" in json.dumps(data)


def test_check_exit_codes(v1: Path, tmp_path: Path) -> None:
    assert run("check", "20260301_090000", "--dir", str(v1)).exit_code == 0
    failing = run("check", "--dir", str(v1))  # newest: 08, post_reply error
    assert failing.exit_code == 1 and "post_reply" in failing.output
    assert run("check", "nope", "--dir", str(v1)).exit_code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("check", "--dir", str(empty)).exit_code == 2
    assert run("check", "--fail-on", "bogus", "--dir", str(v1)).exit_code == 2


def test_check_fail_on_filters_findings_but_not_errors(v1: Path) -> None:
    only_auth = run("check", "20260304_090000", "--fail-on", "auth_expiry", "--dir", str(v1))
    assert only_auth.exit_code == 0
    drift = run(
        "check", "20260304_090000", "--fail-on", "schema_drift,auth_expiry", "--dir", str(v1)
    )
    assert drift.exit_code == 1
    errors = run("check", "20260306_090000", "--fail-on", "auth_expiry", "--dir", str(v1))
    assert errors.exit_code == 1


def test_check_json(v1: Path) -> None:
    result = run("check", "20260303_090000", "20260302_090000", "--json", "--dir", str(v1))
    data = json.loads(result.output)
    assert result.exit_code == 1 and data["ok"] is False
    first, second = data["runs"]
    assert set(first) == {"run_id", "ok", "outcome", "kind", "findings", "broken", "run_problems"}
    assert first["outcome"] == "silent_failure"
    assert {f["kind"] for f in first["findings"]} == {"auth_expiry", "schema_drift"}
    assert second == {
        "run_id": "20260302_090000",
        "ok": True,
        "outcome": "ok",
        "kind": "agent",
        "findings": [],
        "broken": [],
        "run_problems": [],
    }


def test_check_broken_files_and_pending(tmp_path: Path) -> None:
    make_run_dir(tmp_path, "20260101_000000", [{"tool": "t", "output": {"v": 1}}])
    (tmp_path / "20260101_000000" / "000002_bad.json").write_text("{not json")
    result = run("check", "--json", "--dir", str(tmp_path))
    data = json.loads(result.output)
    assert result.exit_code == 1 and data["runs"][0]["broken"][0]["problem"]
    live = tmp_path / "live"
    make_run_dir(
        live,
        "20260101_000000",
        [{"tool": "t", "status": "pending", "ts": "2999-01-01T00:00:00+00:00"}],
        status="running",
        manifest={"pid": None},
    )
    assert run("check", "--dir", str(live)).exit_code == 0  # in flight, not stale
    stale = tmp_path / "stale"
    make_run_dir(
        stale,
        "20260101_000000",
        [{"tool": "t", "status": "pending", "ts": "2000-01-01T00:00:00+00:00"}],
        status="running",
    )
    result = run("check", "--json", "--dir", str(stale))
    assert result.exit_code == 1
    assert "still pending" in json.loads(result.output)["runs"][0]["findings"][0]["evidence"]


def test_patterns_json(v1: Path) -> None:
    data = json.loads(run("patterns", "--json", "--dir", str(v1)).output)
    assert data[0]["promoted"] and data[0]["tool"] == "post_reply"
    assert data[0]["run_count"] == 3 and data[0]["fixed_since"] is None
    assert data[0]["first_seen"] == "20260306_090000"
    assert data[0]["last_seen"] == "20260308_090000"
    assert isinstance(data[0]["signature"], str)
    assert not any(p["promoted"] for p in data[1:])
    fewer = json.loads(run("patterns", "--min-runs", "1", "--json", "--dir", str(v1)).output)
    assert all(p["promoted"] for p in fewer)
    text = run("patterns", "--dir", str(v1)).output
    assert text.startswith("★ 3 run(s)  post_reply")


def test_accept_changes_later_baselines(v1: Path) -> None:
    before = json.loads(
        run(
            "diff", "--run", "20260305_090000", "--tool", "crm_lookup", "--json", "--dir", str(v1)
        ).output
    )
    assert before["baseline_run"] == "20260302_090000"
    result = run("accept", "20260304_090000", "--tool", "crm_lookup", "--dir", str(v1))
    assert result.exit_code == 0 and "accepted" in result.output
    assert (v1 / ".accepted.json").is_file()
    after = json.loads(
        run(
            "diff", "--run", "20260305_090000", "--tool", "crm_lookup", "--json", "--dir", str(v1)
        ).output
    )
    assert after["baseline_run"] == "20260304_090000"
    assert run("accept", "nope", "--dir", str(v1)).exit_code == 2
    assert run("accept", "20260304_090000", "--tool", "nope", "--dir", str(v1)).exit_code == 2


def test_postmortem_json_and_file(v1: Path, tmp_path: Path) -> None:
    result = run("postmortem", "20260307_090000", "--format", "json", "--dir", str(v1))
    data = json.loads(result.output)
    assert list(data) == [
        "run_id",
        "kind",
        "outcome",
        "chain",
        "first_failure",
        "root_cause",
        "causes",
        "diff",
        "findings",
        "recurring",
        "onset",
        "reexecutions",
    ]
    assert data["outcome"] == "failed"
    assert set(data["chain"][0]) == {"seq", "tool", "status", "call_id", "kind", "findings"}
    first = data["first_failure"]
    assert set(first) == {
        "call_id",
        "seq",
        "tool",
        "status",
        "kind",
        "classification",
        "endpoint",
        "children",
        "baseline",
        "input",
        "output",
        "error",
        "findings",
    }
    assert first["tool"] == "post_reply" and first["input"] == {
        "ticket": 1,
        "text": "We are on it.",
    }
    assert data["diff"]["baseline_run"] == "20260305_090000"
    # "recurring" is as of the run (a post-mortem never analyses the runs after it):
    # 07 is the 2nd of three 503s in a row, 08 the 3rd, when the signature is promoted
    assert data["recurring"] is None
    newest = json.loads(run("postmortem", "20260308_090000", "--format", "json", "--dir", str(v1)).output)  # fmt: skip
    assert newest["recurring"]["run_count"] == 3
    out = tmp_path / "pm" / "report.md"
    written = run("postmortem", "20260303_090000", "-o", str(out), "--dir", str(v1))
    assert written.exit_code == 0
    markdown = out.read_text()
    assert markdown.startswith("# Post-mortem: run `20260303_090000`")
    assert "auth_expiry" in markdown and "```json" in markdown
    assert run("postmortem", "nope", "--dir", str(v1)).exit_code == 2


def test_postmortem_defaults_to_newest(v1: Path) -> None:
    data = json.loads(run("postmortem", "--format", "json", "--dir", str(v1)).output)
    assert data["run_id"] == "20260308_090000"


def test_init_ci_writes_and_refuses_without_force(tmp_path: Path) -> None:
    spec = ("--install-spec", "forensics-tui==0.1.0")  # this checkout is outside tmp_path
    result = run("init-ci", "--path", str(tmp_path), *spec)
    assert result.exit_code == 0
    workflow = (tmp_path / ".github/workflows/forensics.yml").read_text()
    assert "forensics-tui check" in workflow and "upload-artifact" in workflow
    assert "forensics-tui postmortem" in workflow and "--forensics-dir" in workflow
    example = tmp_path / "tests/test_forensics_fixtures.py"
    compile(example.read_text(), str(example), "exec")
    again = run("init-ci", "--path", str(tmp_path), *spec)
    assert again.exit_code == 1 and "--force" in again.output
    assert run("init-ci", "--path", str(tmp_path), "--force", *spec).exit_code == 0
    bad = run("init-ci", "--path", str(tmp_path), "--dir", "a: b", "--force", *spec)
    assert bad.exit_code == 2


def test_check_pending_call_of_a_dead_writer_fails(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(child.stdout)
    make_run_dir(
        tmp_path,
        "20260101_000000",
        [{"tool": "t", "status": "pending", "ts": "2999-01-01T00:00:00+00:00"}],
        status="running",
        manifest={"pid": dead_pid, "host": socket.gethostname()},
    )
    result = run("check", "--json", "--dir", str(tmp_path))
    assert result.exit_code == 1
    evidence = json.loads(result.output)["runs"][0]["findings"][0]["evidence"]
    assert "process that wrote the run is gone" in evidence
