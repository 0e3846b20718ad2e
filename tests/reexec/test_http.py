"""Re-executing http fixtures against a real server on 127.0.0.1, end to end through the files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.core.reexec import AUDIT_FILE, ReexecResult, reexecute

from .conftest import SECRET, LocalServer, all_bytes_under, http_replay, make_fixture, policy_for


def _original(root: Path, url: str, **kw: Any) -> Path:
    return make_fixture(
        root, replay=http_replay(url, **kw), redacted=["replay.headers.Authorization"]
    )


def _run(root: Path, path: Path, **policy_kw: Any) -> ReexecResult:
    policy = policy_for("127.0.0.1", **policy_kw)
    return reexecute(path, root=root, policy=policy, confirm=lambda request: True)


def _new_fixture(result: ReexecResult) -> dict[str, Any]:
    assert result.new_path is not None, result.reason
    return json.loads(result.new_path.read_text())


def _audit(root: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (root / AUDIT_FILE).read_text().splitlines()]


def test_ok_records_a_linked_fixture_in_a_new_run(tmp_path: Path, server: LocalServer) -> None:
    original = _original(tmp_path, server.url("/ok/C-1042"))
    before = (original.read_bytes(), original.stat().st_mtime_ns)

    result = _run(tmp_path, original)

    assert result.sent and result.status == "ok"
    assert len(server.requests) == 1
    seen = server.requests[0]
    assert seen.method == "GET" and seen.path == "/ok/C-1042"
    assert seen.headers["Authorization"] == f"Bearer {SECRET}"  # filled from the environment
    new = _new_fixture(result)
    assert new["status"] == "ok"
    assert new["output"] == {
        "status_code": 200,
        "body": {"customer": "C-1042", "tier": "gold", "method": "GET"},
    }
    assert new["tool"] == "crm_lookup" and new["run_id"] != "20260303_090000"
    assert result.new_run_id == new["run_id"] and result.new_call_id == new["call_id"]
    link = new["meta"]["reexec_of"]
    assert link["call_id"] == "20260303_090000-000001"
    assert link["sha256"] == hashlib.sha256(before[0]).hexdigest()
    assert link["path"] == str(original)
    manifest = json.loads((result.new_path.parent / "run.json").read_text())
    assert manifest["labels"]["reexec_of"] == "20260303_090000-000001"
    # The original is only read.
    assert (original.read_bytes(), original.stat().st_mtime_ns) == before
    # The diff against the original says what changed (status error -> ok).
    assert result.diff is not None and result.verdict
    assert result.to_json()["diff"]["verdict"] == result.verdict


def test_secrets_never_reach_the_disk(tmp_path: Path, server: LocalServer) -> None:
    """The server echoes the credential back; it is scrubbed before anything is written."""
    original = _original(tmp_path, server.url("/echo"))
    result = _run(tmp_path, original)
    assert result.status == "ok"
    assert server.requests[0].headers["Authorization"] == f"Bearer {SECRET}"
    blob = all_bytes_under(tmp_path)
    assert (tmp_path / AUDIT_FILE).exists()
    assert SECRET.encode() not in blob
    assert _new_fixture(result)["output"]["body"]["you_sent"] == "[REDACTED]"
    assert SECRET not in json.dumps(result.to_json())


def test_audit_line_says_who_when_what_and_result(tmp_path: Path, server: LocalServer) -> None:
    original = _original(tmp_path, server.url("/401"))
    result = _run(tmp_path, original)
    before, line = _audit(tmp_path)  # one line before sending, one with the result
    assert before["phase"] == "sending" and before["sent"] is False
    assert before["result"]["status"] == "sending" and line["phase"] == "result"
    assert line["user"] and line["ts"] and line["action"] == "reexec"
    assert line["original"]["call_id"] == "20260303_090000-000001"
    assert line["request"]["method"] == "GET"
    assert line["request"]["secrets"] == [
        {
            "path": "replay.headers.Authorization",
            "env": "FORENSICS_SECRET_AUTHORIZATION",
            "to": f"127.0.0.1:{server.port}",
        }
    ]
    assert line["result"]["status"] == "error"
    assert line["result"]["new_call_id"] == result.new_call_id
    _run(tmp_path, original)
    assert len(_audit(tmp_path)) == 4  # appended, never rewritten


@pytest.mark.parametrize(("path", "code"), [("/401", 401), ("/500", 500)])
def test_http_errors_are_error_fixtures(
    tmp_path: Path, server: LocalServer, path: str, code: int
) -> None:
    result = _run(tmp_path, _original(tmp_path, server.url(path)))
    new = _new_fixture(result)
    assert result.status == new["status"] == "error"
    assert new["output"]["status_code"] == code
    assert new["error"]["type"] == "HTTPStatusError"
    assert new["error"]["message"].startswith(str(code))


def test_timeout(tmp_path: Path, server: LocalServer) -> None:
    result = _run(tmp_path, _original(tmp_path, server.url("/slow")), timeout_s=0.3)
    new = _new_fixture(result)
    assert result.status == new["status"] == "timeout"
    assert new["error"]["type"] == "ReadTimeout"
    assert len(server.requests) == 1


def test_a_trickling_response_hits_the_total_deadline(tmp_path: Path, server: LocalServer) -> None:
    result = _run(tmp_path, _original(tmp_path, server.url("/trickle")), timeout_s=0.5)
    new = _new_fixture(result)
    assert result.status == new["status"] == "timeout"
    assert "in total" in new["error"]["message"]


def test_connection_refused(tmp_path: Path, closed_port: int) -> None:
    result = _run(tmp_path, _original(tmp_path, f"http://127.0.0.1:{closed_port}/x"))
    new = _new_fixture(result)
    assert result.status == new["status"] == "error"
    assert new["error"]["type"] == "ConnectError"
    assert new["error"]["message"]


def test_redirect_is_the_result_and_never_followed(
    tmp_path: Path, server: LocalServer, other_server: LocalServer
) -> None:
    server.redirect_to = other_server.url("/stolen")
    result = _run(tmp_path, _original(tmp_path, server.url("/redirect")))
    new = _new_fixture(result)
    assert result.status == new["status"] == "ok"
    assert new["output"]["status_code"] == 302
    assert new["meta"]["reexec"]["headers"]["location"] == other_server.url("/stolen")
    assert len(server.requests) == 1
    assert other_server.requests == []  # no request, so no credential, reached the other host


def test_oversized_body_is_truncated(tmp_path: Path, server: LocalServer) -> None:
    original = _original(tmp_path, server.url("/big"))
    result = _run(tmp_path, original, max_response_bytes=1000)
    new = _new_fixture(result)
    assert result.outcome is not None and result.outcome.truncated
    assert new["output"]["truncated"] is True
    assert new["output"]["body"] == "x" * 1000
    assert new["meta"]["reexec"]["truncated"] is True
    assert result.to_json()["truncated"] is True


def test_post_sends_the_recorded_json_body(tmp_path: Path, server: LocalServer) -> None:
    original = _original(tmp_path, server.url("/ok"), method="POST", json={"text": "héllo"})
    result = _run(tmp_path, original)
    assert result.request is not None and result.request.needs_typed_confirmation
    seen = server.requests[0]
    assert seen.method == "POST"
    assert json.loads(seen.body) == {"text": "héllo"}
    assert seen.headers["Content-Type"] == "application/json"


def test_dry_run_sends_and_writes_nothing(tmp_path: Path, server: LocalServer) -> None:
    original = _original(tmp_path, server.url("/ok"))
    before = sorted(p.name for p in tmp_path.rglob("*"))
    policy = policy_for("127.0.0.1")
    result = reexecute(original, root=tmp_path, policy=policy, dry_run=True)
    assert result.status == "dry_run" and not result.sent
    assert result.request is not None and "GET" in result.request.describe()
    assert server.requests == []
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_nothing_is_sent_without_confirmation(tmp_path: Path, server: LocalServer) -> None:
    original = _original(tmp_path, server.url("/ok"))
    shown: list[str] = []

    def decline(request: Any) -> bool:
        shown.append(request.describe())
        return False

    result = reexecute(original, root=tmp_path, policy=policy_for("127.0.0.1"), confirm=decline)
    assert result.status == "not_confirmed" and not result.sent
    assert shown and SECRET not in shown[0]
    assert server.requests == []
    assert reexecute(original, root=tmp_path, policy=policy_for("127.0.0.1")).sent is False
    assert server.requests == []


@pytest.mark.parametrize(
    ("url", "policy_kw", "reason"),
    [
        ("/ok", {"hosts": ("api.example.com",)}, "not on the allowlist"),
        ("/ok", {"env": {}}, "FORENSICS_SECRET_AUTHORIZATION is not set"),
        ("http://169.254.169.254/latest/meta-data/", {"hosts": ("*",)}, "metadata"),
        ("file:///etc/passwd", {"hosts": ("*",)}, "scheme"),
    ],
)
def test_refusals_send_nothing(
    tmp_path: Path, server: LocalServer, url: str, policy_kw: dict[str, Any], reason: str
) -> None:
    original = _original(tmp_path, server.url(url) if url.startswith("/") else url)
    hosts = policy_kw.pop("hosts", ("127.0.0.1",))
    policy = policy_for(*hosts, **policy_kw)
    result = reexecute(original, root=tmp_path, policy=policy, confirm=lambda r: True)
    assert result.status == "refused" and not result.sent
    assert result.reason is not None and reason in result.reason
    assert server.requests == []
    assert not (tmp_path / AUDIT_FILE).exists()
    assert [p.name for p in tmp_path.iterdir()] == ["20260303_090000"]
