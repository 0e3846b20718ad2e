"""Worker processes read facts ahead of the analysis (core.analysis.prefetch): the answers are
the ones a single process gives, on generated histories and on a hostile root, and a file the
workers read in another version is read again here."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from forensics_tui.cli.main import cli
from forensics_tui.core.analysis import checkpoints, prefetch
from forensics_tui.core.analysis.engine import Analysis
from forensics_tui.core.storage.factories import make_run_dir
from forensics_tui.core.storage.store import FixtureStore
from tests.analysis.test_cross_surface import _write, history_st

GOOD = {"tool": "fetch", "output": {"status_code": 200, "body": {"id": 1, "name": "a"}}}
EXPIRED = {"tool": "fetch", "output": {"status_code": 200, "body": {"error": "token_expired"}}}


def _answer(root: Path, cache: Path, workers: int, *args: str, whole: bool = False) -> Any:
    env = {"XDG_CACHE_HOME": str(cache), "COLUMNS": "200"}
    env["FORENSICS_ANALYSIS_WORKERS"] = str(workers)
    if whole:
        env["FORENSICS_NO_CHECKPOINTS"] = "1"
    result = CliRunner().invoke(cli, [*args, "--json", "--dir", str(root)], env=env)
    assert "Traceback" not in result.output, result.output
    text = re.sub(r"pending after \d+ s", "pending after N s", result.stdout)
    return result.exit_code, json.loads(text)


def _age(root: Path) -> None:
    past = 1_700_000_000
    for path in root.iterdir():
        os.utime(path, (past, past))


@pytest.fixture
def pool_always(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A pool for any root, however small, and first passes in chunks; yields how many facts
    each ``attach`` took from the workers."""
    monkeypatch.setattr(prefetch, "MIN_CALLS", 0)
    monkeypatch.setattr(checkpoints, "CHUNK_CALLS", 5)
    used: list[int] = []
    attach = prefetch.FactsPool.attach

    def counted(pending: Any, store: Any, analysis: Any) -> int:
        used.append(attach(pending, store, analysis))
        return used[-1]

    monkeypatch.setattr(prefetch.FactsPool, "attach", staticmethod(counted))
    return used


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(history=history_st)
def test_workers_answer_what_one_process_does(history: list[Any], pool_always: list[int]) -> None:
    root = Path(tempfile.mkdtemp(prefix="prefetch_"))
    caches = [Path(tempfile.mkdtemp(prefix="prefetch_cache_")) for _ in range(2)]
    try:
        run_ids = _write(root, history)
        _age(root)
        for args in (("check",), ("runs",), ("patterns",)):
            alone = _answer(root, caches[0], 0, *args, whole=True)
            assert _answer(root, caches[1], 2, *args, whole=True) == alone, args
        for run_id in [None, *run_ids]:
            named = [run_id] if run_id else []
            alone = _answer(root, caches[0], 0, "check", *named)
            assert _answer(root, caches[1], 2, "check", *named) == alone, run_id
        # What ``_write`` wrote: a re-execution run keeps only its first call.
        written = [
            calls[:1] if reexec and n > 0 else calls for n, (_, calls, reexec) in enumerate(history)
        ]
        if any(kind != "pending" for calls in written for _, kind, _ in calls):
            assert sum(pool_always) > 0  # the workers did answer
    finally:
        for path in [root, *caches]:
            shutil.rmtree(path, ignore_errors=True)


def test_a_hostile_root_is_read_like_the_store_reads_it(
    tmp_path: Path, pool_always: list[int]
) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    outside.mkdir()
    make_run_dir(root, "20260101_000000", [GOOD, GOOD])
    run = make_run_dir(root, "20260102_000000", [GOOD, EXPIRED, {"tool": "x", "status": "pending"}])
    (run / "000009_broken.json").write_text("{not json")
    secret = outside / "secret.json"
    secret.write_text(json.dumps({"format": 1, "tool": "fetch", "status": "ok", "output": {}}))
    (run / "000010_link.json").symlink_to(secret)
    os.mkfifo(run / "000011_fifo.json")
    _age(root)
    caches = [tmp_path / "c0", tmp_path / "c1"]
    for args in (("check",), ("runs",)):
        alone = _answer(root, caches[0], 0, *args, whole=True)
        assert _answer(root, caches[1], 2, *args, whole=True) == alone
    alone = _answer(root, caches[0], 0, "check")
    pool_always.clear()
    assert _answer(root, caches[1], 2, "check") == alone
    assert sum(pool_always) == 4  # the plain readable files: not pending, broken or refused
    code, report = alone
    assert code == 1
    kinds = {f["kind"] for r in report["runs"] for f in r["findings"]}
    assert "auth_expiry" in kinds


def test_facts_of_another_file_version_are_not_used(tmp_path: Path) -> None:
    """A worker's answer is for the version it read: a file rewritten since (another size or
    mtime) is read again by the analysis, never given the stale facts."""
    run = make_run_dir(tmp_path, "20260101_000000", [GOOD, GOOD])
    store = FixtureStore(tmp_path)
    store.scan()
    analysis = Analysis(store)
    answer = prefetch._run_facts(str(tmp_path), str(run), "20260101_000000")
    assert [name for name, *_ in answer] == [c.name for c in store.runs()[0].calls]
    first = store.runs()[0].calls[0]
    (run / first.name).write_text(
        (run / first.name).read_text().replace('"name": "a"', '"error": "token_expired"')
    )
    store.scan()

    class Done:
        def result(self) -> Any:
            return answer

    used = prefetch.FactsPool.attach([("20260101_000000", Done())], store, analysis)  # type: ignore[list-item]
    assert used == 1  # the unchanged file only
    fresh = store.runs()[0].calls
    assert analysis.facts(fresh[0]).classification.kind == "auth"
    assert analysis.facts(fresh[1]).classification.kind == "ok"
