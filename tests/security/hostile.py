"""A hostile fixture root: every string an attacker controls, in every place a reader looks.

``build_hostile_root(root)`` writes runs whose directory names, tool names, file names, JSON keys,
values, errors, tracebacks, replay specs and manifests carry terminal escapes (CSI, OSC 52/0/8),
BEL, CR, C1 controls, bidi overrides, zero-width characters, Rich/Textual markup, lone surrogates,
NUL, very long strings; plus a symlinked run and fixture that point outside the root, a FIFO and a
directory named like fixtures, and (optionally) a 50 MB fixture.  ``assert_terminal_safe`` is the
one check every output goes through.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "BAD_CHARS",
    "HOSTILE",
    "MARKUP",
    "OUTSIDE_MARKER",
    "HostileRoot",
    "assert_ascii_json",
    "assert_terminal_safe",
    "build_hostile_root",
    "hostile_name",
]

CSI_CLEAR = "\x1b[2J\x1b[H"
OSC52 = "\x1b]52;c;ZXZpbA==\x07"  # clipboard write
OSC0 = "\x1b]0;pwned-title\x07"  # window title
OSC8 = "\x1b]8;;http://evil.example/\x1b\\click-me\x1b]8;;\x1b\\"  # hyperlink
C1_CSI = "\x9b31m"
BIDI = "\u202egnp.exe"
ISOLATE = "\u2066iso\u2069"
ZERO_WIDTH = "a\u200bb\u200dc\u200fd"
FENCE_BREAK = "```\n# injected heading\n<script>alert(1)</script> @everyone\n````"
MARKUP = ("[bold red]x[/]", "[@click=app.quit]q[/]", "[link=file:///etc/passwd]pw[/link]")
HOSTILE = (
    CSI_CLEAR,
    OSC52,
    OSC0,
    OSC8,
    "bell\x07",
    "over\rwrite",
    C1_CSI,
    BIDI,
    ISOLATE,
    ZERO_WIDTH,
    *MARKUP,
    "nul\x00byte",
    "back\x08space\x7fdel",
    FENCE_BREAK,
    "`",
)
OUTSIDE_MARKER = "OUTSIDE_ROOT_SECRET_7f3a"

# What must never reach a terminal: C0 controls but newline, DEL, C1, bidi controls, zero-width
# and separator characters, BOM, and lone surrogates.
BAD_CHARS = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)


def hostile_name(prefix: str) -> str:
    """A file/dir name (no ``/``, so markup without closing tags, no NUL, < 255 bytes) carrying the worst of ``HOSTILE``."""
    return f"{prefix}{CSI_CLEAR}{OSC0}\x07\r{C1_CSI}\u202e\u2066\u200b[bold red]x[@click=app.quit]q"


def hostile_blob() -> dict[str, Any]:
    """A JSON payload with hostile values *and* hostile keys."""
    blob: dict[str, Any] = {f"k{i}{s}": s for i, s in enumerate(HOSTILE)}
    blob["list"] = list(HOSTILE)
    blob["nested"] = {CSI_CLEAR: {OSC52: [BIDI, {"[bold]k[/]": MARKUP[1]}]}}
    return blob


@dataclass
class HostileRoot:
    root: Path
    outside: Path
    newest_run: str  # the hostile-named run holding the weird files
    good_run: str
    hostile_tool: str
    fixture_with_replay: Path
    notes: dict[str, str] = field(default_factory=dict)


def _write(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=True), encoding="ascii")


def _fixture(run_id: str, seq: int, tool: str, status: str = "ok", **extra: Any) -> dict:
    base = {
        "format": 1,
        "run_id": run_id,
        "call_id": f"{run_id}-{seq}",
        "seq": seq,
        "tool": tool,
        "status": status,
        "input": {"q": "hello"},
        "output": {"items": [1, 2], "name": "fine"},
        "error": None,
        "ts": f"2026-04-0{min(seq, 9)}T00:00:00+00:00",
        "ended_at": None,
        "duration_ms": 12.5,
        "replay": None,
        "redacted": [],
        "meta": {},
    }
    base.update(extra)
    return base


def _manifest(run_id: str, started: str, **extra: Any) -> dict:
    return {
        "format": 1,
        "run_id": run_id,
        "started_at": started,
        "ended_at": started,
        "status": "ok",
        "agent": "agent",
        "task": "task",
        "host": "nowhere.invalid",
        "pid": 1,
        "labels": {},
        **extra,
    }


def build_hostile_root(root: Path, *, big: bool = False, raw_names: bool = False) -> HostileRoot:
    """Write the hostile corpus under ``root`` (created) and a sibling ``outside`` dir.

    ``big`` adds a 50 MB fixture; ``raw_names`` adds run and file names that are not UTF-8.
    """
    root.mkdir(parents=True, exist_ok=True)
    outside = root.parent / (root.name + "_outside")
    outside.mkdir(exist_ok=True)
    tool = "fetch" + CSI_CLEAR + OSC52 + "\u202e[bold red]x[/]"
    task = "[bold red]x[/]" + OSC0 + "\u202etask"
    err_msg = f"HTTP 503{CSI_CLEAR}{OSC8} [@click=app.quit]q[/] \r\u202e"

    # A healthy baseline (same task) and three earlier failing runs (a promoted pattern).
    good = "20260401_000000_good"
    (root / good).mkdir()
    _write(root / good / "run.json", _manifest(good, "2026-04-01T00:00:00+00:00", task=task))
    _write(root / good / "000001_fetch.json", _fixture(good, 1, tool))
    _write(root / good / "000002_post.json", _fixture(good, 2, "post" + OSC0))
    for n in (2, 3, 4):
        rid = f"2026040{n}_000000_fail"
        (root / rid).mkdir()
        _write(root / rid / "run.json", _manifest(rid, f"2026-04-0{n}T00:00:00+00:00", task=task))
        _write(root / rid / "000001_fetch.json", _fixture(rid, 1, tool))
        error = {"type": "HTTPError" + OSC0, "message": err_msg, "traceback": "Tb\x1b[2J\r\n"}
        _write(
            root / rid / "000002_post.json",
            _fixture(rid, 2, "post" + OSC0, "error", error=error, output=None),
        )

    # The newest run: hostile name, hostile manifest, every weird file.
    newest = hostile_name("20260409_000000_")
    run = root / newest
    run.mkdir()
    _write(
        run / "run.json",
        _manifest(
            newest,
            "2026-04-09T00:00:00+00:00",
            agent="[link=file:///etc/passwd]pw[/link]" + OSC8,
            task=task,
            labels={OSC52: BIDI, "[bold]l[/]": MARKUP[1]},
            host=CSI_CLEAR,
        ),
    )
    drifted = hostile_blob()
    drifted["error"] = "token_expired" + OSC52  # a silent failure: ok status, bad body
    _write(
        run / ("000001_" + hostile_name("f") + ".json"),
        _fixture(newest, 1, tool, input=hostile_blob(), output=drifted, meta=hostile_blob()),
    )
    error = {
        "type": "Boom" + CSI_CLEAR,
        "message": err_msg,
        "traceback": "Traceback:\n  File \x1b]0;t\x07\r\n" + BIDI,
    }
    _write(
        run / "000002_post.json",
        _fixture(newest, 2, "post" + OSC0, "error", error=error, output=None),
    )
    replay_spec = {
        "kind": "http",
        "method": "GET",
        "url": "http://127.0.0.1:9/p" + "%1b%5b2J?q=" + "[bold red]x[/]",
        "headers": {"X-Note": "[bold]h[/]"},
        "body": "b" + CSI_CLEAR + OSC52 + "\u202e[bold]h[/]" + FENCE_BREAK,
    }
    with_replay = run / "000003_replayable.json"
    _write(with_replay, _fixture(newest, 3, "replayable" + BIDI, replay=replay_spec))
    # Lone surrogates and NUL as JSON escapes, in values, keys and the tool name.
    (run / "000004_surrogate.json").write_bytes(
        b'{"format":1,"run_id":"r","call_id":"sur-4","seq":4,"tool":"sur\\ud800rogate",'
        b'"status":"ok","input":{"k\\udfff\\u0000":"v\\ud800\\u0000"},'
        b'"output":{"x":"\\ud800\\u001b[2J\\u0000"},"ts":"2026-04-09T00:00:04+00:00"}'
    )
    long_text = ("L" * 5000 + CSI_CLEAR) * 40
    _write(
        run / "000005_long.json",
        _fixture(newest, 5, "long" * 2000 + OSC0, output={long_text: long_text}),
    )
    os.mkfifo(run / "000006_fifo.json")
    (run / "000009_x.json").mkdir()
    (outside / "secret.json").write_text(
        json.dumps(_fixture("x", 10, "leak", output={"secret": OUTSIDE_MARKER})), encoding="ascii"
    )
    os.symlink(outside / "secret.json", run / "000010_passwd.json")
    _write(
        run / "000011_status.json",
        _fixture(newest, 11, "st", status="ok" + CSI_CLEAR, ts="2026" + OSC0),
    )
    if big:
        with open(run / "000008_big.json", "w", encoding="ascii") as fh:
            fh.write(
                '{"format":1,"run_id":"r","call_id":"big-8","seq":8,"tool":"big'
                + CSI_CLEAR.encode("unicode_escape").decode()
                + '","status":"ok",'
            )
            fh.write('"ts":"2026-04-09T00:00:08+00:00","output":"')
            chunk = "\\u001b[2J" + "B" * 1014
            for _ in range(50 * 1024):
                fh.write(chunk)
            fh.write('"}')

    # Names that are not UTF-8 (they decode to lone surrogates, U+DCxx).
    if raw_names:
        _write_raw_names(root, run)

    # A symlinked run directory that points outside the root.
    outside_run = outside / "run"
    outside_run.mkdir()
    (outside_run / "000001_leak.json").write_text(
        json.dumps(_fixture("linked", 1, "leak", output={"secret": OUTSIDE_MARKER})),
        encoding="ascii",
    )
    os.symlink(outside_run, root / "20260410_linked")

    # A legacy run with hostile fields (named <tool>_<NNN>.json; no manifest).
    legacy = root / ("legacy" + "\u202e" + OSC0)
    legacy.mkdir()
    _write(
        legacy / "search\x1b[2J_000.json",
        {
            "run_id": "other" + CSI_CLEAR,
            "tool": "search" + OSC52,
            "input": hostile_blob(),
            "output": {MARKUP[1]: MARKUP[2]},
            "status": "error",
            "ts": "2026-04-01T00:00:00" + "\r",
        },
    )
    return HostileRoot(
        root=root,
        outside=outside,
        newest_run=newest,
        good_run=good,
        hostile_tool=tool,
        fixture_with_replay=with_replay,
    )


def _write_raw_names(root: Path, run: Path) -> None:
    raw_run = os.path.join(os.fsencode(root), b"20260405_000000_bad\xff\x9b")
    os.mkdir(raw_run)
    with open(os.path.join(raw_run, b"000001_t\xff\x9b.json"), "wb") as fh:
        error = {"type": "E", "message": "boom", "traceback": ""}  # so patterns lists the run
        fh.write(json.dumps(_fixture("raw", 1, "raw", "error", error=error)).encode())
    with open(os.path.join(os.fsencode(run), b"000012_\xfe\x1b.json"), "wb") as fh:
        fh.write(json.dumps(_fixture("raw", 12, "rawname")).encode())


def assert_terminal_safe(text: str, where: str = "output") -> None:
    """No control, bidi, zero-width or surrogate character; no tracebacks or internal errors."""
    bad = BAD_CHARS.search(text)
    assert bad is None, (
        f"{where}: raw {bad.group(0)!r} at {bad.start()}: {text[max(0, bad.start() - 60) : bad.start() + 20]!r}"
    )
    assert "Traceback (most recent call last)" not in text, f"{where}: traceback\n{text[-2000:]}"
    assert "internal error" not in text, f"{where}: internal error\n{text[-2000:]}"
    assert OUTSIDE_MARKER not in text, f"{where}: content from outside the root leaked"


def assert_ascii_json(text: str, where: str = "json") -> Any:
    """``text`` is ASCII-only JSON (every non-ASCII character escaped) and parses."""
    assert text.isascii(), f"{where}: non-ASCII in JSON output"
    assert_terminal_safe(text, where)
    return json.loads(text)
