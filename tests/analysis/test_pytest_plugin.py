"""The pytest plugin and forensics_tui.testing, run for real with pytester."""

from __future__ import annotations

import os
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from forensics_tui.core.storage.factories import make_fixture
from forensics_tui.testing import assert_replays, fixture_params

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[2]


def _plugin_args() -> list[str]:
    """Load the plugin by module when its entry point is not installed yet."""
    names = {e.value for e in entry_points(group="pytest11")}
    return [] if "forensics_tui.pytest_plugin" in names else ["-p", "forensics_tui.pytest_plugin"]


@pytest.fixture(autouse=True)
def _importable(monkeypatch: pytest.MonkeyPatch) -> None:
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(REPO), path) if p))
    monkeypatch.delenv("FORENSICS_FIXTURE_DIR", raising=False)


TEST_MODULE = """
import pytest
from forensics_tui.testing import assert_replays, fixture_params


def crm_lookup(customer):
    return {"status_code": 200, "body": {"customer": customer, "tier": "gold",
                                         "open_tickets": 2}}


@pytest.mark.parametrize("fixture", fixture_params(tool="crm_lookup", status="ok"))
def test_replays(fixture):
    assert_replays(fixture, crm_lookup)
"""


def test_plugin_runs_fixture_tests(pytester: pytest.Pytester, v1: Path) -> None:
    """03 (token_expired in a 200) and 04 (schema drift) are flagged by the analysis: by
    default they are never handed over as passing cases; ``flagged="xfail"`` keeps them as
    expected failures, with the finding as the reason."""
    pytester.makepyfile(test_generated=TEST_MODULE)
    result = pytester.runpytest_subprocess("--forensics-dir", str(v1), "-v", *_plugin_args())
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*20260301_090000/000001_crm_lookup? PASSED*"])
    assert "20260303_090000/000001_crm_lookup" not in result.stdout.str()
    xfail = TEST_MODULE.replace('status="ok")', 'status="ok", flagged="xfail")')
    pytester.makepyfile(test_generated=xfail)
    result = pytester.runpytest_subprocess("--forensics-dir", str(v1), "-v", "-rx", *_plugin_args())
    result.assert_outcomes(passed=6, xfailed=2)  # 03 and 04 changed their output
    result.stdout.fnmatch_lines(["XFAIL*20260303_090000/000001_crm_lookup* - auth_expiry*"])


def test_fixture_params_filters_and_ids(v1: Path) -> None:
    # the skipped call was rate limited: flagged, so only handed over when asked
    assert fixture_params(v1, tool="tag_ticket", status="skipped") == []
    params = fixture_params(v1, tool="tag_ticket", status="skipped", flagged="include")
    assert [p.id for p in params] == ["20260305_090000/000003_tag_ticket"]
    assert params[0].values[0].status == "skipped"
    assert fixture_params(v1 / "missing") == []


def test_assert_replays_ignores_volatile_fields_and_takes_one_argument() -> None:
    fixture = make_fixture(input=[1, 2], output={"sum": 3, "ts": "then", "request_id": "a"})
    result = assert_replays(fixture, lambda xs: {"sum": sum(xs), "ts": "now", "request_id": "b"})
    assert result["sum"] == 3
    with pytest.raises(AssertionError, match=r"\+ sum: 4"):
        assert_replays(fixture, lambda xs: {"sum": 4})


def test_assert_replays_awaits_coroutines_and_extra_ignores() -> None:
    fixture = make_fixture(input={"a": 1}, output={"v": 1, "nonce": 5})

    async def tool(a: int) -> dict:
        return {"v": a, "nonce": 9}

    assert_replays(fixture, tool, ignore=("nonce",))


def test_plugin_is_registered_without_textual(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_mods="""
import sys
def test_no_textual():
    assert "textual" not in sys.modules
"""
    )
    result = pytester.runpytest_subprocess(
        *_plugin_args(), "-p", "no:textual-snapshot", "-p", "no:syrupy", "--forensics-dir", "."
    )
    result.assert_outcomes(passed=1)
