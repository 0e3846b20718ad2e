"""The Recorder: turns tool calls into fixture files under ``<root>/<run_id>/``.

Everything agents use (``tool_checkpoint``, ``@checkpoint``, ``checkpointed``) ends here.  One
call is one file, written atomically; a call with a start and an end is first written as
``pending`` and then replaced in place.  The recorder never raises into the agent: a failed
write warns once and is counted in ``Recorder.dropped``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import threading
import time
import warnings
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from forensics_tui.capture.calls import CallHandle, context_parent, epoch_of, error_info
from forensics_tui.capture.files import (
    SeqCounter,
    atomic_write,
    create_file,
    ensure_private_dir,
    fixture_name,
    slugify,
)
from forensics_tui.capture.format import (
    FORMAT_VERSION,
    ORIGINAL_STATUS_KEY,
    call_status,
    run_status,
)
from forensics_tui.capture.jsonio import uses_orjson
from forensics_tui.capture.manifest import Manifest
from forensics_tui.capture.paths import env_run_id, new_run_id, resolve_root
from forensics_tui.capture.process import current_pid
from forensics_tui.capture.redact import Redactor
from forensics_tui.capture.safe_io import open_dir
from forensics_tui.capture.serialize import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    check_plain,
    clean,
    dumps,
    iso_utc,
    prepare,
    truncated_marker,
)

__all__ = ["Recorder"]

FORMAT = FORMAT_VERSION
_FAILED = frozenset({"error", "timeout"})
_RUN_ID_BAD = re.compile(r"[^A-Za-z0-9_.-]+")
_PAYLOADS = ("input", "output", "error", "replay", "meta")
_CLAIM_TRIES = 64  # taken names in a row before a write gives up (a foreign writer racing us)
_NULL = b"null"
# ``record``'s fixture from bytes (``_record_plain``): the dict path's fields, in its order.
_TEMPLATE = (
    b'%06d","seq":%d,"tool":%s,"status":%s,"input":%s,"output":%s,"error":%s,"ts":"%s",'
    b'"ended_at":"%s","duration_ms":%s,"replay":%s,"redacted":[],"meta":%s}'
)
_TEMPLATE_MAX = len(_TEMPLATE) + 32  # with two seqs of up to 12 digits


def _tool_name(tool: Any, redactor: Redactor | None = None) -> str:
    """``str(tool)``, or a placeholder when even that raises: nothing may raise into the agent.
    Secrets in it are redacted: a URL path's bot token becomes the tool name and file name."""
    if isinstance(tool, str):
        name = tool
    else:
        try:
            name = str(tool)
        except Exception:
            return f"<unprintable {type(tool).__name__}>"
    return redactor.scrub_name(name) if redactor is not None else name


def _safe_run_id(run_id: Any) -> str:
    text = _RUN_ID_BAD.sub("_", str(run_id)).lstrip(".")[:128]
    return text or new_run_id()


class Recorder:
    """Writes one run's fixtures and its ``run.json`` manifest.  Creating one touches no disk.

    ``root`` defaults to ``$FORENSICS_FIXTURE_DIR`` (else the XDG state dir) and ``run_id`` to
    ``$FORENSICS_RUN_ID`` / ``$RUN_ID`` (else a new sortable id).  ``agent``, ``task`` and
    ``labels`` go into the manifest.  ``redaction`` replaces the default ``Redactor()``;
    ``redact=False`` turns redaction off.  Values over ``max_bytes`` or deeper than
    ``max_depth`` are replaced by truncation markers.  Thread-safe; several processes may
    share one run.
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        run_id: str | None = None,
        *,
        agent: str | None = None,
        task: str | None = None,
        labels: dict[str, Any] | None = None,
        redact: bool = True,
        redaction: Redactor | None = None,
        write_manifest: bool = True,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> None:
        self.root = resolve_root(root)
        with contextlib.suppress(OSError):  # a later chdir must not move the fixtures
            self.root = self.root.absolute()
        self.run_id = _safe_run_id(run_id or env_run_id() or new_run_id())
        self.run_dir = self.root / self.run_id
        self.redactor: Redactor | None = None
        if redact:
            self.redactor = redaction if redaction is not None else Redactor()
            if not self.redactor.enabled:
                self.redactor = None
        self.dropped = 0
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        import socket  # here, not at import time: ``import forensics_tui.capture`` stays cheap

        self.host = socket.gethostname()
        self.agent = agent
        self._dir = str(self.run_dir)
        # The run directory, opened at the first write: first files are created in it by
        # descriptor (no path walked per call; a run directory swapped for a symlink later does
        # not redirect them).  Every descriptor opened stays open until the recorder is
        # collected: a thread may still be creating a file through one when another replaces it.
        self._dir_fd: int | None = None
        self._dir_fds: list[int] = []
        self._counter = SeqCounter(self.run_dir)
        self._manifest = Manifest(self, agent, task, labels) if write_manifest else None
        self._lock = threading.Lock()
        self._created = time.time()
        self._started = False
        self._atexit_registered = False
        self._warned = False
        self._failures = 0
        self._checked_slugs: dict[str, str] = {}
        self._head_bytes = b'{"format":%d,"run_id":"%s","call_id":"%s-' % (
            FORMAT,
            self.run_id.encode(),  # ``_safe_run_id``: [A-Za-z0-9_.-], nothing to escape
            self.run_id.encode(),
        )
        self._json_texts: dict[str, bytes] = {}
        self._meta_head: tuple[int, bytes] = (0, b"")

    # -- public API ---------------------------------------------------------------------

    def record(
        self,
        tool: Any,
        input: Any,
        output: Any = None,
        status: str = "ok",
        *,
        error: Any = None,
        replay: Any = None,
        duration_ms: float | None = None,
        meta: Any = None,
        ts: Any = None,
    ) -> Path | None:
        """Write one final fixture in one write; returns its path, or None if it was dropped."""
        try:
            ended = time.time()
            if ts is not None:
                started = epoch_of(ts)
            elif duration_ms:
                started = ended - float(duration_ms) / 1000.0
            else:
                started = ended
            if duration_ms is None and ts is not None:
                duration_ms = round((ended - started) * 1000.0, 3)
            if error is not None:
                error = error_info(error)
            plain = self._all_plain(input, output, error, replay, meta)
            if plain and not uses_orjson():  # stdlib json: bytes beat a dict (orjson: not)
                path = self._record_plain(
                    tool, input, output, status, error, replay, duration_ms, meta, started, ended
                )
                if path is not None:
                    return path
            if plain:  # nothing to convert or redact
                meta, redacted = self._meta_dict(meta), []
            else:
                input, output, error, replay, meta, redacted = self._prepare(
                    input, output, error, replay, meta
                )
            status, original = call_status(status)
            if original is not None:  # "success", "failed"...: mapped, the agent's word kept
                meta = {**meta, ORIGINAL_STATUS_KEY: original}
            started_text = iso_utc(started)
            fixture = {
                "format": FORMAT,
                "run_id": self.run_id,
                "call_id": None,
                "seq": None,
                "tool": _tool_name(tool, self.redactor),
                "status": str(status),
                "input": input,
                "output": output,
                "error": error,
                "ts": started_text,
                "ended_at": started_text if ended == started else iso_utc(ended),
                "duration_ms": None if duration_ms is None else float(duration_ms),
                "replay": replay,
                "redacted": redacted,
                "meta": meta,
            }
            path = self._write_new(fixture, None, started)
            if fixture["status"] in _FAILED:
                self._failures += 1
            return path
        except Exception as exc:
            self._drop(exc)
            return None

    def _record_plain(
        self,
        tool: Any,
        input: Any,
        output: Any,
        status: Any,
        error: Any,
        replay: Any,
        duration_ms: Any,
        meta: Any,
        started: float,
        ended: float,
    ) -> Path | None:
        """``record`` of payloads ``_all_plain`` passed: the fixture is assembled from the
        payloads' JSON and cached bytes instead of being built as a dict and encoded whole.
        None when the dict path must decide (over the size cap, a non-finite duration)."""
        status, original = call_status(status)
        if duration_ms is None:
            duration = _NULL
        else:
            number = float(duration_ms)
            if number - number != 0.0:  # NaN or infinity
                return None
            duration = float.__repr__(number).encode()
        if meta is None and original is None:
            meta_bytes = self._default_meta()
        else:
            merged = self._meta_dict(meta)
            if original is not None:  # "success", "failed"...: mapped, the agent's word kept
                merged[ORIGINAL_STATUS_KEY] = original
            meta_bytes = dumps(merged)
        name = _tool_name(tool, self.redactor)
        started_text = iso_utc(started).encode()
        fields = (
            self._json_text(name),
            self._json_text(str(status)),
            _NULL if input is None else dumps(input),
            _NULL if output is None else dumps(output),
            _NULL if error is None else dumps(error),
            started_text,
            started_text if ended == started else iso_utc(ended).encode(),
            duration,
            _NULL if replay is None else dumps(replay),
            meta_bytes,
        )
        if sum(map(len, fields)) + len(self._head_bytes) + _TEMPLATE_MAX > self.max_bytes:
            return None  # the dict path caps each payload
        head = self._head_bytes

        def render(seq: int) -> bytes:
            return head + _TEMPLATE % (seq, seq, *fields)

        path = self._write_first(name, render, None, started)
        if status in _FAILED:
            self._failures += 1
        return path

    def call_id_of(self, path: Path) -> str:
        """The ``call_id`` of a fixture this recorder wrote (``record`` returns its path)."""
        return f"{self.run_id}-{path.name.split('_', 1)[0]}"

    def _json_text(self, text: str) -> bytes:
        """JSON of a tool name or a status, cached: they repeat."""
        data = self._json_texts.get(text)
        if data is None:
            data = dumps(text)
            if len(self._json_texts) < 4096:
                self._json_texts[text] = data
        return data

    def _default_meta(self) -> bytes:
        """``_meta_dict(None)`` as JSON: host, pid and agent cached, the parent call added."""
        pid = current_pid()
        cached_pid, head = self._meta_head
        if cached_pid != pid:  # the first call, or a forked child
            fields: dict[str, Any] = {"host": self.host, "pid": pid}
            if self.agent:
                fields["agent"] = self.agent
            head = dumps(fields)[:-1]
            self._meta_head = (pid, head)
        parent = context_parent()
        if parent is None:
            return head + b"}"
        return head + b',"parent_call":' + dumps(parent) + b"}"

    def start_call(
        self,
        tool: Any,
        input: Any,
        *,
        replay: Any = None,
        meta: Any = None,
        pending: bool = True,
        reserve: bool = False,
    ) -> CallHandle:
        """Write the ``pending`` fixture of a call that is starting; finish it on the handle.

        ``pending=False`` prepares the call without writing: ``write_pending(handle)`` writes
        the pending fixture later (a call still running after a while), and a call finished
        first is written once, as its final fixture (its seq taken when it is written).
        ``reserve=True`` (with ``pending=False``) takes the seq now, so the handle's
        ``call_id`` can be handed to nested calls before anything is written."""
        handle = CallHandle(self, _tool_name(tool, self.redactor), b"null", [])
        try:
            if self._all_plain(input, replay, meta):  # one scan for all three fields
                handle._input = self._encode_field(input)
                handle._replay = (replay, [])
                handle._meta = (self._meta_dict(meta), [])
            else:
                value, handle._redacted = self._prep(input, "input")
                handle._input = self._encode_field(value)
                handle._replay = self._prep(replay, "replay")
                handle._meta = self._prep_meta(meta)
            if pending:
                self._write_new(
                    self._head(handle, "pending", None, None, None, []), handle, handle._ts
                )
            elif reserve:
                if not self._started:
                    self._ensure_started(handle._ts)
                seq = self._counter.next()
                handle.seq, handle.call_id = seq, f"{self.run_id}-{seq:06d}"
        except Exception as exc:
            self._drop(exc)
        return handle

    def write_pending(self, handle: CallHandle) -> None:
        """The ``pending`` fixture of a call started with ``pending=False``, unless it is already
        written or the call finished; callers keep this and ``finish`` from running at once."""
        try:
            if handle._done or handle.path is not None:
                return
            self._first_write(self._head(handle, "pending", None, None, None, []), handle)
        except Exception as exc:
            self._drop(exc)

    def set_label(self, key: str, value: Any) -> None:
        """Label this run (``agent_version``, ``model``...) in ``run.json``; never raises."""
        if self._manifest is not None:
            self._manifest.set_label(key, value)

    def set_tool_definition(self, name: str, definition: Any) -> None:
        """Record a tool's definition (schema, description) in ``run.json``; never raises."""
        if self._manifest is not None:
            self._manifest.set_tool(name, definition)

    def end(self, status: str | None = None) -> None:
        """Mark the run ended in ``run.json`` (``failed`` if any call failed, else ``ok``)."""
        try:
            if self._manifest is not None and self._started:
                final = run_status(status)[0] if status else ("failed" if self._failures else "ok")
                self._manifest.end(final)
        except Exception as exc:
            self._drop(exc)

    # -- internals ----------------------------------------------------------------------

    def _prep(self, value: Any, base: str) -> tuple[Any, list[str]]:
        if value is None:
            return None, []
        return prepare(value, self.redactor, base, max_depth=self.max_depth, max_str=self.max_bytes)

    def _prep_meta(self, meta: Any) -> tuple[dict[str, Any], list[str]]:
        value, paths = self._prep(meta, "meta")
        return self._meta_dict(value), paths

    def _meta_dict(self, value: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"host": self.host, "pid": current_pid()}
        if self.agent:
            out["agent"] = self.agent
        parent = context_parent()
        if parent is not None:
            out["parent_call"] = parent
        if isinstance(value, dict):
            out.update(value)
        elif value is not None:
            out["value"] = value
        return out

    def _all_plain(self, *values: Any) -> bool:
        """True when every value is plain JSON with nothing to redact or cap: one walk over
        them all and one secret scan of their strings, instead of one per field."""
        red = self.redactor
        strings: list[str] = []
        try:  # ``values`` is walked as a container one level above the payloads
            check_plain(values, -1, self.max_depth, strings, red)
            return clean(strings, red, self.max_bytes)
        except Exception:  # not plain JSON, or a secret-looking key: take the full walk
            return False

    def _prepare(self, input: Any, output: Any, error: Any, replay: Any, meta: Any) -> tuple:
        """The payloads converted and redacted, and the paths redacted in them."""
        redacted: list[str] = []
        out = []
        for name, value in (("input", input), ("output", output), ("error", error)):
            value, paths = self._prep(value, name)
            out.append(value)
            redacted += paths
        replay, paths = self._prep(replay, "replay")
        redacted += paths
        meta, paths = self._prep_meta(meta)
        return (*out, replay, meta, redacted + paths)

    def _head(
        self, handle: CallHandle, status: str, output: Any, error: Any, ended: Any, paths: list
    ) -> dict:
        """A handle's fixture without ``input`` (spliced in as bytes encoded at the start)."""
        return {
            "format": FORMAT,
            "run_id": self.run_id,
            "call_id": handle.call_id,
            "seq": handle.seq,
            "tool": handle.tool,
            "status": status,
            "output": output,
            "error": error,
            "ts": iso_utc(handle._ts),
            "ended_at": None if ended is None else iso_utc(ended),
            "duration_ms": None,
            "replay": handle._replay[0],
            "redacted": handle._redacted + paths + handle._replay[1] + handle._meta[1],
            "meta": handle._meta[0],
        }

    def _finish(
        self, handle: CallHandle, output: Any, status: Any, error: Any, replay: Any, meta: Any
    ) -> Path | None:
        ended = time.time()
        duration = handle._duration
        if duration is None:
            duration = round((time.perf_counter() - handle._t0) * 1000.0, 3)
        error = error_info(error)
        if self._all_plain(output, error, replay, meta):  # nothing to convert or redact
            out_paths: list[str] = []
            err_paths: list[str] = []
            out, err = output, error
            if replay is not None:
                handle._replay = (replay, [])
            prepared_meta: Any = (meta, [])
        else:
            out, out_paths = self._prep(output, "output")
            err, err_paths = self._prep(error, "error")
            if replay is not None:
                handle._replay = self._prep(replay, "replay")
            prepared_meta = self._prep(meta, "meta") if meta is not None else None
        if meta is not None:
            extra, extra_paths = prepared_meta
            merged = dict(handle._meta[0])
            merged.update(extra if isinstance(extra, dict) else {"value": extra})
            handle._meta = (merged, handle._meta[1] + extra_paths)
        status, original = call_status(status)
        fixture = self._head(handle, status, out, err, ended, out_paths + err_paths)
        if original is not None:  # "success", "failed"...: mapped, the agent's word kept
            fixture["meta"] = {**fixture["meta"], ORIGINAL_STATUS_KEY: original}
        fixture["duration_ms"] = duration
        if fixture["status"] in _FAILED:
            self._failures += 1
        seq = handle.seq
        if handle.path is None or seq is None:  # nothing written yet: the call's first file
            return self._first_write(fixture, handle)
        name = fixture_name(seq, self._slug(handle.tool))
        self._write(name, self._encode(fixture, handle._input))
        handle.path = self._child(name)
        return handle.path

    def _slug(self, tool: str) -> str:
        slug = self._checked_slugs.get(tool)
        if slug is None:
            slug = slugify(tool)
            real_dir = os.path.realpath(self._dir)
            final = os.path.realpath(os.path.join(self._dir, fixture_name(1, slug)))
            if os.path.dirname(final) != real_dir:  # cannot happen with a clean slug
                raise ValueError(f"fixture path escapes the run directory: {final}")
            if len(self._checked_slugs) < 4096:
                self._checked_slugs[tool] = slug
        return slug

    def _write_new(self, fixture: dict, handle: CallHandle | None, start: float) -> Path:
        """Allocate a seq and write a call's first file from its fixture dict."""
        raw_input = handle._input if handle is not None else None
        run_id = self.run_id

        def render(seq: int) -> bytes:
            fixture["seq"], fixture["call_id"] = seq, f"{run_id}-{seq:06d}"
            return self._encode(fixture, raw_input)

        return self._write_first(fixture["tool"], render, handle, start)

    def _first_write(self, fixture: dict, handle: CallHandle) -> Path:
        """A call's first file: at the seq it holds (``_write_reserved``), else a new one."""
        if handle.seq is None:
            return self._write_new(fixture, handle, handle._ts)
        return self._write_reserved(fixture, handle)

    def _write_reserved(self, fixture: dict, handle: CallHandle) -> Path:
        """A call's first file at the seq it was given at start (``reserve``, or a first write
        that failed): created, never replacing an entry.  If that name was taken meanwhile (a
        writer outside the counter) or the run directory vanished, the next free seq is used,
        and the call gets a new ``call_id``."""
        seq = handle.seq
        assert seq is not None
        name = fixture_name(seq, self._slug(handle.tool))
        fixture["seq"], fixture["call_id"] = seq, handle.call_id
        try:
            create_file(self._dir, name, self._encode(fixture, handle._input), dir_fd=self._dir_fd)
        except (FileExistsError, FileNotFoundError):
            return self._write_new(fixture, handle, handle._ts)
        handle.path = self._child(name)
        return handle.path

    def _write_first(
        self, tool: str, render: Callable[[int], bytes], handle: CallHandle | None, start: float
    ) -> Path:
        """Allocate a seq and write a call's first file, ``render(seq)``, under a name nobody
        holds: the counter makes names unique, and the file is created exclusively, never
        renamed over a name, so a writer that does not share the counter (another version of this
        package) is never overwritten: a taken name costs the next seq.  One retry if the run
        directory vanished."""
        slug = self._slug(tool)
        vanished = False
        for _ in range(_CLAIM_TRIES):
            if not self._started:
                self._ensure_started(start)
            seq = self._counter.next()
            name = fixture_name(seq, slug)
            data = render(seq)
            if handle is not None:
                handle.seq, handle.call_id = seq, f"{self.run_id}-{seq:06d}"
            try:
                create_file(self._dir, name, data, dir_fd=self._dir_fd)
            except FileExistsError:
                continue
            except FileNotFoundError:
                if vanished:
                    raise
                vanished = True
                self._started = False  # the run directory was deleted under us
                self._counter.reset()
                continue
            path = self._child(name)
            if handle is not None:
                handle.path = path
            return path
        raise FileExistsError(f"{_CLAIM_TRIES} fixture names in a row were taken in {self._dir}")

    def _child(self, name: str) -> Path:
        # ``run_dir / name`` re-parses both parts; a checked slug needs no parsing.
        make = getattr(self.run_dir, "_make_child_relpath", None)
        return make(name) if make is not None else self.run_dir / name

    def _write(self, name: str, data: bytes) -> None:
        atomic_write(self._dir, name, data)

    def _encode_field(self, value: Any) -> bytes:
        try:
            data = dumps(value)
        except Exception:  # mutated under us, or a type the fast check let through
            data = dumps(prepare([value], self.redactor)[0][0])
        if len(data) > self.max_bytes:
            data = dumps(truncated_marker(data, reason="size"))
        return data

    def _encode(self, fixture: dict, raw_input: bytes | None) -> bytes:
        try:
            data = dumps(fixture)
        except Exception:
            for name in _PAYLOADS:
                if name in fixture:
                    fixture[name] = prepare([fixture[name]], self.redactor)[0][0]
            data = dumps(fixture)
        if len(data) > self.max_bytes:
            for name in _PAYLOADS:
                if name in fixture:
                    fixture[name] = _capped(fixture[name], self.max_bytes)
            data = dumps(fixture)
        if raw_input is not None:
            data = data[:-1] + b',"input":' + raw_input + b"}"
        return data

    def _ensure_started(self, first_call: float) -> None:
        """Create the run directory and claim the manifest, at the run's first write."""
        with self._lock:
            if self._started:
                return
            ensure_private_dir(self.run_dir)
            self._open_dir()
            if self._manifest is not None:
                self._manifest.start(min(self._created, first_call))
            self._started = True
            if not self._atexit_registered:
                self._atexit_registered = True
                atexit.register(self._at_exit)

    def _open_dir(self) -> None:
        if os.open not in os.supports_dir_fd:  # Windows: by path
            return
        try:
            fd = open_dir(self._dir)
        except OSError:
            self._dir_fd = None
            return
        if not self._dir_fds:
            weakref.finalize(self, _close_all, self._dir_fds)
        self._dir_fds.append(fd)
        self._dir_fd = fd

    def _at_exit(self) -> None:
        # Quietly: at interpreter exit nobody can act on a warning (the run dir may be gone).
        if self._manifest is not None and not self._manifest.ended:
            with contextlib.suppress(Exception):
                self._manifest.end("failed" if self._failures else "ok")

    def _drop(self, exc: BaseException) -> None:
        with self._lock:
            self.dropped += 1
            warn, self._warned = not self._warned, True
        if warn:
            with contextlib.suppress(Exception):
                warnings.warn(
                    f"forensics-tui: could not write a fixture to {self.run_dir} "
                    f"({type(exc).__name__}: {exc}); further failures are only counted",
                    RuntimeWarning,
                    stacklevel=3,
                )


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)
    fds.clear()


def _capped(value: Any, limit: int) -> Any:
    try:
        data = dumps(value)
    except Exception:
        return value
    return truncated_marker(data, reason="size") if len(data) > limit else value
