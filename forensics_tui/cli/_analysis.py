"""CLI plumbing shared by the analysis commands (diff, check, patterns, postmortem, accept).

Opens the store and the :class:`~forensics_tui.core.analysis.Analysis` for a root with the
user's configuration, and renders findings as Rich ``Text`` built from sanitised strings (never
markup), so fixture content cannot style or escape the terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from forensics_tui.cli.common import fail, require_root
from forensics_tui.core.analysis.engine import Analysis
from forensics_tui.core.analysis.findings import Finding
from forensics_tui.core.analysis.naming import RunNameError, resolve_run
from forensics_tui.core.config import Config, ConfigError, load_config
from forensics_tui.core.sanitize import safe_line

__all__ = ["SEVERITY_STYLES", "finding_text", "open_analysis", "open_run_analysis", "require_run"]

SEVERITY_STYLES = {"high": "bold red", "medium": "yellow", "low": "cyan"}


def open_analysis(root: Path) -> Analysis:
    """The analysis of ``root``; a missing root or a bad config is one line and exit 2.
    Worker processes read the files' facts while the root is scanned (``prefetch``)."""
    from forensics_tui.core.analysis.prefetch import open_whole

    require_root(root)
    config = _config()
    _store, analysis = open_whole(root, config)
    return analysis


def _config() -> Config:
    try:
        return load_config()
    except ConfigError as exc:
        fail(str(exc), 2)


def open_run_analysis(
    root: Path, names: Sequence[str], *, whole: bool = False, reexecs: bool = False
) -> tuple[Analysis, list[str]]:
    """The analysis for a question about ``names`` (default: the newest agent run) and their
    run ids.  Starts from the saved checkpoints when they hold (``core.analysis.checkpoints``),
    so a big root is not re-read; otherwise, or with ``$FORENSICS_NO_CHECKPOINTS`` set, the
    whole root is analysed (``whole``: a question about every run, such as patterns, follows;
    ``reexecs``: the re-executions of the runs' calls are read too, for a post-mortem)."""
    if whole or os.environ.get("FORENSICS_NO_CHECKPOINTS"):
        analysis = open_analysis(root)
        return analysis, [require_run(analysis, name).run_id for name in names]
    from forensics_tui.core.analysis.checkpoints import open_for_runs, survey

    require_root(root)
    config = _config()
    infos = survey(Path(root).absolute())
    ids: list[str] = []
    if infos:
        runs = [info.run() for info in infos]
        for name in names:
            try:
                ids.append(resolve_run(runs, name).run_id)
            except RunNameError as exc:
                fail(f"{safe_line(str(exc), 300)} under {root}", 2)
    report = _progress_line if sys.stderr.isatty() else None
    analysis = open_for_runs(root, config, ids, infos=infos, progress=report, reexecs=reexecs)
    if report is not None:
        sys.stderr.write("\r\x1b[K")
    if analysis is None:
        analysis = open_analysis(root)
        ids = [require_run(analysis, name).run_id for name in names]
    return analysis, ids


def _progress_line(text: str) -> None:
    sys.stderr.write(f"\r\x1b[K{text}…")
    sys.stderr.flush()


def require_run(analysis: Analysis, run_id: str | None) -> Any:
    """The run ``run_id`` names (default: the newest run that is not a re-execution); what
    the TUI shows is accepted (see ``core.analysis.naming``).  Unknown or ambiguous names and
    empty roots exit 2."""
    store = analysis.store
    if run_id is None:
        run = analysis.newest_run()
        if run is None:
            fail(f"no runs under {store.root}", 2)
        return run
    try:
        return resolve_run(store.runs(), run_id)
    except RunNameError as exc:
        fail(f"{safe_line(str(exc), 300)} under {store.root}", 2)


def finding_text(finding: Finding, indent: str = "  ") -> Any:
    """One finding as a Rich ``Text`` line (all fixture strings sanitised, no markup)."""
    from rich.text import Text

    line = Text(indent)
    line.append(f"{finding.kind:<13}", SEVERITY_STYLES.get(finding.severity, ""))
    line.append(f" {finding.severity:<6} ")
    line.append(safe_line(finding.tool, 40), "bold")
    line.append(f"  {safe_line(finding.evidence, 300)}")
    return line
