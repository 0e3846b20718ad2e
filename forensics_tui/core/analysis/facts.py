"""What one fixture file says on its own: the per-file half of the analysis model.

:class:`CallFacts` is computed once per file version (classification, output shape, error
message, parent link, endpoint) and cached by :class:`~forensics_tui.core.analysis.engine.Analysis`;
payloads are dropped as soon as the facts are known, so analysis memory is bounded by facts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from forensics_tui.core.analysis.classify import Classification, classify, is_cancelled
from forensics_tui.core.analysis.findings import error_message
from forensics_tui.core.analysis.shapes import Shape, output_shape
from forensics_tui.core.model import Fixture
from forensics_tui.core.sanitize import safe_line

__all__ = ["CallFacts", "SharedFacts", "endpoint_of", "facts_of"]


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


class SharedFacts:
    """Equal values as one object: one per distinct output shape, and one ``CallFacts`` for
    every plain call with the same classification and shape (the values are immutable; a big
    root is mostly such calls).  Used by the analysis and by each analysis worker."""

    def __init__(self) -> None:
        self._shapes: dict[frozenset[tuple[str, frozenset[str]]], Shape] = {}
        self._plain: dict[tuple[Classification, int | None], CallFacts] = {}

    def __len__(self) -> int:
        return len(self._shapes)

    def shape(self, shape: Shape) -> Shape:
        return self._shapes.setdefault(frozenset(shape.items()), shape)

    def of(self, fixture: Fixture) -> CallFacts:
        """The facts of ``fixture`` (:func:`facts_of`) as shared values."""
        return self._plain_one(facts_of(fixture, self.shape))

    def facts(self, facts: CallFacts) -> CallFacts:
        """``facts`` made elsewhere (another process) as shared values."""
        if facts.shape is not None:
            shape = self.shape(facts.shape)
            if shape is not facts.shape:
                facts = replace(facts, shape=shape)
        return self._plain_one(facts)

    def _plain_one(self, facts: CallFacts) -> CallFacts:
        """One object for plain facts whose shape is already shared."""
        if not facts.is_plain:
            return facts
        key = (facts.classification, None if facts.shape is None else id(facts.shape))
        return self._plain.setdefault(key, facts)

    def keep_only(self, used: set[int]) -> None:
        """Forget the shapes whose identity is not in ``used`` (and the plain facts, which
        are keyed by shape identity: a forgotten shape's id is free for reuse)."""
        self._shapes = {k: v for k, v in self._shapes.items() if id(v) in used}
        self._plain.clear()


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
