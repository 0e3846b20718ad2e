"""Every file open in the package is either in the safe helpers or on a short, explained
allowlist; a new ``open()`` / ``Path.read_text()`` / ``os.open()`` elsewhere fails this test.

Reads and writes under a fixture root must go through ``capture/safe_io.py`` (re-exported by
``core/storage/safe_read.py``): that is what keeps symlinks, FIFOs and devices planted in a root
from being followed, hanging the tool or exhausting memory.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "forensics_tui"

OPENERS = frozenset(
    {
        "open",
        "fdopen",
        "read_text",
        "write_text",
        "read_bytes",
        "write_bytes",
        "mkstemp",
        "NamedTemporaryFile",
        "TemporaryFile",
        "mkfifo",
        "symlink_to",
    }
)
BARE_OPENERS = frozenset({"open", "fdopen", "mkstemp", "NamedTemporaryFile", "TemporaryFile"})
SAFE_HELPERS = frozenset({"capture/safe_io.py"})
# (module, function): why this open is not under a fixture root, or is its own safe primitive.
ALLOWED: dict[tuple[str, str], str] = {
    ("capture/files.py", "_open_log"): "the run's .seqlog: O_NOFOLLOW, regular-file check",
    ("capture/files.py", "_create_log"): "O_CREAT|O_EXCL|O_NOFOLLOW temp linked to .seqlog",
    ("capture/files.py", "_legacy_counter"): "an old .seq counter: O_NOFOLLOW|O_NONBLOCK, fstat",
    ("capture/files.py", "_next_from_block"): "O_CREAT|O_EXCL block files (no fcntl platforms)",
    ("capture/redact.py", "_config_redaction"): "the user's config file, not under a root",
    ("core/config.py", "load_config"): "the user's config file, not under a root",
    ("cli/tail.py", "tail_cmd"): "os.devnull for a closed stdout",
    ("cli/init_ci.py", "init_ci_cmd"): "the user's repository (workflow files), not a root",
    ("integrations/otlp_json.py", "import_otlp"): "the export file the user names",
    ("core/storage/factories.py", "write_fixture"): "test factory writing a fresh tmp root",
    ("core/storage/factories.py", "make_run_dir"): "test factory writing a fresh tmp root",
    (
        "core/export.py",
        "export_test",
    ): "the test module and fixture the user asks for, in their repo",
    ("cli/init_ci.py", "_detected_spec"): "pip's direct_url.json of the installed package",
    (
        "ui/screens/main_actions.py",
        "action_open_external",
    ): "an exclusive mkstemp file in the system temp dir for $PAGER/$EDITOR, not under a root",
    ("cli/export.py", "export_dataset_cmd"): "the output file the user names (-o)",
    (
        "core/alerts.py",
        "_locked",
    ): "the alert lock: O_NOFOLLOW|O_NONBLOCK, regular file, flock only",
}


def _file_opens() -> list[tuple[str, str, int, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scopes: list[tuple[ast.AST, str]] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                scopes.extend((child, node.name) for child in ast.walk(node))
        owner = {id(child): name for child, name in scopes}  # innermost wins (walk order)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name):  # a bare name: only the builtin and imported openers
                name = func.id if func.id in BARE_OPENERS else None
            else:
                name = getattr(func, "attr", None)
            if name not in OPENERS:
                continue
            found.append((rel, owner.get(id(node), "<module>"), node.lineno, name))
    return found


def test_every_file_open_is_safe_or_explained() -> None:
    unexplained = [
        f"{rel}:{line} {name}() in {func}"
        for rel, func, line, name in _file_opens()
        if rel not in SAFE_HELPERS and (rel, func) not in ALLOWED
    ]
    assert unexplained == [], (
        "file opens outside the safe helpers (use forensics_tui.capture.safe_io / "
        "core.storage.safe_read, or add an explained entry to ALLOWED):\n" + "\n".join(unexplained)
    )


def test_the_allowlist_has_no_stale_entries() -> None:
    used = {(rel, func) for rel, func, _, _ in _file_opens()}
    assert sorted(set(ALLOWED) - used) == []


def test_the_scan_sees_opens() -> None:
    """The scanner itself works: it finds the safe helpers' own opens."""
    assert any(rel == "capture/safe_io.py" for rel, *_ in _file_opens())
