"""Failures become regression tests and evaluation data.

:func:`export_test` writes a pytest module that replays one recorded call through the user's
tool function, with the fixture copied (redacted again) beside it and volatile fields ignored.
A good call must replay its output.  A failing call with a known-good answer for the same step and
input (another run's, or one an operator accepted) must now produce that answer; a failing call
without one is ``xfail`` with the verdict, and turns into a strict XPASS failure the day the
tool is fixed, the cue to accept a good answer and export again.  :func:`dataset_lines` writes
one JSON line per call (input, output, status, classification, findings) for evaluation tools.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forensics_tui.core.analysis.compare import call_kind
from forensics_tui.core.analysis.engine import Analysis, AnalysisError
from forensics_tui.core.analysis.treediff import diff_values
from forensics_tui.core.config import DEFAULT_VOLATILE_FIELDS
from forensics_tui.core.model import Call, Fixture
from forensics_tui.core.reexec.grade import volatile_fields
from forensics_tui.core.sanitize import safe_line

__all__ = ["ExportError", "TestExport", "dataset_lines", "export_test", "plan_test"]

_TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class ExportError(Exception):
    """The call cannot be exported as asked; the message says why."""


@dataclass(slots=True)
class TestExport:
    """What will be written: the module text and the fixture beside it."""

    __test__ = False  # not a pytest class, whatever its name says

    module_path: Path
    fixture_path: Path
    module: str
    fixture: dict[str, Any]
    mode: str  # "replays", "fixed" (a good answer is expected) or "xfail"
    reason: str


def _redacted(value: Any) -> Any:
    from forensics_tui.capture.redact import redactor_from_env
    from forensics_tui.capture.serialize import prepare

    return prepare(value, redactor_from_env())[0]


def _slug(text: str) -> str:
    return re.sub(r"\W+", "_", text).strip("_").lower()[:60] or "tool"


def _good_answer(analysis: Analysis, call: Call, fixture: Fixture) -> Fixture | None:
    """The newest known-good answer of the same step (tool and occurrence) in any run, given
    to the same input (volatile fields aside): what the fixed tool should answer."""
    goods = [
        good.call
        for ra in analysis.runs()
        for good in ra.good_calls
        if (good.call.tool, good.call.occurrence) == (call.tool, call.occurrence)
    ]
    ignore = volatile_fields(call.tool, analysis.config)
    for candidate in reversed(goods):
        loaded = analysis.store.load(candidate)
        same = (
            isinstance(loaded, Fixture)
            and not diff_values(loaded.input, fixture.input, ignore=ignore).changes
        )
        if same:
            return loaded  # type: ignore[return-value]
    return None


def _verdict(analysis: Analysis, call: Call, fixture: Fixture) -> str:
    try:
        return analysis.diff(call).verdict
    except AnalysisError:
        pass
    found = analysis.call_findings(call)
    if found:
        return f"{found[0].kind}: {found[0].evidence}"
    error = fixture.error or {}
    return safe_line(f"{call.status}: {error.get('message') or 'no good answer recorded'}", 300)


def plan_test(analysis: Analysis, call: Call, out: Path, function: str | None) -> TestExport:
    """The test module and fixture for ``call`` (nothing written yet)."""
    loaded = analysis.store.load(call)
    if not isinstance(loaded, Fixture):
        raise ExportError(f"cannot read the fixture of {call.call_id}: {loaded}")
    target = function
    if target is None and isinstance(loaded.replay, dict) and loaded.replay.get("kind") == "python":
        target = loaded.replay.get("target")
    if target is not None and not (isinstance(target, str) and _TARGET.match(target)):
        raise ExportError(f"--function must be module.path:function, not {target!r}")
    data = loaded.to_dict()
    kind = call_kind(analysis, call)
    mode, reason = "replays", ""
    if kind != "ok":
        good_fixture = _good_answer(analysis, call, loaded)
        if good_fixture is not None:
            mode = "fixed"
            reason = f"the good answer of run {good_fixture.run_id} is expected"
            data.update(status="ok", output=good_fixture.output, error=None)
            data["meta"] = {**data.get("meta", {}), "expected_from": good_fixture.call_id}
        else:
            mode, reason = "xfail", _verdict(analysis, call, loaded)
    from forensics_tui.capture.redact import redactor_from_env
    from forensics_tui.capture.serialize import prepare

    payloads = {k: data[k] for k in ("input", "output", "error", "replay", "meta")}
    clean, paths = prepare(payloads, redactor_from_env())
    data.update(clean)
    data["redacted"] = sorted({*data.get("redacted", []), *paths})
    fixture_path = out.with_name(f"{out.stem}_fixture.json")
    extra = [
        f for f in volatile_fields(call.tool, analysis.config) if f not in DEFAULT_VOLATILE_FIELDS
    ]
    module = _module(loaded, target, fixture_path.name, mode, reason, extra)
    return TestExport(out, fixture_path, module, data, mode, reason)


_INERT = re.compile(r"[^A-Za-z0-9_.:@ +-]")


def _inert(text: str, limit: int) -> str:
    """Fixture text made safe inside a generated docstring: no quote, backslash or newline
    can end it (the module is code the user runs)."""
    return _INERT.sub("_", safe_line(text, limit))


def _module(
    fixture: Fixture,
    target: str | None,
    fixture_name: str,
    mode: str,
    reason: str,
    ignore: list[str],
) -> str:
    tool = _inert(fixture.tool, 80)
    lines = [
        f'"""Regression test exported by forensics-tui from call {_inert(fixture.call_id, 120)}',
        f"({tool} #{fixture.seq} of run {_inert(fixture.run_id, 80)}).",
        "",
        {
            "replays": "The tool must answer the recorded input with the recorded output.",
            "fixed": "The call failed; the tool must now give the known-good answer.",
            "xfail": "The call failed and no good answer is known yet: expected to fail until\n"
            "the tool is fixed (then accept a good run and export again).",
        }[mode],
        '"""',
        "",
        "from pathlib import Path",
        "",
        "import pytest",
        "",
        "from forensics_tui.testing import assert_healthy, assert_replays, load_fixture_file",
        "",
    ]
    if target is not None:
        module, attr = target.split(":")
        lines.append(f"from {module} import {attr} as tool_function")
    else:
        lines += [
            "# forensics-tui could not tell which function implements this tool: import it here",
            "# (or export again with --function module.path:function).",
            "tool_function = None",
        ]
    lines += [
        "",
        f"FIXTURE = Path(__file__).with_name({fixture_name!r})",
        f"IGNORE = {tuple(ignore)!r}  # volatile fields, besides the default set",
        "",
        "",
    ]
    name = f"test_{_slug(fixture.tool)}_{fixture.seq}"
    if mode == "xfail":
        lines.append(f"@pytest.mark.xfail(strict=True, reason={reason!r})")
    lines.append(f"def {name}() -> None:")
    if target is None:
        lines += [
            "    if tool_function is None:",
            "        pytest.skip('set tool_function to the function implementing this tool')",
        ]
    check = (
        "assert_healthy(fixture, tool_function)"
        if mode == "xfail"
        else ("assert_replays(fixture, tool_function, ignore=IGNORE)")
    )
    lines += ["    fixture = load_fixture_file(FIXTURE)", f"    {check}", ""]
    return "\n".join(lines)


def export_test(
    analysis: Analysis, call: Call, out: Path, *, function: str | None = None, force: bool = False
) -> TestExport:
    """Write the test module ``out`` and its fixture beside it; refuses to overwrite unless
    ``force``."""
    plan = plan_test(analysis, call, out, function)
    for path in (plan.module_path, plan.fixture_path):
        if path.exists() and not force:
            raise ExportError(f"{path} exists (use --force to overwrite)")
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(plan.fixture, ensure_ascii=False, indent=2, default=repr)
    plan.fixture_path.write_text(text + "\n", encoding="utf-8")
    plan.module_path.write_text(plan.module, encoding="utf-8")
    return plan


def dataset_lines(analysis: Analysis, run_ids: Iterable[str] = ()) -> Iterator[str]:
    """One JSON line per call of ``run_ids`` (default: every agent run), oldest first."""
    wanted = list(run_ids)
    runs = [ra for ra in analysis.runs() if not ra.run.is_reexec or ra.run_id in wanted]
    if wanted:
        by_id = {ra.run_id: ra for ra in runs}
        missing = [r for r in wanted if r not in by_id]
        if missing:
            raise ExportError(f"unknown run(s): {', '.join(safe_line(m, 80) for m in missing)}")
        runs = [by_id[r] for r in wanted]
    for ra in runs:
        for call in ra.run.calls:
            if call.deleted:
                continue
            loaded = analysis.store.load(call) if call.status != "broken" else None
            fixture = loaded if isinstance(loaded, Fixture) else None
            line = {
                "run_id": call.run_id,
                "call_id": call.call_id,
                "seq": call.seq,
                "tool": call.tool,
                "input": fixture.input if fixture else None,
                "output": fixture.output if fixture else None,
                "error": fixture.error if fixture else {"message": call.problem or str(loaded)},
                "status": call.status,
                "classification": call_kind(analysis, call),
                "findings": [f.to_json() for f in ra.by_call.get(call.call_id, [])],
                "labels": ra.run.labels,
            }
            # ASCII: no control or bidi character reaches a terminal, and it is still JSON.
            yield json.dumps(_redacted(line), ensure_ascii=True, default=repr)
