"""Per-file facts computed by worker processes ahead of the analysis (a first pass over a big
root).

What one fixture says on its own (:class:`~forensics_tui.core.analysis.facts.CallFacts`)
does not depend on any other file, and reading and classifying every file is most of a first
pass: so a pool of processes computes the facts of the runs the analysis will read next while
this process scans and analyses the ones before (docs/ARCHITECTURE.md, "Analysis at scale").
The workers read through the same safe loader as the store; a file they cannot answer for
(a fleet stub whose body is elsewhere, a broken or pending file, one that changed between the
worker's read and the scan) is simply left to :meth:`Analysis.facts`, which reads it as
always.  Facts travel back by run, each distinct object once (pickle keeps shared objects
shared), and are interned on arrival like facts computed here.

Only where ``fork`` exists (the workers start with this process's imports, in milliseconds);
elsewhere, or with ``FORENSICS_ANALYSIS_WORKERS=0``, the analysis reads every file itself.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from forensics_tui.core.analysis.facts import CallFacts, SharedFacts
from forensics_tui.core.model import Fixture
from forensics_tui.core.storage.bodies import stub_ref
from forensics_tui.core.storage.loader import load_fixture_version
from forensics_tui.core.storage.scan import list_run

__all__ = ["FactsPool", "open_whole", "worker_count"]

log = logging.getLogger(__name__)

MIN_CALLS = 20_000
"""Below this many files a pool costs more than it saves."""

Answer = list[tuple[str, int, int, CallFacts]]  # file name, size, mtime_ns, facts
Pending = list[tuple[str, "Future[Answer]"]]  # run id, the worker's answer to come


def worker_count() -> int:
    """Workers for a first pass: ``$FORENSICS_ANALYSIS_WORKERS``, else one per CPU."""
    raw = os.environ.get("FORENSICS_ANALYSIS_WORKERS", "").strip()
    if raw:
        try:
            return max(0, min(int(raw), 32))
        except ValueError:
            log.warning("FORENSICS_ANALYSIS_WORKERS=%r is not a number: using the default", raw)
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return cpus if cpus > 1 else 0


def _run_facts(root: str, run_dir: str, run_id: str) -> Answer:
    """In a worker: the facts of every readable fixture of one run directory."""
    names, problem = list_run(Path(run_dir))
    if problem is not None:
        return []
    shared = SharedFacts()  # shared objects cross the pipe once per run (pickle keeps them so)
    base = Path(run_dir)
    root_path = Path(root)
    out: Answer = []
    for name in names:
        fixture, size, mtime_ns = load_fixture_version(base / name, root=root_path, run_id=run_id)
        if not isinstance(fixture, Fixture) or stub_ref(fixture.raw) is not None:
            continue
        if fixture.status == "pending":
            continue
        out.append((name, size, mtime_ns, shared.of(fixture)))
    return out


class FactsPool:
    """Worker processes computing facts for runs ahead of the analysis."""

    def __init__(self, root: Path, workers: int) -> None:
        self.root = str(root)
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))

    @classmethod
    def start(cls, root: Path, calls: int) -> FactsPool | None:
        """A pool for a pass over ``calls`` files, or None when it would not pay off."""
        workers = worker_count()
        if workers < 1 or calls < MIN_CALLS:
            return None
        if "fork" not in multiprocessing.get_all_start_methods():
            return None
        try:
            return cls(root, workers)
        except (OSError, ValueError) as exc:  # no processes to be had: read in this one
            log.warning("analysis workers unavailable (%s): reading in one process", exc)
            return None

    def submit(self, runs: Iterable[tuple[str, Path]]) -> Pending:
        """Start on ``(run_id, run directory)`` pairs."""
        return [
            (rid, self._pool.submit(_run_facts, self.root, str(path), rid)) for rid, path in runs
        ]

    @staticmethod
    def attach(pending: Pending, store: Any, analysis: Any) -> int:
        """Give the store's calls the facts the workers found; returns how many were used."""
        used = 0
        for run_id, future in pending:
            try:
                answer = future.result()
            except Exception as exc:  # a worker died: those files are read here instead
                log.warning("analysis worker failed (%s): reading its run here", exc)
                continue
            run = store.run(run_id)
            if not answer or run is None:
                continue
            calls = {c.name: c for c in run.calls}
            adopted: dict[int, CallFacts] = {}  # by the identity of what came over the pipe
            for name, size, mtime_ns, facts in answer:
                call = calls.get(name)
                if call is None or call.size != size or call.mtime_ns != mtime_ns:
                    continue  # gone or changed since the worker read it: read again here
                mine = adopted.get(id(facts))
                if mine is None:
                    mine = adopted[id(facts)] = analysis.adopt(facts)
                analysis.remember(call, mine)
                used += 1
        return used

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def open_whole(root: Path, config: Any) -> Any:
    """A scanned store of ``root`` and its :class:`Analysis`, the workers (when a pool pays
    off) reading every run's facts while this process scans: a whole-root question (``runs``,
    ``patterns``, or a ``check`` the checkpoints cannot answer) then reads each file once
    here instead of twice."""
    from forensics_tui.core.analysis.engine import Analysis
    from forensics_tui.core.storage.scan import plan_root
    from forensics_tui.core.storage.store import FixtureStore

    store = FixtureStore(root)
    plans = plan_root(Path(root), names=False)
    runs = [(p.run_id, p.path) for p in plans if p.listable]
    pool = FactsPool.start(Path(root), _estimate(runs))
    try:
        pending = pool.submit(runs) if pool is not None else []
        store.scan()
        analysis = Analysis(store, config)
        if pool is not None:
            FactsPool.attach(pending, store, analysis)
    finally:
        if pool is not None:
            pool.close()
    return store, analysis


def _estimate(runs: list[tuple[str, Path]]) -> int:
    """Files in the first runs, scaled to all of them: enough to decide on a pool."""
    sample = runs[:20]
    if not sample:
        return 0
    total = 0
    for _, path in sample:
        names, _problem = list_run(path)
        total += len(names)
    return total * len(runs) // len(sample)
