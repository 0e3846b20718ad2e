"""The demo's story: a history of sync-inventory runs covering every silent failure, then a live run.

History, oldest first (each a real agent run against the real local service):

1-2. healthy
3.   ``fetch_stock`` times out                         -> ⏱, run failed
4.   the records API rejects the token (401)           -> ✗ on every batch, run failed
5.   batch 2 gets HTTP 200 ``{"error": "token_expired"}`` -> ✓ but auth expiry, run "ok"
6.   the warehouse API changes shape (``qty`` → ``quantity``, a string) -> schema drift, and
     the agent silently upserts zero quantities, run "ok"
7.   batch 3 is rate limited (429, Retry-After) and skipped -> ⊘, run still "ok"
8-10. the notification webhook answers 503 three runs in a row -> a recurring failure; these
     runs (and the live one) are agent version 1.5.0, the earlier ones 1.4.0, so the history
     of ``send_notification`` shows its onset with the version change

Then the live run: written call by call with think time, in flight (◌) while the user watches;
its notification fails once more.  Afterwards the service is healthy, so re-executing a failed
call shows what the endpoint says now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from forensics_tui.capture import Recorder
from forensics_tui.demo.agent import AGENT, TASK, run_sync_inventory
from forensics_tui.demo.service import DemoService, Fault

__all__ = ["HISTORY", "LIVE_FAULTS", "Step", "live_recorder", "run_history", "run_live"]


OLD_VERSION, NEW_VERSION = "1.4.0", "1.5.0"


@dataclass(frozen=True, slots=True)
class Step:
    label: str
    faults: dict[str, Fault]
    version: str = OLD_VERSION  # the ``agent_version`` run label


HISTORY: tuple[Step, ...] = (
    Step("healthy", {}),
    Step("healthy", {}),
    Step("stock API timeout", {"stock": Fault("timeout", delay_s=1.5)}),
    Step("records API 401", {"upsert": Fault("unauthorized")}),
    Step("token expired behind HTTP 200", {"upsert": Fault("token_expired", frozenset({2}))}),
    Step("stock API schema drift", {"stock": Fault("schema_drift")}),
    Step("batch 3 rate limited and skipped", {"upsert": Fault("rate_limited", frozenset({3}))}),
    Step("notify webhook 503", {"notify": Fault("unavailable")}, NEW_VERSION),
    Step("notify webhook 503", {"notify": Fault("unavailable")}, NEW_VERSION),
    Step("notify webhook 503", {"notify": Fault("unavailable")}, NEW_VERSION),
)
LIVE_FAULTS: dict[str, Fault] = {"notify": Fault("unavailable")}


def _recorder(root: Path, label: str, version: str = NEW_VERSION) -> Recorder:
    labels = {"scenario": label, "agent_version": version}
    return Recorder(root, agent=AGENT, task=TASK, labels=labels)


def run_history(
    service: DemoService, root: Path, *, on_run: Callable[[str, str, str], None] | None = None
) -> list[str]:
    """Write the history runs; returns their run ids, oldest first."""
    run_ids = []
    for step in HISTORY:
        recorder = _recorder(root, step.label, step.version)
        with service.faults(step.faults):
            outcome = run_sync_inventory(recorder, service.base_url, service.token)
        run_ids.append(recorder.run_id)
        if on_run is not None:
            on_run(recorder.run_id, step.label, outcome)
    return run_ids


def live_recorder(root: Path) -> Recorder:
    """The recorder of the live run, so a caller knows its run id before it starts."""
    return _recorder(root, "live")


def run_live(
    service: DemoService,
    root: Path,
    *,
    think_s: float = 0.8,
    latency_s: float = 0.6,
    on_call: Callable[[str, str], None] | None = None,
    recorder: Recorder | None = None,
) -> str:
    """Write the live run slowly enough to watch; leaves the service healthy afterwards."""
    recorder = recorder or live_recorder(root)
    service.latency_s = latency_s
    try:
        with service.faults(LIVE_FAULTS):
            run_sync_inventory(
                recorder, service.base_url, service.token, think_s=think_s, on_call=on_call
            )
    finally:
        service.latency_s = 0.0
    return recorder.run_id
