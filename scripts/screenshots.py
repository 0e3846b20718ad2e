"""Regenerate ``screenshots/*.svg`` and ``*.png`` from the app itself, over the demo data.

Runs ``forensics-tui demo --no-tui`` into a temporary root (unless ``--root`` is given), opens
the app headless with Textual's Pilot, and saves the main view, the detail view (the Diff tab of
the latest failing call), the patterns, compare, history and help screens with ``App.save_screenshot``;
PNGs via cairosvg.

Textual's SVGs ask for "Fira Code" (a web font the SVG does not embed).  For the PNGs, cairosvg
would fall back to a *proportional* font and cut or overlap runs ("FOLLO", "^pComm|ands"), so
the PNGs are drawn in DejaVu Sans Mono (Debian: ``fonts-dejavu-core``) with every text run
stretched to exactly its cells, and the one glyph DejaVu lacks (``⏱``) in Symbola (Debian:
``fonts-symbola``).  The script refuses to write PNGs with missing fonts.  The SVGs themselves
are left as Textual wrote them (a browser shows them with its own fonts).

    python scripts/screenshots.py [--root DIR] [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZE = (130, 38)
MONO_FONT = "DejaVu Sans Mono"
FALLBACK_GLYPHS = "\u23f1"  # ⏱: not in DejaVu Sans Mono
FALLBACK_FONT = "Symbola"
GLYPHS = "✓✗⏱⊘◌⚠⚑★‼≡▌↻│─╭╮╰╯…⏎▁▔"
"""Every glyph the app draws; each must be in ``MONO_FONT`` or ``FALLBACK_FONT``."""


def demo_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="ftui-shots-")) / "fixtures"
    subprocess.run(
        [sys.executable, "-m", "forensics_tui", "demo", "--no-tui", "--dir", str(root),
         "--think", "0"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return root


async def shoot(root: Path, out: Path) -> list[Path]:
    from forensics_tui.ui.app import ForensicsApp

    app = ForensicsApp(root, root_label="demo fixtures")
    saved: list[Path] = []

    async def settle(pilot) -> None:
        await pilot.pause(0.05)  # let the last key's messages schedule their work first
        for _ in range(300):
            screen = app.screen
            if getattr(screen, "settled", True) and getattr(screen, "loaded", True):
                break
            await pilot.pause(0.02)
        await pilot.pause(0.1)

    def save(name: str) -> None:
        app.save_screenshot(filename=f"{name}.svg", path=str(out))
        saved.append(out / f"{name}.svg")

    async with app.run_test(size=SIZE) as pilot:
        while not app.screen.rows.rows or app.screen.query_one("#status").watch_state != "watching":
            await pilot.pause(0.05)
        while not app.findings:
            await pilot.pause(0.05)
        await pilot.press("a")  # the interleaved stream of every run, badges included
        await settle(pilot)
        app.screen.query_one("#calls").action_last()
        await settle(pilot)
        save("main")
        # the detail view: the newest run's failing call, on its Diff tab
        main = app.screen
        main.state.set_scope(main.runs.order[0].run_id)
        await settle(pilot)
        rows = main.rows.rows
        target = next((i for i, c in enumerate(rows) if c.status != "ok"), len(rows) - 1)
        calls = main.query_one("#calls")
        calls.follow = False
        calls.set_cursor(target)
        await settle(pilot)
        await pilot.press("enter", "6")
        await settle(pilot)
        save("detail")
        await pilot.press("p")
        await settle(pilot)
        save("patterns")
        await pilot.press("escape", "C")  # the run against its last known-good run
        await settle(pilot)
        save("compare")
        await pilot.press("escape", "H")  # the failing call's history and its onset
        await settle(pilot)
        save("history")
        await pilot.press("escape", "question_mark")
        await settle(pilot)
        save("help")
    return saved


def svg_for_png(svg: str) -> str:
    """``svg`` drawn in ``MONO_FONT``, each text run stretched to its cells (``textLength``
    with ``lengthAdjust``), and each of ``FALLBACK_GLYPHS`` in ``FALLBACK_FONT``."""
    svg = svg.replace('font-family: "Fira Code"', f'font-family: "{MONO_FONT}"')
    svg = svg.replace("font-family: Fira Code, monospace", f'font-family: "{MONO_FONT}"')
    svg = re.sub(r'(<text [^>]*textLength="[0-9.]+")', r'\1 lengthAdjust="spacingAndGlyphs"', svg)
    glyphs = re.compile(f"[{re.escape(FALLBACK_GLYPHS)}]")
    return glyphs.sub(lambda m: f'<tspan font-family="{FALLBACK_FONT}">{m.group(0)}</tspan>', svg)


def missing_glyphs() -> list[str]:
    """Glyphs of ``GLYPHS`` that neither font has (``fc-list :charset=…``)."""
    if shutil.which("fc-list") is None:
        return list(GLYPHS)
    missing = []
    for glyph in GLYPHS:
        query = [f":charset={ord(glyph):x}", "family"]
        families = subprocess.run(["fc-list", *query], capture_output=True, text=True).stdout
        if MONO_FONT not in families and FALLBACK_FONT not in families:
            missing.append(glyph)
    return missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args()
    missing = missing_glyphs()
    if missing:
        sys.exit(
            f"fonts missing for {''.join(missing)}: install {MONO_FONT} and {FALLBACK_FONT} "
            "(Debian: fonts-dejavu-core fonts-symbola)"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    root = args.root or demo_root()
    saved = asyncio.run(shoot(root, args.out))
    import cairosvg

    for svg in saved:
        text = svg.read_text(encoding="utf-8")
        png = svg.with_suffix(".png")
        cairosvg.svg2png(bytestring=svg_for_png(text).encode(), write_to=str(png))
        print(svg, png)


if __name__ == "__main__":
    main()
