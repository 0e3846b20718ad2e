"""Shared test configuration: the sample corpus ships with the tests (tests/data/corpus)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


@pytest.fixture
def corpus_copy(tmp_path: Path):
    """Return a function copying one corpus root (``legacy``, ``v1``, ``bad``) into tmp_path."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(CORPUS / name, target)
        return target

    return copy


@pytest.fixture(autouse=True, scope="session")
def _private_cache_home(tmp_path_factory: pytest.TempPathFactory):
    """Analysis checkpoints and source mirrors go to a per-session cache, never ~/.cache."""
    import os

    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache-home"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old
