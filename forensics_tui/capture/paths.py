"""Where fixtures live and how runs are named; shared by capture, CLI and TUI (stdlib only).

Resolution order for the root: an explicit path, else ``$FORENSICS_FIXTURE_DIR``, else
``$XDG_STATE_HOME/forensics-tui/fixtures`` (``~/.local/state/...``).  Run ids come from
``$FORENSICS_RUN_ID``, else ``$RUN_ID`` (legacy snippet), else a new sortable id.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

__all__ = ["config_path", "default_root", "env_run_id", "new_run_id", "resolve_root"]


def default_root() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return Path(state) / "forensics-tui" / "fixtures"


def resolve_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The fixture root: ``explicit``, else ``$FORENSICS_FIXTURE_DIR``, else the XDG default."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("FORENSICS_FIXTURE_DIR")
    if env:
        return Path(env).expanduser()
    return default_root()


def new_run_id() -> str:
    """A sortable, collision-free run id: UTC timestamp to the microsecond plus random suffix."""
    now = time.time()
    stamp = time.strftime("%Y%m%d_%H%M%S", time.gmtime(now))
    micros = int((now % 1) * 1_000_000)
    return f"{stamp}_{micros:06d}_{os.urandom(3).hex()}"


def env_run_id() -> str | None:
    """The run id the environment asks for, if any."""
    return os.environ.get("FORENSICS_RUN_ID") or os.environ.get("RUN_ID") or None


def config_path() -> Path:
    """The optional TOML config: ``$FORENSICS_CONFIG``, else
    ``$XDG_CONFIG_HOME/forensics-tui/config.toml`` (``~/.config/...``)."""
    explicit = os.environ.get("FORENSICS_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "forensics-tui" / "config.toml"
