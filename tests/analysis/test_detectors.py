"""Silent-failure detectors on single fixtures: what must be flagged, and lookalikes that must not."""

from __future__ import annotations

import json

import pytest

from forensics_tui.core.analysis.findings import FINDING_KINDS, SEVERITY, detect_call
from forensics_tui.core.storage.factories import make_fixture


def _kinds(status: str, output: object, error: dict | None = None) -> set[str]:
    fixture = make_fixture("tool", status=status, output=output, error=error)
    return {f.kind for f in detect_call(fixture)}


FLAGGED = [
    (
        "token expired in a 200 body",
        "ok",
        {"status_code": 200, "body": {"error": "token_expired"}},
        {"auth_expiry"},
    ),
    ("embedded 401", "ok", {"statusCode": 401, "body": "nope"}, {"auth_expiry"}),
    ("403 as a numeric string", "ok", {"http_status": "403"}, {"auth_expiry"}),
    ("invalid token message", "ok", {"message": "Invalid token supplied"}, {"auth_expiry"}),
    ("string body unauthorized", "ok", "Unauthorized", {"auth_expiry"}),
    (
        "JSON inside a string body",
        "ok",
        {"body": '{"error": {"code": "invalid_grant"}}'},
        {"auth_expiry"},
    ),
    ("plain error key", "ok", {"error": "database is down"}, {"soft_error"}),
    ("graphql errors", "ok", {"data": None, "errors": [{"message": "boom"}]}, {"soft_error"}),
    ("ok false", "ok", {"ok": False, "reason": "x"}, {"soft_error"}),
    ("success false", "ok", {"result": {"success": False}}, {"soft_error"}),
    (
        "MCP isError",
        "ok",
        {"content": [{"type": "text", "text": "bad"}], "isError": True},
        {"soft_error"},
    ),
    ("embedded 500", "ok", {"status_code": 200, "body": {"status": 500}}, {"soft_error"}),
    ("numeric code 502", "ok", {"code": 502, "data": {}}, {"soft_error"}),
    ("jsend status error", "ok", {"status": "error", "message": "nope"}, {"soft_error"}),
    (
        "error inside MCP text JSON",
        "ok",
        {"content": [{"type": "text", "text": '{"error": "quota gone"}'}]},
        {"soft_error"},
    ),
    ("429 in ok call", "ok", {"status_code": 429}, {"rate_limited"}),
    ("retry-after any case", "skipped", {"headers": {"RETRY-AFTER": "3"}}, {"rate_limited"}),
    ("rate limit wording", "ok", {"error": {"message": "Rate limit exceeded"}}, {"rate_limited"}),
    ("error status", "error", None, {"error"}),
    ("timeout status", "timeout", None, {"timeout"}),
    ("429 error", "error", {"status_code": 429}, {"rate_limited"}),  # one kind per call
]

NOT_FLAGGED = [
    ("errors empty list", {"data": {"x": 1}, "errors": []}),
    ("error null", {"error": None, "result": 1}),
    ("error empty string", {"error": ""}),
    ("error false", {"error": False}),
    ("error code zero", {"error_code": 0}),
    ("ok true", {"ok": True}),
    ("success true", {"success": True}),
    ("status ok string", {"status": "ok"}),
    ("status 200", {"status_code": 200, "body": {"id": 1}}),
    ("code out of range", {"code": 1234}),
    ("code as product string", {"code": "E404-B"}),
    ("count of 429", {"count": 429, "total": 500}),
    ("status_code bool", {"status_code": True}),
    ("error_rate metric", {"error_rate": 0.02, "errors_total": 3}),
    ("rate limit info", {"rate_limit": {"remaining": 4999, "limit": 5000}}),
    ("token expiry info", {"message": "Your token expires in 30 days"}),
    ("long data list with errors", {"items": [{"error": "x"}, {"error": "y"}, {"error": "z"}]}),
    ("log lines with 500s", {"logs": [{"status": 500}, {"status": 502}, {"status": 503}]}),
    ("job status failed deep in data", {"jobs": {"build": {"state": {"status": "failed"}}}}),
    ("word unauthorized in normal text", {"body": {"title": "Unauthorized access report"}}),
    ("error words in input only", None),
]


@pytest.mark.parametrize(
    ("name", "status", "output", "expected"), FLAGGED, ids=[r[0] for r in FLAGGED]
)
def test_flagged(name: str, status: str, output: object, expected: set[str]) -> None:
    error = {"type": "HTTPError", "message": "boom"} if status in ("error", "timeout") else None
    assert _kinds(status, output, error) == expected


@pytest.mark.parametrize(("name", "output"), NOT_FLAGGED, ids=[r[0] for r in NOT_FLAGGED])
def test_lookalikes_are_not_flagged(name: str, output: object) -> None:
    assert _kinds("ok", output) == set()


def test_evidence_quotes_the_proving_field() -> None:
    fixture = make_fixture(
        "crm_lookup", output={"status_code": 200, "body": {"error": "token_expired"}}
    )
    (finding,) = detect_call(fixture)
    assert finding.kind == "auth_expiry"
    assert 'output.body.error = "token_expired"' in finding.evidence
    assert finding.to_json() == {
        "kind": "auth_expiry",
        "run_id": fixture.run_id,
        "call_id": fixture.call_id,
        "tool": "crm_lookup",
        "severity": "high",
        "evidence": finding.evidence,
    }


def test_timeout_error_type_counts_as_timeout() -> None:
    error = {"type": "ReadTimeout", "message": "read timed out"}
    assert _kinds("error", None, error) == {"timeout"}


def test_evidence_is_sanitised() -> None:
    fixture = make_fixture(output={"error": "\x1b]0;pwned\x07 \u202eevil"})
    (finding,) = detect_call(fixture)
    assert "\x1b" not in finding.evidence and "\u202e" not in finding.evidence
    json.dumps(finding.to_json())


def test_pending_calls_have_no_findings() -> None:
    assert _kinds("pending", None) == set()


def test_every_kind_has_a_severity() -> None:
    assert set(SEVERITY) == set(FINDING_KINDS)
