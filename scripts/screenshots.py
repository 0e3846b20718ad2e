"""Regenerate ``screenshots/*.svg`` and ``*.png`` from the app itself, over the demo data.

Runs ``forensics-tui demo --no-tui`` into a temporary root (unless ``--root`` is given), opens
the app headless with Textual's Pilot, and saves the main view, the detail view (a silent
auth failure's output) and the help screen with ``App.save_screenshot``; PNGs via cairosvg.

    python scripts/screenshots.py [--root DIR] [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZE = (130, 38)


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
        for _ in range(200):
            if getattr(app.screen, "settled", True):
                break
            await pilot.pause(0.02)
        await pilot.pause(0.1)

    def save(name: str) -> None:
        app.save_screenshot(filename=f"{name}.svg", path=str(out))
        saved.append(out / f"{name}.svg")

    async with app.run_test(size=SIZE) as pilot:
        while not app.screen.rows.rows or app.screen.query_one("#status").watch_state != "watching":
            await pilot.pause(0.05)
        await pilot.press("a")  # the interleaved stream of every run, badges included
        await settle(pilot)
        app.screen.query_one("#calls").action_last()
        await settle(pilot)
        save("main")
        # the detail view: a call with a silent-failure finding, else a failure; its Diff tab
        rows = app.screen.rows.rows
        target = next(
            (i for i, c in enumerate(rows) if c.call_id in app.findings),
            next((i for i, c in enumerate(rows) if c.status != "ok"), 0),
        )
        calls = app.screen.query_one("#calls")
        calls.follow = False
        calls.set_cursor(target)
        await settle(pilot)
        await pilot.press("enter", "6")
        await settle(pilot)
        save("detail")
        await pilot.press("question_mark")
        await settle(pilot)
        save("help")
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    root = args.root or demo_root()
    saved = asyncio.run(shoot(root, args.out))
    import cairosvg

    for svg in saved:
        cairosvg.svg2png(url=str(svg), write_to=str(svg.with_suffix(".png")))
        print(svg, svg.with_suffix(".png"))


if __name__ == "__main__":
    main()
