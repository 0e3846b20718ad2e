"""Post-mortem of one run: evidence-led, as JSON for machines and Markdown for a GitHub issue.

The JSON is the source of truth (``build_postmortem``); the Markdown is rendered from it.  Every
string that came from a fixture is sanitised and placed in a code span or a fenced block whose
fence is longer than any backtick run inside, so hostile content cannot inject markup, HTML,
mentions or terminal escapes into the report.
"""

from __future__ import annotations

import json
import re
from typing import Any

from forensics_tui.core.analysis.engine import Analysis, AnalysisError
from forensics_tui.core.analysis.findings import format_error
from forensics_tui.core.analysis.history import onset_markdown, postmortem_onset
from forensics_tui.core.analysis.patterns import signature
from forensics_tui.core.analysis.treediff import clip
from forensics_tui.core.model import Fixture, status_icon
from forensics_tui.core.reexec.grade import reexec_markdown, run_reexec_grades
from forensics_tui.core.sanitize import safe_line, safe_text

__all__ = ["build_postmortem", "md_block", "md_code", "postmortem_markdown"]

_BLOCK_LIMIT = 20_000
_TICKS = re.compile(r"`+")


def build_postmortem(analysis: Analysis, run_id: str) -> dict[str, Any]:
    """The post-mortem JSON for ``run_id`` (raises ``AnalysisError`` for an unknown run).

    Everything comes from the analysis model: the outcome, the first failure (the first
    cause), the causes, each call's classification and the baseline with its reason.
    """
    ra = analysis.run_analysis(run_id)
    calls = [c for c in ra.run.calls if not c.deleted]
    chain = []
    for c in calls:
        cv = ra.verdicts[c.call_id]
        chain.append(
            {
                "seq": c.seq,
                "tool": c.tool,
                "status": c.status,
                "call_id": c.call_id,
                "kind": cv.kind,
                "findings": [f.kind for f in cv.findings],
            }
        )
    cause = ra.first_failure
    first = next((c for c in calls if cause and c.call_id == cause.call_id), None)
    first_failure: dict[str, Any] | None = None
    diff: dict[str, Any] | None = None
    recurring: dict[str, Any] | None = None
    root_cause: str | None = None
    if first is not None and cause is not None:
        cv = ra.verdicts[first.call_id]
        loaded = analysis.store.load(first) if first.status != "broken" else None
        fixture = loaded if isinstance(loaded, Fixture) else None
        error: Any = fixture.error if fixture else {"type": "broken", "message": first.problem}
        if fixture is None and loaded is not None:
            error = {"type": "unreadable", "message": str(loaded)}
        first_failure = {
            "call_id": first.call_id,
            "seq": first.seq,
            "tool": first.tool,
            "status": first.status,
            "kind": cause.kind,
            "classification": cv.classification.to_json(),
            "endpoint": cause.endpoint,
            "children": list(cause.children),
            "baseline": cv.baseline.to_json() if cv.baseline else None,
            "input": clip(fixture.input) if fixture else None,
            "output": clip(fixture.output) if fixture else None,
            "error": clip(error),
            "findings": [f.to_json() for f in cv.findings],
        }
        try:
            diff = analysis.diff(first).to_json()
        except AnalysisError:
            diff = None
        subject = f"{first.tool} #{first.seq}"
        if cause.endpoint:
            subject += f" ({cause.endpoint})"
        detail = diff["verdict"] if diff else f"{cause.kind}: {cause.evidence}"
        root_cause = f"{subject}: {detail}"
        wanted = signature(cause.tool, cause.kind)
        for pattern in analysis.patterns(until=ra.run_id):  # recurring as of this run
            if pattern.promoted and pattern.signature == wanted and pattern.last_seen == ra.run_id:
                recurring = pattern.to_json()
                break
    elif cause is not None:  # only missing steps
        root_cause = f"{cause.tool}: {cause.evidence}"
    return {
        "run_id": ra.run_id,
        "kind": ra.kind,
        "outcome": analysis.outcome(ra.run_id),
        "chain": chain,
        "first_failure": first_failure,
        "root_cause": root_cause,
        "causes": [c.to_json() for c in ra.causes],
        "diff": diff,
        "findings": [f.to_json() for f in ra.findings],
        "recurring": recurring,
        "onset": postmortem_onset(analysis, run_id, first.tool if first else None),
        "reexecutions": run_reexec_grades(analysis, run_id),
    }


def md_code(value: Any, limit: int = 300, *, table: bool = False) -> str:
    """Untrusted text as an inline code span (sanitised; ``|`` escaped inside tables)."""
    text = safe_line(value, limit)
    if table:
        text = text.replace("|", "\\|")
    longest = max((len(m) for m in _TICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_block(text: str, lang: str = "") -> str:
    """Untrusted text as a fenced code block whose fence cannot be closed from inside."""
    body = safe_text(text, keep_newlines=True)
    if len(body) > _BLOCK_LIMIT:
        body = body[:_BLOCK_LIMIT] + f"\n… (truncated, {len(text):,} characters in all)"
    longest = max((len(m) for m in _TICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{body}\n{fence}"


def _json_text(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, indent=2, default=repr)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def _finding_line(f: dict[str, Any]) -> str:
    where = f"{md_code(f['tool'], 80)}" + (
        f" ({md_code(f['call_id'], 80)})" if f["call_id"] else ""
    )
    return f"- **{f['kind']}** ({f['severity']}) on {where}: {md_code(f['evidence'], 400)}"


def postmortem_markdown(pm: dict[str, Any]) -> str:
    """Markdown for a GitHub issue, rendered from ``build_postmortem``'s JSON."""
    out = [f"# Post-mortem: run {md_code(pm['run_id'], 120)}", ""]
    first = pm["first_failure"]
    summary = f"**Outcome:** {md_code(pm['outcome'])} · **Findings:** {len(pm['findings'])}"
    if pm.get("kind") == "reexec":
        summary += " · ↻ re-execution"
    if first:
        summary += f" · **First failure:** #{first['seq']} {md_code(first['tool'], 80)}"
    out += [summary, ""]
    if pm.get("root_cause"):
        out += [f"**Root cause:** {md_code(pm['root_cause'], 600)}", ""]
    out += ["## Tool-call chain", "", "| # |  | Tool | Status | Kind | Findings |"]
    out.append("|---:|:-:|---|---|---|---|")
    for step in pm["chain"]:
        kinds = ", ".join(step["findings"])
        out.append(
            f"| {step['seq']} | {status_icon(step['status'])} | "
            f"{md_code(step['tool'], 80, table=True)} | {step['status']} | {step['kind']} | "
            f"{kinds} |"
        )
    out.append("")
    if first is None:
        out += ["## First failure", "", "No failing call and no finding in this run.", ""]
    else:
        out += [
            f"## First failure: #{first['seq']} {md_code(first['tool'], 80)}",
            "",
            f"- **Status:** {md_code(first['status'])} · **Kind:** {md_code(first['kind'])}",
            f"- **Call id:** {md_code(first['call_id'], 120)}",
        ]
        if first.get("endpoint"):
            out.append(f"- **Endpoint:** {md_code(first['endpoint'], 200)}")
        if first.get("children"):
            out.append(f"- **Same cause in child calls:** {len(first['children'])}")
        message = format_error(first["error"])
        if message:
            out.append(f"- **Error:** {md_code(message, 400)}")
        out += ["", "### Input", "", md_block(_json_text(first["input"]), "json"), ""]
        out += ["### Output", "", md_block(_json_text(first["output"]), "json"), ""]
    diff = pm["diff"]
    if diff is not None:
        out += [f"## Diff against last known-good run {md_code(diff['baseline_run'], 120)}", ""]
        if diff.get("baseline_reason"):
            out += [f"Why this baseline: {md_code(diff['baseline_reason'], 300)}", ""]
        out += [md_block(_diff_text(diff), "diff"), ""]
    elif first is not None:
        out += ["## Diff", "", "No earlier known-good run to compare with.", ""]
    out += ["## Findings", ""]
    out += [_finding_line(f) for f in pm["findings"]] or ["None."]
    out.append("")
    out += onset_markdown(pm.get("onset"), md_code)
    out += reexec_markdown(pm.get("reexecutions") or [], md_code)
    rec = pm["recurring"]
    out += ["## Recurring failure", ""]
    if rec is None:
        out.append("Not a promoted recurring failure.")
    else:
        fixed = (
            f"fixed since run {md_code(rec['fixed_since'])}"
            if rec["fixed_since"]
            else "not fixed since"
        )
        out.append(
            f"Promoted signature {md_code(rec['signature'], 300)}: seen in {rec['run_count']} "
            f"runs, first {md_code(rec['first_seen'])}, last {md_code(rec['last_seen'])}; {fixed}."
        )
    return "\n".join(out) + "\n"


def _diff_text(diff: dict[str, Any]) -> str:
    from forensics_tui.core.analysis.diff import CallDiff
    from forensics_tui.core.analysis.treediff import Change

    call_diff = CallDiff(
        run=diff["run"],
        baseline_run=diff["baseline_run"],
        tool=diff["tool"],
        index=diff["index"],
        status_old=diff["status"]["old"],
        status_new=diff["status"]["new"],
        changes=[Change(**c) for c in diff["changes"]],
        input_changes=[Change(**c) for c in diff["input_changes"]],
        verdict=diff["verdict"],
    )
    return call_diff.text()
