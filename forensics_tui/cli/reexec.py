"""``forensics-tui reexec``: send one recorded call again, after showing exactly what goes out.

The request is always shown first (masked, with an equivalent curl line).  ``--dry-run`` stops
there (exit 0), and shows the request even when a policy would refuse it, with the reason
(exit 1); ``--yes`` sends; with neither, a terminal is asked (every method but GET, HEAD and
OPTIONS needs the method typed, python targets ``yes``) and anything else sends nothing and
exits 1.  A refusal (host, scheme, missing secret, ...) exits 1 with its reason.  After a send
the exit code is 0 when the re-executed call is ok, 1 when it failed (error or timeout: the
answer is still recorded as the new fixture) or could not be sent or recorded.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from forensics_tui.cli.common import dir_option, echo_json, require_root
from forensics_tui.core.config import ConfigError, load_config
from forensics_tui.core.model import status_icon
from forensics_tui.core.sanitize import safe_line
from forensics_tui.integrations import register_reexec_kinds

__all__ = ["reexec_command"]


def _show_request(request: Any, policy: Any, err: bool) -> None:
    click.echo(request.describe(), err=err)
    curl = request.curl_line(timeout_s=policy.timeout_s, max_bytes=policy.max_response_bytes)
    if curl:
        click.echo("", err=err)
        click.echo("# equivalent command (secrets read from the environment):", err=err)
        click.echo(curl, err=err)
    click.echo("", err=err)


def _confirmed(request: Any) -> bool:
    if request.needs_typed_confirmation:
        word = request.confirmation_word
        typed = click.prompt(
            f"This {request.method} is not idempotent. Type {word} (any case) to send it",
            default="",
            show_default=False,
            err=True,
        )
        return bool(request.confirmed_by(typed))
    return click.confirm("Send this request?", default=False, err=True)


def _report(result: Any) -> None:
    outcome = result.outcome
    line = f"sent: {status_icon(result.status)} {result.status}"
    if outcome is not None and outcome.error:
        line += f" ({outcome.error.get('type')}: {outcome.error.get('message')})"
    if outcome is not None and outcome.truncated:
        line += " [response truncated at the size cap]"
    click.echo(safe_line(line))
    if result.new_call_id:
        click.echo(safe_line(f"new call {result.new_call_id} in run {result.new_run_id}"))
        click.echo(safe_line(f"file {result.new_path}"))
    if result.grade is not None:
        click.echo(safe_line(f"grade: {result.grade.grade} ({result.grade.reason})"))
    if result.verdict:
        click.echo(safe_line(f"vs original: {result.verdict}"))
    good = getattr(result.diff_last_good, "verdict", None)
    if good:
        click.echo(safe_line(f"vs last known-good: {good}"))
    if result.reason:
        click.echo(safe_line(f"note: {result.reason}"), err=True)


@click.command("reexec")
@click.argument("call_id_or_path")
@click.option("--dry-run", is_flag=True, help="Show the exact request and send nothing.")
@click.option("--yes", "-y", is_flag=True, help="Send without asking.")
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="HOST[:PORT]",
    help="Also allow this host (any port, or only PORT). Repeatable.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="Connect/read timeout in seconds (default: config [reexec] timeout_s, 10).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@dir_option
def reexec_command(
    root: Path,
    call_id_or_path: str,
    dry_run: bool,
    yes: bool,
    allow_hosts: tuple[str, ...],
    timeout: float | None,
    as_json: bool,
) -> None:
    """Re-execute CALL_ID_OR_PATH against its live endpoint and diff the result.

    Hosts come from the config ([reexec] allow_hosts), $FORENSICS_REEXEC_ALLOW_HOSTS (comma
    list) and --allow-host. Redacted secrets come from the config mapping ([reexec.secrets])
    or $FORENSICS_SECRET_<NAME>.
    """
    from forensics_tui.core.reexec import (
        FixtureNotFound,
        ReexecPolicy,
        ReexecResult,
        Refused,
        execute,
        prepare,
        preview,
        resolve_fixture,
        scanned_store,
    )

    if dry_run and yes:
        raise click.UsageError("--dry-run and --yes cannot be used together")
    register_reexec_kinds()
    by_path = Path(call_id_or_path).is_file()
    if not by_path:
        require_root(root)
    try:
        config = load_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    policy = ReexecPolicy.from_config(config, allow_hosts=allow_hosts, timeout_s=timeout)
    store = None if by_path else scanned_store(root)  # scanned once, reused for last-good
    try:
        fixture = resolve_fixture(call_id_or_path, root, store)
    except FixtureNotFound as exc:
        raise click.ClickException(safe_line(str(exc))) from None

    def finish(result: ReexecResult, code: int, message: str | None = None) -> None:
        if as_json:
            echo_json(result.to_json())
        if message:
            click.echo(safe_line(message), err=True)
        sys.exit(code)

    try:
        request = prepare(fixture, policy)
    except Refused as exc:
        shown = preview(fixture, policy) if dry_run else None
        if shown is not None and not as_json:
            _show_request(shown, policy, err=False)
        refused = ReexecResult(fixture, False, "refused", request=shown, reason=str(exc))
        word = "dry run: would be refused" if dry_run else "refused"
        finish(refused, 1, f"{word}: {exc}")
        return
    if not as_json:
        _show_request(request, policy, err=False)
    if dry_run:
        finish(ReexecResult(fixture, False, "dry_run", request=request), 0, "dry run: nothing sent")
        return
    if not yes:
        not_sent = ReexecResult(fixture, False, "not_confirmed", request=request)
        if not sys.stdin.isatty():
            finish(not_sent, 1, "not a terminal and no --yes: nothing sent")
            return
        if as_json:
            _show_request(request, policy, err=True)
        if not _confirmed(request):
            finish(not_sent, 1, "not confirmed: nothing sent")
            return
    result = execute(
        fixture, request, root=root, policy=policy, store=store, diff_ignore=config.diff_ignore
    )
    if as_json:
        echo_json(result.to_json())
    else:
        _report(result)
    if result.new_call_id is None:  # not sent, or sent but the evidence could not be written
        sys.exit(1)
    if result.status != "ok":  # the re-executed call failed (error, timeout): say so to scripts
        sys.exit(1)
