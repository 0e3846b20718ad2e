"""Grade a re-execution's live answer against the original call and its last good answer.

"Sent: ok" says little.  An on-call engineer wants to know: is the endpoint still broken, and
broken the same way; did it recover; is it answering in a new shape (drift on the live side);
is it only our credential?  One grade answers that:

* ``same``: status and output shape equal, and every value outside the volatile fields equal;
* ``values only``: same status and shape, but non-volatile values differ (new data);
* ``shape changed``: fields added, removed or retyped against the reference answer;
* ``auth``: a 401/403, or an auth error inside a 200;
* ``still failing the same way`` / ``now failing differently``: the original failed and so
  does the new answer, with the same (or another) kind of failure and status code;
* ``recovered``: the original failed and the new answer is healthy.

Which fields are volatile (timestamps, request ids, nonces) is the config's ``[diff] ignore``
plus ``[volatile]`` per tool (``"*"`` for every tool) on top of a default set.  What counts as
a failure and of which kind is the core classifier's answer (``classify``), not this module's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from forensics_tui.core.analysis.classify import Classification, classify
from forensics_tui.core.analysis.shapes import compare_shapes, output_shape
from forensics_tui.core.analysis.treediff import diff_values
from forensics_tui.core.config import DEFAULT_VOLATILE_FIELDS, Config
from forensics_tui.core.model import Fixture

__all__ = [
    "AUTH",
    "GRADES",
    "NOW_DIFFERENT",
    "RECOVERED",
    "SAME",
    "SHAPE_CHANGED",
    "STILL_SAME",
    "VALUES_ONLY",
    "Grade",
    "grade",
    "volatile_fields",
]

SAME = "same"
VALUES_ONLY = "values only"
SHAPE_CHANGED = "shape changed"
AUTH = "auth"
STILL_SAME = "still failing the same way"
NOW_DIFFERENT = "now failing differently"
RECOVERED = "recovered"
GRADES: tuple[str, ...] = (
    SAME,
    VALUES_ONLY,
    SHAPE_CHANGED,
    AUTH,
    STILL_SAME,
    NOW_DIFFERENT,
    RECOVERED,
)
# Ships on top of the diff's volatile fields: values that differ on every call by design.
DEFAULT_GRADE_VOLATILE: tuple[str, ...] = (
    "nonce",
    "expires_at",
    "expires_in",
    "generated_at",
    "server_time",
    "x-amzn-requestid",
    "cf-ray",
)


@dataclass(slots=True, frozen=True)
class Grade:
    """A grade and the sentence that justifies it (fixture text inside is not sanitised)."""

    grade: str
    reason: str
    against: str  # "original" or "last good": what the shape and values were compared with

    def to_json(self) -> dict[str, Any]:
        return {"grade": self.grade, "reason": self.reason, "against": self.against}


def volatile_fields(tool: str, config: Config | None = None) -> tuple[str, ...]:
    """The volatile field names for ``tool``: defaults, ``[diff] ignore``, ``[volatile]``."""
    config = config or Config()
    fields = [*DEFAULT_VOLATILE_FIELDS, *DEFAULT_GRADE_VOLATILE, *config.diff_ignore]
    fields += config.volatile_by_tool.get("*", [])
    fields += config.volatile_by_tool.get(tool, [])
    return tuple(dict.fromkeys(fields))


def _status_code(fixture: Fixture) -> Any:
    output = fixture.output
    return output.get("status_code") if isinstance(output, dict) else None


def _failure(fixture: Fixture, found: Classification) -> str:
    code = found.http_status if found.http_status is not None else _status_code(fixture)
    where = f"HTTP {code}" if isinstance(code, int) else fixture.status
    return f"{where}, {found.describe(fixture.tool)}"


def _problem(fixture: Fixture) -> Classification | None:
    """The core classifier's answer for ``fixture`` when it shows a problem, else None."""
    found = classify(fixture)
    return found if found.problem else None


def _paths(changes: Iterable[Any], limit: int = 3) -> str:
    names = list(dict.fromkeys(c.path or "(whole value)" for c in changes))
    more = len(names) - limit
    return ", ".join(names[:limit]) + (f" and {more} more" if more > 0 else "")


def grade(
    original: Fixture,
    new: Fixture,
    last_good: Fixture | None = None,
    *,
    volatile: Iterable[str] | None = None,
) -> Grade:
    """The grade of ``new`` (the live answer) against ``original`` and ``last_good``."""
    ignore = tuple(volatile) if volatile is not None else volatile_fields(new.tool)
    was, now = _problem(original), _problem(new)
    if now is not None and now.kind == "auth":
        again = " again" if was is not None and was.kind == "auth" else ""
        return Grade(AUTH, f"the credential was rejected{again}: {_failure(new, now)}", "original")
    if was is not None:
        if now is None:
            note = ""
            if last_good is not None:
                drift = compare_shapes(output_shape(last_good.output), output_shape(new.output))
                if drift:
                    note = (
                        f"; the output shape differs from the last good answer: {drift.describe(3)}"
                    )
            return Grade(
                RECOVERED, f"was {_failure(original, was)}; now {new.status}{note}", "last good"
            )
        same_kind = now.kind == was.kind and new.status == original.status
        if same_kind and now.http_status == was.http_status:
            return Grade(STILL_SAME, f"again {_failure(new, now)}", "original")
        return Grade(
            NOW_DIFFERENT,
            f"was {_failure(original, was)}; now {_failure(new, now)}",
            "original",
        )
    if now is not None:
        return Grade(NOW_DIFFERENT, f"was {original.status}; now {_failure(new, now)}", "original")
    drift = compare_shapes(output_shape(original.output), output_shape(new.output))
    if drift:
        return Grade(
            SHAPE_CHANGED, f"the live answer's shape changed: {drift.describe(4)}", "original"
        )
    changes = diff_values(original.output, new.output, ignore=ignore).changes
    if changes:
        return Grade(VALUES_ONLY, f"same shape; values changed at {_paths(changes)}", "original")
    noisy = diff_values(original.output, new.output).changes
    if noisy:
        return Grade(SAME, f"only volatile fields differ ({_paths(noisy)})", "original")
    return Grade(SAME, "the live answer equals the original", "original")


def _load(store: Any, call_id: str | None) -> Fixture | None:
    call = store.call(call_id) if store is not None and call_id else None
    loaded = store.load(call) if call is not None else None
    return loaded if isinstance(loaded, Fixture) else None


def grade_result(
    result: Any,
    *,
    store: Any = None,
    analysis: Any = None,
    root: Any = None,
    config: Config | None = None,
) -> Grade | None:
    """The grade of a sent ``ReexecResult`` (None when nothing was recorded).

    The last good answer is the one its ``diff_last_good`` was computed against, looked up in
    the already scanned ``store`` (or ``analysis.store``, else a scan of ``root``); the volatile fields are the config's
    for the tool (the user's config file when ``config`` is None).
    """
    new = getattr(result, "new_fixture", None)
    if not isinstance(new, Fixture):
        return None
    if config is None:
        from forensics_tui.core.config import ConfigError, load_config

        try:
            config = load_config()
        except ConfigError:
            config = Config()
    if analysis is not None:
        store = analysis.store
    base_id = getattr(result.diff_last_good, "baseline_call_id", None)
    try:
        if store is None and base_id and root is not None:  # re-executed by path
            from forensics_tui.core.reexec.flow import scanned_store

            store = scanned_store(root)
        good = _load(store, base_id)
    except Exception:  # the store reads untrusted files: a problem only loses the note
        good = None
    return grade(result.original, new, good, volatile=volatile_fields(new.tool, config))


def run_reexec_grades(analysis: Any, run_id: str) -> list[dict[str, Any]]:
    """Every re-execution of a call of ``run_id`` found in the store, graded, oldest first
    (the post-mortem's "Re-executions" section)."""
    out: list[dict[str, Any]] = []
    store = analysis.store
    for run in store.runs():
        if not run.is_reexec or run.labels.get("reexec_of_run") != run_id:
            continue
        for call in run.calls:
            new = _load(store, call.call_id)
            original_id = (new.meta.get("reexec_of") or {}).get("call_id") if new else None
            original = _load(store, original_id if isinstance(original_id, str) else None)
            if new is None or original is None:
                continue
            base = analysis.last_good_call(store.call(original.call_id))
            good = _load(store, base.call_id if base is not None else None)
            verdict = grade(
                original, new, good, volatile=volatile_fields(new.tool, analysis.config)
            )
            out.append(
                {
                    "run_id": run.run_id,
                    "call_id": new.call_id,
                    "original_call_id": original.call_id,
                    "tool": new.tool,
                    "status": new.status,
                    "ts": new.ts,
                    **verdict.to_json(),
                }
            )
    return out


def reexec_markdown(items: list[dict[str, Any]], md_code: Any) -> list[str]:
    """The post-mortem's "Re-executions" section (empty when the run has none)."""
    if not items:
        return []
    out = ["## Re-executions", ""]
    for item in items:
        out.append(
            f"- {md_code(item['tool'], 80)} ({md_code(item['original_call_id'], 120)}) at "
            f"{md_code(item['ts'] or '?', 40)}: **{item['grade']}**: "
            f"{md_code(item['reason'], 400)}"
        )
    return [*out, ""]
