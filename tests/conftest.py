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
