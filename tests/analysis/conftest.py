"""Fixtures for the analysis tests: a writable copy of the v1 corpus and a store over it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from forensics_tui.core.analysis.engine import Analysis
from forensics_tui.core.storage.store import FixtureStore

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    """A writable copy of corpus/v1 (8 runs with known answers, see its README)."""
    target = tmp_path / "v1"
    shutil.copytree(CORPUS / "v1", target, copy_function=shutil.copyfile)
    for path in [target, *target.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


def open_analysis(root: Path) -> Analysis:
    store = FixtureStore(root)
    store.scan()
    return Analysis(store)


@pytest.fixture
def v1_analysis(v1: Path) -> Analysis:
    return open_analysis(v1)
