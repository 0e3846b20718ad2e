"""What one fixture file says on its own: the per-file half of the analysis model.

:class:`CallFacts` is computed once per file version (classification, output shape, error
message, parent link, endpoint) and cached by :class:`~forensics_tui.core.analysis.engine.Analysis`;
payloads are dropped as soon as the facts are known, so analysis memory is bounded by facts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from forensics_tui.core.analysis.classify import Classification, classify, is_cancelled
from forensics_tui.core.analysis.findings import error_message
from forensics_tui.core.analysis.shapes import Shape, output_shape
from forensics_tui.core.model import Fixture
from forensics_tui.core.sanitize import safe_line

__all__ = ["CallFacts", "endpoint_of", "facts_of"]


@dataclass(slots=True, frozen=True)
class CallFacts:
    """What one fixture file says on its own (cached until the file changes)."""

    classification: Classification
    shape: Shape | None
    message: str | None  # the error message, for failure signatures
    parent_call: str | None = None
    endpoint: str | None = None
    cancelled: bool = False
    reexec_of: str | None = None  # call id of the original, for a re-execution's call

    @property
    def is_plain(self) -> bool:
        """A healthy call with nothing of its own (no message, parent, endpoint...): its facts
        equal those of every such call with the same classification and shape."""
        return not (
            self.classification.problem
            or self.message is not None
            or self.parent_call is not None
            or self.endpoint is not None
            or self.cancelled
            or self.reexec_of is not None
        )


def facts_of(fixture: Fixture, intern: Callable[[Shape], Shape] | None = None) -> CallFacts:
    """The facts of ``fixture``; ``intern`` maps its output shape to a shared equal one."""
    shape = output_shape(fixture.output) if fixture.status == "ok" else None
    if shape is not None and intern is not None:
        shape = intern(shape)
    meta = fixture.meta if isinstance(fixture.meta, dict) else {}
    parent = meta.get("parent_call")
    origin = meta.get("reexec_of")
    if isinstance(origin, dict):
        origin = origin.get("call_id")
    return CallFacts(
        classify(fixture),
        shape,
        error_message(fixture),
        parent if isinstance(parent, str) else None,
        endpoint_of(fixture),
        is_cancelled(fixture),
        origin if isinstance(origin, str) else None,
    )


def endpoint_of(fixture: Fixture) -> str | None:
    """``METHOD url`` (query string dropped) of an HTTP call or replay spec, else None."""
    for source in (fixture.replay, fixture.input):
        if isinstance(source, dict) and isinstance(source.get("url"), str):
            url = source["url"].split("?", 1)[0].split("#", 1)[0]
            method = source.get("method")
            text = f"{method} {url}" if isinstance(method, str) and method else url
            return safe_line(text, 200)
    return None
