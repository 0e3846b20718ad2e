"""This process's id, cached.

``os.getpid()`` is a system call (glibc stopped caching it), and capture asks on every call, to
notice a fork (a forked child opens its own seq log and writes its own pid).  The cache is
refreshed in the child by ``os.register_at_fork``, which every fork made from Python runs.
"""

from __future__ import annotations

import os

__all__ = ["current_pid"]

_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forked)


def current_pid() -> int:
    """``os.getpid()`` without the system call."""
    return _pid
