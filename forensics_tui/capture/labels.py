"""Run labels filled in automatically, so "what changed when it started failing?" has answers.

A run's labels (in ``run.json``) say which code ran where: the git commit of the working
directory, the host, the Python version, the versions of agent frameworks already imported,
plus anything in ``$FORENSICS_LABELS`` (``key=value,key=value``) and what the agent passes;
``$FORENSICS_AUTO_LABELS=0`` turns the automatic ones off.
Everything here is stdlib, computed once per process, bounded, and never raises: the git commit
is read from ``.git/HEAD`` and its ref (loose or packed), without spawning git.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
from typing import Any

from forensics_tui.capture.safe_io import ReadRefused, read_file_bytes

__all__ = ["auto_labels", "env_labels", "git_commit", "run_labels"]

_MAX_PARENTS = 32
_MAX_READ = 1 << 20  # packed-refs larger than this are not worth reading on the hot path
# Frameworks whose version is worth a label, by the module that carries ``__version__``;
# read only when the agent already imported them (importing one here would cost seconds).
_FRAMEWORKS = {
    "pydantic_ai": "pydantic_ai",
    "langchain_core": "langchain_core",
    "langgraph": "langgraph",
    "agents": "openai_agents",
    "mcp": "mcp",
    "openai": "openai",
    "anthropic": "anthropic",
    "httpx": "httpx",
    "requests": "requests",
}

_cache: dict[str, str] | None = None
_lock = threading.Lock()


def _read(path: str, limit: int = 4096) -> str | None:
    """A small regular file's text, through the safe reader (never blocks on a FIFO)."""
    try:
        raw = read_file_bytes(path, root="/", cap=limit, head=limit)
    except (OSError, ReadRefused):
        return None
    return raw.data.decode("utf-8", "replace")


def _git_dir(start: str) -> str | None:
    """The ``.git`` directory of ``start`` or a parent (a worktree's ``gitdir:`` file followed)."""
    here = os.path.abspath(start)
    for _ in range(_MAX_PARENTS):
        candidate = os.path.join(here, ".git")
        if os.path.isdir(candidate):
            return candidate
        text = _read(candidate) if os.path.isfile(candidate) else None
        if text and text.startswith("gitdir:"):
            target = text[len("gitdir:") :].strip()
            return target if os.path.isabs(target) else os.path.join(here, target)
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent
    return None


def _is_sha(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def _resolve_ref(git_dir: str, ref: str) -> str | None:
    common = git_dir
    shared = _read(os.path.join(git_dir, "commondir"))
    if shared:  # a linked worktree: refs live in the main repository
        shared = shared.strip()
        common = shared if os.path.isabs(shared) else os.path.join(git_dir, shared)
    for base in (git_dir, common):
        loose = _read(os.path.join(base, ref))
        if loose and _is_sha(loose.strip()):
            return loose.strip()
    packed = _read(os.path.join(common, "packed-refs"), _MAX_READ)
    for line in (packed or "").splitlines():
        sha, _, name = line.partition(" ")
        if name.strip() == ref and _is_sha(sha):
            return sha
    return None


def git_commit(start: str | None = None) -> tuple[str | None, str | None]:
    """``(commit, branch)`` of the repository holding ``start`` (default: the working
    directory), read from the files; ``(None, None)`` when there is none."""
    try:
        git_dir = _git_dir(start or os.getcwd())
        head = _read(os.path.join(git_dir, "HEAD")) if git_dir else None
        if not head or git_dir is None:
            return None, None
        head = head.strip()
        if head.startswith("ref:"):
            ref = head[4:].strip()
            branch = ref.removeprefix("refs/heads/")
            return _resolve_ref(git_dir, ref), branch
        return (head, None) if _is_sha(head) else (None, None)
    except Exception:
        return None, None


def env_labels(value: str | None = None) -> dict[str, str]:
    """``$FORENSICS_LABELS`` (``key=value,key=value``) as a dict; malformed items are skipped."""
    text = os.environ.get("FORENSICS_LABELS", "") if value is None else value
    out: dict[str, str] = {}
    for item in text.split(","):
        key, sep, val = item.partition("=")
        if sep and key.strip():
            out[key.strip()[:100]] = val.strip()[:500]
    return out


def _compute() -> dict[str, str]:
    labels: dict[str, str] = {}
    commit, branch = git_commit()
    if commit:
        labels["git_commit"] = commit
    if branch:
        labels["git_branch"] = branch
    with contextlib.suppress(OSError):
        labels["host"] = socket.gethostname()
    labels["python"] = ".".join(map(str, sys.version_info[:3]))
    for module, name in _FRAMEWORKS.items():
        version = getattr(sys.modules.get(module), "__version__", None)
        if isinstance(version, str):
            labels[name] = version[:50]
    return labels


def auto_labels() -> dict[str, str]:
    """The automatic labels, computed once per process (a copy: callers may change it)."""
    global _cache
    with _lock:
        if _cache is None:
            try:
                _cache = _compute()
            except Exception:
                _cache = {}
        return dict(_cache)


def run_labels(explicit: dict[str, Any] | None) -> dict[str, Any]:
    """Automatic labels, overridden by ``$FORENSICS_LABELS``, overridden by the agent's own."""
    automatic = os.environ.get("FORENSICS_AUTO_LABELS", "1").strip().lower()
    labels: dict[str, Any] = {} if automatic in ("0", "false", "no", "off") else auto_labels()
    labels.update(env_labels())
    if isinstance(explicit, dict):
        labels.update(explicit)
    return labels
