"""Post-mortem Markdown: readable, and safe with hostile fixture strings."""

from __future__ import annotations

import re
from pathlib import Path

from forensics_tui.core.analysis.postmortem import (
    build_postmortem,
    md_block,
    md_code,
    postmortem_markdown,
)
from forensics_tui.core.storage.factories import make_run_dir

from .conftest import open_analysis

HOSTILE = "x``` `y` </details><img src=x onerror=alert(1)> @everyone | \x1b[2J\x1b]0;t\x07\u202e"


def test_md_code_and_block_cannot_be_escaped() -> None:
    span = md_code("a ``` b `c`", table=True)
    assert span.startswith("````") and span.endswith("````")
    block = md_block("```\nnot closed\n````")
    fence = block.splitlines()[0]
    assert fence == "`````" and block.endswith("\n`````")
    assert "|" not in md_code("a|b", table=True).replace("\\|", "")


def test_hostile_strings_are_fenced_and_sanitised(tmp_path: Path) -> None:
    make_run_dir(tmp_path, "20260101_000000", [{"tool": "t", "output": {"v": 1}}])
    make_run_dir(
        tmp_path,
        "20260102_000000",
        [
            {
                "tool": "t",
                "input": {"q": HOSTILE},
                "output": {"error": HOSTILE},
                "status": "error",
                "error": {"type": "E", "message": HOSTILE},
            }
        ],
    )
    analysis = open_analysis(tmp_path)
    report = build_postmortem(analysis, "20260102_000000")
    markdown = postmortem_markdown(report)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202e]", markdown)
    for line in markdown.splitlines():
        # the raw HTML never appears outside a code span or block
        if "<img" in line and not line.startswith(("  ", "{", "}", "-", "+")):
            assert "`" in line
    fences = [line for line in markdown.splitlines() if line.startswith("```")]
    assert len(fences) % 2 == 0
    assert report["first_failure"]["input"] == {"q": HOSTILE}  # JSON keeps exact data


def test_clean_run_has_no_first_failure(tmp_path: Path) -> None:
    make_run_dir(tmp_path, "20260101_000000", [{"tool": "t", "output": {"v": 1}}])
    report = build_postmortem(open_analysis(tmp_path), "20260101_000000")
    assert report["outcome"] == "ok" and report["first_failure"] is None
    assert report["diff"] is None and report["recurring"] is None
    assert "No failing call" in postmortem_markdown(report)


def test_silent_failure_outcome(v1: Path) -> None:
    report = build_postmortem(open_analysis(v1), "20260305_090000")
    assert report["outcome"] == "silent_failure"
    assert report["first_failure"]["seq"] == 3
    assert {f["kind"] for f in report["first_failure"]["findings"]} == {
        "partial_step",
        "rate_limited",
    }
