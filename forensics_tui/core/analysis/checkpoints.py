"""Analysis checkpoints: one run's verdict without re-reading every run before it.

A run's verdict depends on every earlier run (its baselines are the last known-good calls
before it), so answering ``check`` for the newest run of a big root meant reading and
analysing the whole root.  What the runs before position *p* leave behind is small: the
:class:`~forensics_tui.core.analysis.baseline.BaselineIndex` after them (one good call per
tool and occurrence, one brief per good run).  This module saves that index, with the
fingerprint of every run it covers, in the user's cache directory (never under the fixture
root, which is untrusted), and the next question starts from the newest checkpoint that still
holds and reads only the runs after it (docs/ARCHITECTURE.md, "Analysis at scale").

* A run is vouched for by its directory's inode and modification/change times: every fixture
  and ``run.json`` is written by rename, which changes them.  A run whose directory changed in
  the last :data:`HOT_S` seconds is never checkpointed (a second change within one timestamp
  tick would go unseen), nor is anything after it.
* A checkpoint holds only if every run before it is unchanged and in the same order, and the
  accepted shapes, the configuration and this module's format are the same.
* Work before the target is done in chunks of at most :data:`CHUNK_CALLS` fixtures, each
  leaving a checkpoint, so memory is bounded by summaries and a chunk, never the root.
* Anything unusual (runs that cannot be ordered without reading them, a re-execution as the
  target, an unreadable or foreign cache file) falls back to the whole-root analysis: the
  checkpoint is an accelerator, never a second opinion.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from forensics_tui.capture.safe_io import ReadRefused, atomic_write, read_file_bytes
from forensics_tui.core.analysis.accept import AcceptedShapes
from forensics_tui.core.analysis.baseline import BaselineIndex, GoodCall, RunBrief
from forensics_tui.core.analysis.engine import Analysis
from forensics_tui.core.analysis.ledger import Ledger, Streak, StreakBook
from forensics_tui.core.analysis.patterns import Pattern, PatternBook
from forensics_tui.core.analysis.patterns import signature as pattern_signature
from forensics_tui.core.analysis.prefetch import FactsPool, Pending
from forensics_tui.core.analysis.shapes import Shape
from forensics_tui.core.config import Config
from forensics_tui.core.model import Call, Run
from forensics_tui.core.storage.loader import read_manifest
from forensics_tui.core.storage.ordering import run_sort_key
from forensics_tui.core.storage.scan import is_fixture_name, run_dir_status
from forensics_tui.core.storage.store import FixtureStore

__all__ = ["CHUNK_CALLS", "HOT_S", "RunInfo", "cache_dir", "open_for_runs", "survey"]

log = logging.getLogger(__name__)

FORMAT = 4
HOT_S = 2.0
CHUNK_CALLS = 50_000
KEEP = 4  # checkpoints kept per root (the newest positions)
_CACHE_CAP = 512 * 1024 * 1024


@dataclass(slots=True)
class RunInfo:
    """A run directory as seen without reading its fixtures."""

    run_id: str
    path: Path
    manifest: dict[str, Any] | None
    problem: str | None
    fingerprint: list[int]
    mtime: float
    key: tuple[float, str] | None = None  # its place in run order, when known

    def run(self) -> Run:
        return Run(self.run_id, self.path, self.manifest, self.problem)


def cache_dir(root: Path) -> Path:
    """``$XDG_CACHE_HOME/forensics-tui/analysis/<hash of the root's real path>/``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    digest = hashlib.sha256(os.path.realpath(root).encode("utf-8", "surrogateescape"))
    return Path(base, "forensics-tui", "analysis", digest.hexdigest()[:32])


def survey(root: Path) -> list[RunInfo]:
    """Every run directory of ``root`` with its manifest and fingerprint; no fixture read."""
    infos: list[RunInfo] = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return infos
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        refused = None
        if not is_dir:
            is_run, refused = run_dir_status(root, entry.path)
            if not is_run:
                continue
        path = root / entry.name
        try:
            st = os.stat(path)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode):
            continue
        manifest, problem = (None, refused) if refused else read_manifest(path)
        fingerprint = [st.st_ino, st.st_mtime_ns, st.st_ctime_ns]
        infos.append(RunInfo(entry.name, path, manifest, problem, fingerprint, st.st_mtime))
    return infos


def _exact_key(info: RunInfo) -> tuple[float, str] | None:
    """The run's order key when its manifest alone decides it (no fixture needed)."""
    manifest = info.manifest
    if info.problem is None and isinstance(manifest, dict):
        started = manifest.get("started_at")
        return run_sort_key(info.run()) if isinstance(started, str) else None
    return None


# -- the cache file ----------------------------------------------------------------------


def _signature(config: Config, accepted: AcceptedShapes) -> str:
    from forensics_tui import __version__

    values = {f.name: repr(getattr(config, f.name)) for f in fields(config)}
    text = json.dumps([FORMAT, __version__, values, repr(accepted.signature())], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _read_json(path: Path) -> Any:
    """A JSON file of ours, read with the safe helper (no FIFO, no link out of the cache
    directory); None when it is missing or does not parse."""
    try:
        raw = read_file_bytes(path, root=path.parent, cap=_CACHE_CAP)
        return json.loads(raw.data)
    except (OSError, ReadRefused, ValueError, RecursionError):
        return None


def _digest(rows: list[list[Any]]) -> str:
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


class _Cache:
    """One root's directory: ``runs.json`` (signature, runs in order, checkpoint positions) and
    one ``cp-<position>.json`` per checkpoint, so a question parses only the one it uses."""

    def __init__(self, directory: Path, signature: str) -> None:
        self.dir, self.signature = directory, signature
        self.runs: list[list[Any]] = []  # [run_id, fingerprint, order key time], run order
        self.points: list[int] = []

    def load(self) -> None:
        data = _read_json(self.dir / "runs.json")
        if not isinstance(data, dict) or data.get("signature") != self.signature:
            return
        runs, points = data.get("runs"), data.get("points")
        if isinstance(runs, list) and isinstance(points, list):
            self.runs = [r for r in runs if isinstance(r, list) and len(r) == 3]
            self.points = [p for p in points if type(p) is int and 0 < p <= len(self.runs)]

    def checkpoint(self, pos: int) -> dict[str, Any] | None:
        data = _read_json(self.dir / f"cp-{pos}.json")
        if not isinstance(data, dict) or data.get("signature") != self.signature:
            return None
        if data.get("prefix") != _digest(self.runs[:pos]):
            return None  # written for another history (a concurrent check saw other runs)
        state = data.get("state")
        return state if isinstance(state, dict) else None

    def save(
        self, runs: list[list[Any]], fresh: dict[int, dict[str, Any]], keep: list[int]
    ) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            for pos, state in fresh.items():
                if pos in keep:
                    doc = {
                        "signature": self.signature,
                        "prefix": _digest(runs[:pos]),
                        "state": state,
                    }
                    blob = json.dumps(doc, separators=(",", ":")).encode()
                    atomic_write(str(self.dir), f"cp-{pos}.json", blob)
            index = {"signature": self.signature, "runs": runs, "points": keep}
            atomic_write(str(self.dir), "runs.json", json.dumps(index).encode())
            for entry in os.scandir(self.dir):
                name = entry.name
                if name.startswith("cp-") and name[3:-5] not in {str(p) for p in keep}:
                    os.unlink(entry.path)
        except OSError as exc:  # a read-only home is no reason to fail a check
            log.warning("analysis checkpoint not saved: %s", exc)


# -- serialising a Ledger ----------------------------------------------------------------


def _call_row(c: Call) -> list[Any]:
    return [c.run_id, c.call_id, c.seq, c.path.name, c.status, c.size, c.mtime_ns, c.ts]


def _row_call(row: list[Any], tool: str, occurrence: int, root: Path, known: set[str]) -> Call:
    run_id, call_id, seq, name, status, size, mtime, ts = row
    if _str(run_id) not in known or not is_fixture_name(_str(name)) or "/" in name:
        raise ValueError("a checkpointed call outside the root's runs")
    return Call(
        root / run_id / name,
        run_id,
        _str(call_id),
        _int(seq),
        tool,
        _str(status),
        ts=_opt_str(ts),
        occurrence=occurrence,
        size=_int(size),
        mtime_ns=_int(mtime),
    )


def _dump_ledger(ledger: Ledger) -> dict[str, Any]:
    state = _dump_index(ledger.index)
    state["patterns"] = [
        [
            p.tool,
            p.kind,
            p.message,
            p.example,
            p.messages,
            p.runs,
            p.latest_call_id,
            sorted(p.occurrences),
            p.last_position,
            p.fixed_since,
        ]
        for p in ledger.patterns.by_sig.values()
    ]

    def tool_call(c: Call) -> list[Any]:
        return [c.occurrence, *_call_row(c)]

    state["last"] = [
        [tool, run_id, [tool_call(c) for c in calls]]
        for tool, (run_id, calls) in ledger.streaks.last.items()
    ]
    state["open"] = [
        [
            tool,
            tool_call(s.call),
            None if s.previous_call is None else tool_call(s.previous_call),
        ]
        for tool, s in ledger.streaks.open.items()
    ]
    return state


def _load_ledger(state: dict[str, Any], root: Path, known: set[str]) -> Ledger:
    """The ledger saved by :func:`_dump_ledger`; raises ``ValueError`` (or ``KeyError``,
    ``TypeError``, ``IndexError``) on anything unexpected."""
    index = _load_index(state, root, known)
    book = PatternBook()
    for row in state["patterns"]:
        tool, kind, message, example, messages, runs, latest, occs, last, fixed = row
        if any(_str(r) not in known for r in runs) or not runs:
            raise ValueError("a pattern sighted outside the root's runs")
        pattern = Pattern(
            pattern_signature(_str(tool), _str(kind)),
            tool,
            kind,
            _str(message),
            runs=list(runs),
            latest_call_id=_opt_str(latest),
            occurrences={_int(o) for o in occs},
            fixed_since=_opt_str(fixed),
            example=_str(example),
            messages=[_str(m) for m in messages],
            last_position=_int(last),
        )
        book.by_sig[pattern.signature] = pattern
        book.by_tool.setdefault(pattern.tool, []).append(pattern)

    def tool_call(tool: str, row: list[Any]) -> Call:
        return _row_call(row[1:], tool, _int(row[0]), root, known)

    streaks = StreakBook()
    for tool, run_id, calls in state["last"]:
        if _str(run_id) not in known or not calls:
            raise ValueError("a streak outside the root's runs")
        streaks.last[_str(tool)] = (run_id, tuple(tool_call(tool, c) for c in calls))
    for tool, first, previous in state["open"]:
        call = tool_call(_str(tool), first)
        before = None if previous is None else tool_call(tool, previous)
        streaks.open[tool] = Streak(call.run_id, call, before.run_id if before else None, before)
    return Ledger(index, book, streaks)


# -- serialising a BaselineIndex ---------------------------------------------------------


def _dump_index(index: BaselineIndex) -> dict[str, Any]:
    shapes: dict[int, int] = {}
    shape_list: list[dict[str, list[str]]] = []
    calls = []
    for (tool, occurrence), good in index.calls.items():
        shape_no = None
        if good.shape is not None:
            shape_no = shapes.get(id(good.shape))
            if shape_no is None:
                shape_no = shapes[id(good.shape)] = len(shape_list)
                shape_list.append({k: sorted(v) for k, v in good.shape.items()})
        calls.append([tool, occurrence, *_call_row(good.call), shape_no, good.accepted])
    briefs: dict[str, int] = {}
    brief_list: list[list[Any]] = []
    tools: dict[str, int] = {}
    chains: dict[tuple[tuple[str, ...], tuple[str | None, ...]], int] = {}
    chain_list: list[list[list[int | None]]] = []  # most good runs repeat one chain: once

    def tool_no(tool: str) -> int:
        no = tools.get(tool)
        if no is None:
            no = tools[tool] = len(tools)
        return no

    def chain_no(brief: RunBrief) -> int:
        key = (brief.tools, brief.parent_tools)
        no = chains.get(key)
        if no is None:
            no = chains[key] = len(chain_list)
            names: list[int | None] = [tool_no(t) for t in brief.tools]
            parents = [None if t is None else tool_no(t) for t in brief.parent_tools]
            chain_list.append([names, parents])
        return no

    def brief_no(brief: RunBrief) -> int:
        no = briefs.get(brief.run_id)
        if no is None:
            no = briefs[brief.run_id] = len(brief_list)
            brief_list.append([brief.run_id, brief.task, brief.agent, chain_no(brief)])
        return no

    return {
        "position": index.position,
        "shapes": shape_list,
        "calls": calls,
        "by_task": [[task, pos, brief_no(b)] for task, (pos, b) in index.runs_by_task.items()],
        "untasked": [[pos, brief_no(b)] for pos, b in index.untasked],
        "good_runs": [[pos, brief_no(b)] for pos, b in index.good_runs],
        "briefs": brief_list,
        "chains": chain_list,
        "tools": list(tools),
    }


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _opt_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _int(value: Any) -> int:
    if type(value) is not int:
        raise ValueError("not an integer")
    return value


def _load_index(state: dict[str, Any], root: Path, known: set[str]) -> BaselineIndex:
    """The index saved by :func:`_dump_index`; raises ``ValueError`` on anything unexpected."""
    shapes: list[Shape] = []
    for raw in state["shapes"]:
        shapes.append({_str(k): frozenset(_str(t) for t in v) for k, v in raw.items()})
    index = BaselineIndex(position=_int(state["position"]))
    for row in state["calls"]:
        tool, occurrence, *fields, shape, acc = row
        call = _row_call(fields, _str(tool), _int(occurrence), root, known)
        index.calls[(tool, occurrence)] = GoodCall(
            call, None if shape is None else shapes[_int(shape)], bool(acc)
        )
    names = [_str(t) for t in state["tools"]]
    chains = [
        (
            tuple(names[_int(x)] for x in tools),
            tuple(None if x is None else names[_int(x)] for x in parents),
        )
        for tools, parents in state["chains"]
    ]
    briefs = [
        RunBrief(_str(r), _opt_str(t), _opt_str(a), *chains[_int(c)])
        for r, t, a, c in state["briefs"]
    ]
    index.runs_by_task = {_str(t): (_int(p), briefs[_int(b)]) for t, p, b in state["by_task"]}
    index.untasked = [(_int(p), briefs[_int(b)]) for p, b in state["untasked"]]
    index.good_runs = [(_int(p), briefs[_int(b)]) for p, b in state["good_runs"]]
    return index


# -- answering for some runs -------------------------------------------------------------


def open_for_runs(
    root: Path,
    config: Config,
    targets: Sequence[str] | None,
    *,
    infos: list[RunInfo] | None = None,
    progress: Callable[[str], None] | None = None,
    reexecs: bool = False,
) -> Analysis | None:
    """An :class:`Analysis` whose store holds ``targets`` (default: the newest agent run) and
    whatever runs between the newest usable checkpoint and them; None when the root needs
    the whole-root analysis instead (the caller then scans everything).

    ``targets`` are run ids (resolved by the caller against :func:`survey`'s runs, passed
    as ``infos`` to save a second look at the root).  ``reexecs``: the store also holds the
    later re-execution runs of the targets' calls (a post-mortem grades them); they are not
    analysed for the answer, which never depends on runs after it.
    """
    root = Path(root).absolute()
    infos = survey(root) if infos is None else infos
    if not infos:
        return None
    accepted = AcceptedShapes.load(root)
    signature = _signature(config, accepted)
    cache = _Cache(cache_dir(root), signature)
    cache.load()
    cached = {row[0]: row for row in cache.runs}
    for info in infos:
        info.key = _exact_key(info)
        row = cached.get(info.run_id)
        if info.key is None and row is not None and row[1] == info.fingerprint:
            info.key = (float(row[2]), info.run_id)
    if any(info.key is None for info in infos):
        return None  # some run's place in the order needs its fixtures: read everything
    infos.sort(key=lambda i: i.key or (0.0, ""))
    position = {info.run_id: n for n, info in enumerate(infos)}
    if targets:
        if any(t not in position for t in targets):
            return None
        last = max(position[t] for t in targets)
        first_target = min(position[t] for t in targets)
    else:
        agents = [n for n, i in enumerate(infos) if not i.run().is_reexec]
        if not agents:
            return None
        last = first_target = agents[-1]
    if targets and any(infos[position[t]].run().is_reexec for t in targets):
        return None  # its baseline is a call of another run: let the whole root answer
    # the newest checkpoint that still holds
    valid = 0
    for n, info in enumerate(infos):
        row = cache.runs[n] if n < len(cache.runs) else None
        if row is None or row[0] != info.run_id or row[1] != info.fingerprint:
            break
        valid = n + 1
    start_at, start = 0, None
    known = {i.run_id for i in infos}
    usable = min(valid, first_target)
    for pos in sorted((p for p in cache.points if p <= usable), reverse=True):
        state = cache.checkpoint(pos)
        try:
            start = _load_ledger(state, root, known) if state is not None else None
        except (KeyError, ValueError, TypeError, IndexError):
            start = None
        if start is None:
            continue
        if start.position == pos:
            start_at = pos
            break
        start = None
    now = time.time()
    cold = next((n for n, i in enumerate(infos) if now - i.mtime < HOT_S), len(infos))
    still = [p for p in cache.points if p <= min(valid, cold)]
    saved: dict[int, dict[str, Any]] = {}
    counts = [_count(info.path) if start_at <= n <= last else 0 for n, info in enumerate(infos)]
    chunks: list[tuple[int, int]] = []  # older runs first, each leaving a checkpoint
    begin = start_at
    while not chunks or chunks[-1][1] < first_target:
        end = _chunk_end(counts, begin, first_target)
        chunks.append((begin, last + 1 if end >= first_target else end))
        begin = end
    pool = FactsPool.start(root, sum(counts))

    def ahead(k: int) -> Pending:  # the files of chunk k, read by the workers meanwhile
        if pool is None or k >= len(chunks):
            return []
        return pool.submit((i.run_id, i.path) for i in infos[chunks[k][0] : chunks[k][1]])

    answer: Analysis | None = None
    try:
        coming = ahead(0)
        for k, (begin, end) in enumerate(chunks):
            final = k == len(chunks) - 1
            store = FixtureStore(root)
            only = {i.run_id for i in infos[begin:end]}
            if final and reexecs:
                wanted = {infos[n].run_id for n in range(first_target, last + 1)}
                only.update(i.run_id for i in infos[last + 1 :] if _reexec_of(i) in wanted)
            store.scan(only=only)
            analysis = Analysis(store, config, accepted=accepted, start=start)
            current, coming = coming, ahead(k + 1)
            FactsPool.attach(current, store, analysis)
            after: list[Ledger] = []

            def recorded(ledger: Ledger, end: int = end, after: list[Ledger] = after) -> None:
                if ledger.position <= cold and ledger.position in (first_target, end, last + 1):
                    saved[ledger.position] = _dump_ledger(ledger)
                if ledger.position == end:
                    after.append(ledger.copy())

            analysis.on_recorded = recorded
            if final:
                if progress is not None and last - begin > 1:
                    progress(f"analysing runs {begin + 1}-{last + 1} of {len(infos)}")
                analysis.refresh(until=infos[last].run_id)
                analysis.on_recorded = None
                answer = analysis
                break
            if progress is not None:
                progress(f"analysing runs {begin + 1}-{end} of {len(infos)}")
            analysis.refresh()
            start = after[-1]
            del analysis, store
    finally:
        if pool is not None:
            pool.close()
    keep = sorted(set(still) | set(saved))[-KEEP:]
    if keep and (saved or keep != cache.points):
        runs = [[i.run_id, i.fingerprint, i.key[0] if i.key else 0.0] for i in infos[: keep[-1]]]
        cache.save(runs, saved, keep)
    return answer


def _reexec_of(info: RunInfo) -> str | None:
    run = info.run()
    of = run.labels.get("reexec_of_run") if run.is_reexec else None
    return of if isinstance(of, str) else None


def _chunk_end(counts: list[int], begin: int, target: int) -> int:
    """Where the chunk starting at ``begin`` ends: ``target`` when the rest fits (``counts``:
    each run's number of files)."""
    total = 0
    for n in range(begin, target):
        total += counts[n]
        if total > CHUNK_CALLS and n > begin:
            return n
    return target


def _count(path: Path) -> int:
    try:
        with os.scandir(path) as entries:
            return sum(1 for e in entries if is_fixture_name(e.name))
    except OSError:
        return 0
