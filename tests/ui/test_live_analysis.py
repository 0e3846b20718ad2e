"""Findings keep up with a live run: a steady stream of landings cannot postpone the analysis.

The analysis waits for changes to pause (bursts coalesce into one run), but at most a bounded
time after the first change it does not cover yet: a writer that never pauses still gets its
findings and run outcome marks while it writes.
"""

from __future__ import annotations

import asyncio

from forensics_tui.ui.widgets.status_line import StatusLine

from .conftest import make_app
from .fixtures_writer import write_call, write_manifest

SIZE = (120, 36)
RUN = "20260310_120000"
STREAM_S = 6.0
"""How long the stream may go on before the test gives up (the bound is 2 s, plus the work)."""


async def test_a_continuous_stream_still_gets_its_findings_during_the_stream(tmp_path) -> None:
    root = tmp_path / "fixtures"
    write_manifest(root, RUN)
    for seq in range(1, 4):
        write_call(root, RUN, seq)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        status = app.screen.query_one(StatusLine)
        loop = asyncio.get_running_loop()

        async def until(predicate, timeout: float = 10.0) -> None:
            deadline = loop.time() + timeout
            while not predicate():
                assert loop.time() < deadline, "condition not reached within the timeout"
                await pilot.pause(0.01)

        await until(lambda: status.watch_state == "watching" and app.state.answers.computed)
        await until(lambda: not app.analysis_pending)
        assert not app.findings
        # A call whose output carries an error: a soft_error finding once analysed.
        bad = write_call(root, RUN, 4, "fetch", output={"error": "upstream said no"})
        bad_id = f"{RUN}-000004"
        seq = 4
        started = loop.time()
        landed_during_stream = 0
        # The stream: each landing is written as soon as the app has taken in the one before
        # (a few ms to tens of ms apart, never a pause as long as the analysis' quiet delay).
        while bad_id not in app.findings:
            assert loop.time() - started < STREAM_S, (
                f"no findings after {STREAM_S} s of a continuous stream ({seq - 4} landings)"
            )
            seq += 1
            write_call(root, RUN, seq)
            await until(lambda n=seq: len(app.state.index) >= n)
            landed_during_stream += 1
        # Found while the writer was still writing (the loop above never paused for it).
        assert bad.exists() and landed_during_stream > 10
        kinds = {finding.kind for finding in app.findings[bad_id]}
        assert "soft_error" in kinds
