"""Walking a fixture root: which run directories and files exist, and reading them in batches.

The store indexes what this module reads.  It lists every run directory first (names only,
cheap even for 100k files), orders runs newest first so a progressive scan shows the runs an
operator cares about within its first batch, and then reads fixture files in batches of a few
thousand, in name order within a run, optionally on a small thread pool.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensics_tui.core.model import Call, Run
from forensics_tui.core.storage.loader import read_call_in, read_manifest
from forensics_tui.core.storage.ordering import run_sort_key

__all__ = [
    "RunPlan",
    "ScanProgress",
    "is_fixture_name",
    "list_plan",
    "list_run",
    "plan_root",
    "read_batches",
    "run_dir_status",
    "run_without_calls",
]


@dataclass(frozen=True, slots=True)
class ScanProgress:
    """Reported after each batch of a scan; the batch is already visible in the store."""

    done: int  # fixture files indexed so far
    total: int  # fixture files found when the scan started (listed so far: see ``listed``)
    run_ids: tuple[str, ...]  # runs that appeared or gained calls in this batch
    listed: bool = True  # False while a progressive scan reads the newest run before listing
    # the others: ``total`` then counts that run's files only


@dataclass(slots=True)
class RunPlan:
    run_id: str
    path: Path
    manifest: dict[str, Any] | None
    problem: str | None
    names: list[str] = field(default_factory=list)
    listable: bool = True  # False for a refused run directory (never listed)


def is_fixture_name(name: str) -> bool:
    """A call fixture: ``*.json``, not a dot-file (temp files), not the run manifest."""
    return name.endswith(".json") and not name.startswith(".") and name != "run.json"


def _child(parent: Path, name: str) -> Path:
    # pathlib's own fast constructor for a child of a known-good path (what iterdir() uses);
    # ~5x cheaper than ``parent / name``, which matters at 100k files.
    make = getattr(parent, "_make_child_relpath", None)
    return make(name) if make is not None else parent / name


def list_run(run_path: Path) -> tuple[list[str], str | None]:
    """Fixture names in a run directory, sorted (zero-padded ``seq`` makes that run order)."""
    try:
        names = [n for n in os.listdir(run_path) if is_fixture_name(n)]
    except OSError as exc:
        return [], f"unreadable: {exc.strerror or exc}"
    names.sort()
    return names, None


def run_dir_status(root: Path, path: str | os.PathLike[str]) -> tuple[bool, str | None]:
    """Whether ``path`` is a run directory, and why it is refused if it is not usable.

    A symlinked run directory is followed only when it resolves inside the root.
    """
    try:
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode):
            return True, None
        if stat.S_ISLNK(st.st_mode) and os.path.isdir(path):
            real = os.path.realpath(path)
            base = os.path.realpath(root)
            if real.startswith(base.rstrip(os.sep) + os.sep):
                return True, None
            return True, "symlink outside the root"
    except OSError:
        return False, None
    return False, None


def run_without_calls(root: Path, run_id: str) -> Run | None:
    """The run directory ``run_id`` of ``root`` with its manifest, its fixtures not read (what
    a question about a run's labels needs); None when there is no such run directory."""
    if not run_id or run_id.startswith(".") or "/" in run_id or "\0" in run_id:
        return None
    path = _child(root, run_id)
    is_run, refused = run_dir_status(root, path)
    if not is_run:
        return None
    manifest, problem = (None, refused) if refused else read_manifest(path)
    return Run(run_id, path, manifest, problem)


def _run_dir(root: Path, entry: os.DirEntry[str]) -> tuple[bool, str | None]:
    try:
        if entry.is_dir(follow_symlinks=False):  # no system call on Linux
            return True, None
    except OSError:
        return False, None
    return run_dir_status(root, entry.path)


def plan_root(
    root: Path, only: Collection[str] | None = None, *, names: bool = True
) -> list[RunPlan]:
    """Every run directory under ``root`` (or only those named ``only``) with its manifest and
    fixture names, newest first (``names=False``: without them, for :func:`list_plan` later)."""
    plans: list[RunPlan] = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return plans
    for entry in entries:
        if entry.name.startswith(".") or (only is not None and entry.name not in only):
            continue
        is_run, refused = _run_dir(root, entry)
        if not is_run:
            continue
        path = _child(root, entry.name)
        if refused:
            plans.append(RunPlan(entry.name, path, None, refused, listable=False))
            continue
        manifest, problem = read_manifest(path)
        plan = RunPlan(entry.name, path, manifest, problem)
        if names:
            list_plan(plan)
        plans.append(plan)

    def newest_first(plan: RunPlan) -> tuple[float, str]:
        return run_sort_key(Run(plan.run_id, plan.path, plan.manifest))

    plans.sort(key=newest_first, reverse=True)
    return plans


def list_plan(plan: RunPlan) -> int:
    """List a planned run's fixture names (a refused run has none); returns how many."""
    if plan.listable:
        names, list_problem = list_run(plan.path)
        plan.names = names
        plan.problem = plan.problem or list_problem
    return len(plan.names)


Batch = list[tuple[RunPlan, list[Call]]]


def _read(plan: RunPlan, names: list[str], root: Path) -> list[Call]:
    path, run_id = plan.path, plan.run_id
    prefix = os.path.join(path, "")
    calls = []
    for name in names:
        call = read_call_in(path, name, run_id=run_id, root=root, text=prefix + name)
        if call is not None:  # gone since it was listed
            calls.append(call)
    return calls


def read_batches(
    plans: list[RunPlan], root: Path, *, batch_size: int = 2000, workers: int = 1
) -> Iterator[Batch]:
    """Read every planned file; yields batches of about ``batch_size`` files, plan order.

    Consumes the plans' ``names`` (each plan's list is empty once its files are queued).

    A run with no files still appears (in a batch of its own or with others).  With
    ``workers`` > 1 each batch is split across a thread pool: it pays off on a cold cache
    (the reads wait on the disk without the GIL) and costs a little on a warm one.
    """
    pool = ThreadPoolExecutor(workers, thread_name_prefix="fixture-scan") if workers > 1 else None
    read: Callable[[tuple[RunPlan, list[str]]], list[Call]] = lambda job: _read(*job, root)  # noqa: E731
    try:
        jobs: list[tuple[RunPlan, list[str]]] = []
        size = 0
        for plan in plans:
            # hand the names over to the jobs: each chunk's strings are freed once it is read
            # (a canonical file name is not kept by its Call), so a million names listed up
            # front do not stay behind as a heap of freed small blocks after the scan
            names, plan.names = plan.names, []
            if not names:
                jobs.append((plan, []))
            for start in range(0, len(names), batch_size):
                chunk = names[start : start + batch_size]
                jobs.append((plan, chunk))
                size += len(chunk)
                if size >= batch_size:
                    yield _run_jobs(jobs, read, pool, workers)
                    jobs, size = [], 0
        if jobs:
            yield _run_jobs(jobs, read, pool, workers)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _run_jobs(
    jobs: list[tuple[RunPlan, list[str]]],
    read: Callable[[tuple[RunPlan, list[str]]], list[Call]],
    pool: ThreadPoolExecutor | None,
    workers: int,
) -> Batch:
    if pool is None:
        return [(plan, read((plan, names))) for plan, names in jobs]
    split: list[tuple[RunPlan, list[str]]] = []
    for plan, names in jobs:
        step = max(64, len(names) // workers + 1)
        split.extend((plan, names[i : i + step]) for i in range(0, max(len(names), 1), step))
    return [(plan, calls) for (plan, _), calls in zip(split, pool.map(read, split), strict=True)]
