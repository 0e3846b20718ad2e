"""Re-execute one call from the TUI: show the exact request, confirm, send, show the answer.

The most dangerous action the tool has, so the dialog is explicit.  It shows the masked request
(``Request.describe()``) and its curl line exactly as the CLI does; non-idempotent requests
(POST/PUT/PATCH/DELETE, python targets) are marked and need the method (or ``yes``) typed; a
refusal is shown in place.  The typed word is matched case-insensitively (``post`` sends a
POST).  The request and the answer scroll; the prompt, its input and the hint stay pinned at the
bottom, so they are visible at 80x24 however long the request is.  Preparing and sending run in
thread workers (they read files and talk to the network); the new run then reaches the runs
pane through the watcher like any other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from forensics_tui.core.model import STATUS_COLORS, Call, Fixture, status_icon
from forensics_tui.core.sanitize import safe_line, safe_text
from forensics_tui.ui.diff_lines import diff_lines, wrap

if TYPE_CHECKING:
    from forensics_tui.ui.app import ForensicsApp

__all__ = ["ReexecScreen", "result_lines"]


def result_lines(result: Any, width: int) -> list[Text]:
    """What came back: status, the new run, verdicts, and both diffs (worker thread)."""
    lines: list[Text] = []
    head = Text("sent: ", style="bold", end="")
    head.append(
        f"{status_icon(result.status)} {safe_line(result.status)}",
        style=f"bold {STATUS_COLORS.get(result.status, 'white')}",
    )
    outcome = result.outcome
    if outcome is not None and outcome.error:
        error = outcome.error
        head.append(safe_line(f"  ({error.get('type')}: {error.get('message')})", 300))
    if outcome is not None and outcome.truncated:
        head.append("  [response truncated at the size cap]", style="yellow")
    lines.append(head)
    if result.new_call_id:
        lines.extend(wrap(safe_line(f"new run: {result.new_run_id}"), width))
        lines.extend(wrap(safe_line(f"new call: {result.new_call_id}"), width, "dim"))
        lines.extend(wrap(safe_line(f"file: {result.new_path}"), width, "dim"))
    if result.reason:
        lines.extend(wrap(safe_line(f"note: {result.reason}"), width, "yellow"))
    grade = getattr(result, "grade", None)
    if grade is not None:
        lines.extend(wrap(safe_line(f"grade: {grade.grade} ({grade.reason})"), width, "bold cyan"))
    if result.verdict:
        lines.extend(wrap(safe_line(f"vs original: {result.verdict}"), width, "bold yellow"))
    good = getattr(result.diff_last_good, "verdict", None)
    if good:
        lines.extend(wrap(safe_line(f"vs last known-good: {good}"), width, "bold yellow"))
    for title, diff in (
        ("Diff: original → re-execution", result.diff),
        ("Diff: last known-good → re-execution", result.diff_last_good),
    ):
        if diff is not None:
            lines.append(Text(""))
            lines.append(Text(title, style="bold underline", end=""))
            lines.extend(diff_lines(diff, "unified", width))
    return lines


def _joined(lines: list[Text]) -> Text:
    return Text("\n", end="").join(lines)


class ReexecScreen(ModalScreen[str | None]):
    """Confirmation, then the result; dismisses with the new call id (``o``) or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Cancel / close", id="reexec-close"),
        Binding("enter", "send", "Send (once confirmed)", id="reexec-send"),
        Binding("o", "open_new", "Open the new call", id="reexec-open"),
    ]

    def __init__(self, call: Call) -> None:
        super().__init__()
        self.call = call
        self.state = "preparing"
        """``preparing``, ``refused``, ``confirm``, ``sending``, ``done`` (tests wait on it)."""
        self.request: Any = None
        self.result: Any = None
        self._fixture: Fixture | None = None
        self._policy: Any = None

    @property
    def fapp(self) -> ForensicsApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="reexec-body"):
            with VerticalScroll(id="reexec-scroll"):
                yield Static(self._title(), id="reexec-title")
                yield Static(Text("Preparing the request…", style="dim"), id="reexec-request")
                for name in ("curl", "result"):
                    yield Static(Text(""), id=f"reexec-{name}", classes="-empty")
            yield Static(Text(""), id="reexec-warning", classes="-empty")
            word = Input(id="reexec-word")
            word.display = False
            yield word
            yield Static(Text(""), id="reexec-hint", classes="-empty")

    def _title(self) -> Text:
        call = self.call
        text = Text("Re-execute ", style="bold", end="")
        text.append(safe_line(call.tool, 60), style="bold cyan")
        text.append(f" #{call.seq}" if call.seq else "", style="dim")
        text.append(safe_line(f"  run {call.run_id}"), style="dim")
        return text

    def on_mount(self) -> None:
        body = self.query_one("#reexec-body")
        body.border_title = "Re-execute against the live endpoint"
        body.border_subtitle = "Esc: cancel"
        self.query_one("#reexec-scroll").focus()
        self._prepare()

    def _set(self, widget_id: str, text: Text) -> None:
        if self.is_attached:  # a worker may finish after the dialog was closed
            widget = self.query_one(f"#{widget_id}", Static)
            widget.update(text)
            widget.set_class(not text.plain, "-empty")

    # -- prepare (worker) -----------------------------------------------------------------
    @work(thread=True, exclusive=True, group="reexec-prepare")
    def _prepare(self) -> None:
        from forensics_tui.core.reexec import ReexecPolicy, Refused, prepare
        from forensics_tui.integrations import register_reexec_kinds

        app = self.fapp
        try:
            fixture = app.load_call(self.call)
            if not isinstance(fixture, Fixture):
                reason = getattr(fixture, "reason", None) or str(fixture)
                raise Refused(f"cannot read the fixture: {reason}")
            register_reexec_kinds()
            policy = ReexecPolicy.from_config(app.config)
            request = prepare(fixture, policy)
            curl = request.curl_line(
                timeout_s=policy.timeout_s, max_bytes=policy.max_response_bytes
            )
        except Refused as exc:
            app.call_from_thread(self._refused, str(exc))
            return
        except Exception as exc:  # anything else is a refusal too: shown, never a crash
            app.call_from_thread(self._refused, f"{type(exc).__name__}: {exc}")
            return
        app.call_from_thread(self._prepared, fixture, policy, request, curl)

    def _refused(self, reason: str) -> None:
        self.state = "refused"
        text = Text("Cannot re-execute: ", style="bold red", end="")
        text.append(safe_line(reason, 500))
        self._set("reexec-request", text)
        self._set("reexec-hint", Text("Nothing was sent.  Esc: close", style="dim"))

    def _prepared(self, fixture: Fixture, policy: Any, request: Any, curl: str) -> None:
        if not self.is_attached:
            return
        self._fixture, self._policy, self.request = fixture, policy, request
        self.state = "confirm"
        self._set("reexec-request", Text(safe_text(request.describe(), keep_newlines=True)))
        if curl:
            shown = Text("# equivalent command (secrets read from the environment):\n", end="")
            shown.stylize("dim")
            shown.append(safe_text(curl))
            self._set("reexec-curl", shown)
        if request.needs_typed_confirmation:
            word = safe_line(request.confirmation_word)
            what = f"This {request.method}" if request.kind == "http" else "This runs code and"
            warning = Text("⚠ NOT IDEMPOTENT  ", style="bold red", end="")
            warning.append(safe_line(f"{what} may change state again. Type {word} to send it."))
            self._set("reexec-warning", warning)
            box = self.query_one("#reexec-word", Input)
            box.placeholder = f"type {word} here"
            box.display = True
            box.focus()
            hint = f"Type {word} (any case) and Enter to send · Esc: cancel (nothing is sent)"
        else:
            hint = "Enter: send this request once · Esc: cancel (nothing is sent)"
        self._set("reexec-hint", Text(safe_line(hint), style="bold"))

    # -- send -----------------------------------------------------------------------------
    @on(Input.Submitted, "#reexec-word")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_send()

    def action_send(self) -> None:
        if self.state != "confirm" or self.request is None:
            return
        request = self.request
        if request.needs_typed_confirmation:
            typed = self.query_one("#reexec-word", Input).value.strip()
            word = safe_line(request.confirmation_word)
            if not request.confirmed_by(typed):
                self.app.bell()
                if typed:
                    message = f"{safe_line(typed, 40)!r} is not {word}: nothing was sent. "
                else:
                    message = "Nothing typed: nothing was sent. "
                message += f"Type {word} (any case) and press Enter, or Esc to cancel."
                self._set("reexec-hint", Text(message, style="bold red"))
                return
            self.query_one("#reexec-word", Input).disabled = True
        self.state = "sending"
        self._set("reexec-hint", Text("Sending…", style="bold cyan"))
        self.query_one("#reexec-scroll").focus()
        width = max(40, self.query_one("#reexec-body").size.width - 4)
        self._execute(width)

    @work(thread=True, exclusive=True, group="reexec-send")
    def _execute(self, width: int) -> None:
        from forensics_tui.core.reexec import execute

        app = self.fapp
        assert self._fixture is not None
        try:
            result = execute(
                self._fixture,
                self.request,
                root=app.root,
                policy=self._policy,
                analysis=app.analysis,
                diff_ignore=app.config.diff_ignore,
            )
            lines = result_lines(result, width)
        except Exception as exc:  # the send itself failed unexpectedly: say so in place
            message = safe_line(f"re-execution failed: {type(exc).__name__}: {exc}", 500)
            app.call_from_thread(self._failed, message)
            return
        app.call_from_thread(self._done, result, lines)

    def _failed(self, message: str) -> None:
        self.state = "done"
        self._set("reexec-result", Text(message, style="bold red"))
        self._set("reexec-hint", Text("Esc: close", style="dim"))

    def _done(self, result: Any, lines: list[Text]) -> None:
        self.result = result
        self.state = "done"
        if not self.is_attached:
            return
        self._set("reexec-result", _joined(lines))
        hint = "o: open the new call · Esc: close" if result.new_call_id else "Esc: close"
        self._set("reexec-hint", Text(hint, style="bold"))
        self.query_one("#reexec-body").border_subtitle = hint
        scroll = self.query_one("#reexec-scroll", VerticalScroll)
        result = self.query_one("#reexec-result")
        self.call_after_refresh(scroll.scroll_to_widget, result, top=True, animate=False)

    # -- closing --------------------------------------------------------------------------
    def action_open_new(self) -> None:
        if self.result is not None and self.result.new_call_id:
            self.dismiss(self.result.new_call_id)

    def action_close(self) -> None:
        if self.state == "sending":
            self.notify("Still sending; the result will be recorded either way.", timeout=3)
        self.dismiss(None)
