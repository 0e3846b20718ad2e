"""The optional TOML configuration file, read with the standard library.

``$XDG_CONFIG_HOME/forensics-tui/config.toml`` (``~/.config/...``), or ``$FORENSICS_CONFIG``.
Every setting has a safe default, so the tool works with no file at all; a broken file is
reported as a clear ``ConfigError`` rather than a traceback.

Sections and keys::

    [redaction]   extra_keys = [...], extra_patterns = [...], enabled = true
    [diff]        ignore = ["ts", "request_id", ...]     # volatile field names
    [live]        stale_after_s = 600
    [reexec]      allow_hosts = [...], python_modules = [...], mcp_commands = [...],
                  timeout_s = 10,
                  max_response_bytes = 10485760
    [reexec.secrets]  "replay.headers.Authorization" = "NOTIFY_TOKEN"
                      (or = {env = "NOTIFY_TOKEN", hosts = ["api.notify.example"]})
    [patterns]    min_runs = 3
    [volatile]    tool_name = ["field", ...], "*" = [...]   # more volatile fields per tool
    [keys]        action_id = "key"                       # remap TUI bindings by id
    [ui]          timezone = "local"                      # or "UTC", "Europe/Paris"
    [filters]     name = "status:fail tool:send_*"        # saved TUI filters, used as @name
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensics_tui.capture.paths import config_path

__all__ = ["DEFAULT_VOLATILE_FIELDS", "Config", "ConfigError", "config_path", "load_config"]

DEFAULT_VOLATILE_FIELDS: tuple[str, ...] = (
    "ts",
    "timestamp",
    "time",
    "date",
    "created_at",
    "updated_at",
    "ended_at",
    "started_at",
    "duration_ms",
    "elapsed_ms",
    "request_id",
    "requestId",
    "x-request-id",
    "trace_id",
    "traceId",
    "span_id",
    "etag",
)


class ConfigError(Exception):
    """The configuration file exists but cannot be used; the message says why."""


@dataclass(slots=True)
class Config:
    redaction_enabled: bool = True
    redaction_extra_keys: list[str] = field(default_factory=list)
    redaction_extra_patterns: list[str] = field(default_factory=list)
    diff_ignore: list[str] = field(default_factory=lambda: list(DEFAULT_VOLATILE_FIELDS))
    stale_after_s: float = 600.0
    reexec_allow_hosts: list[str] = field(default_factory=list)
    reexec_python_modules: list[str] = field(default_factory=list)
    reexec_mcp_commands: list[str] = field(default_factory=list)
    reexec_secrets: dict[str, str] = field(default_factory=dict)
    reexec_secret_hosts: dict[str, list[str]] = field(default_factory=dict)
    reexec_timeout_s: float = 10.0
    reexec_max_response_bytes: int = 10 * 1024 * 1024
    patterns_min_runs: int = 3
    keys: dict[str, str] = field(default_factory=dict)
    volatile_by_tool: dict[str, list[str]] = field(default_factory=dict)  # [volatile], "*" = all
    timezone: str = "local"
    filters: dict[str, str] = field(default_factory=dict)
    source: Path | None = None


def _list_of_str(data: dict[str, Any], key: str, where: str) -> list[str] | None:
    if key not in data:
        return None
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}.{key} must be a list of strings")
    return list(value)


def _number(data: dict[str, Any], key: str, where: str) -> float | None:
    if key not in data:
        return None
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{where}.{key} must be a positive number")
    return float(value)


def _table(data: dict[str, Any], key: str, where: str | None = None) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{where or key}] must be a table")
    return value


def _names(data: dict[str, Any], key: str, where: str, meaning: str) -> dict[str, str]:
    """A table whose values are all strings (``meaning`` says what they name)."""
    table = _table(data, key, where)
    if not all(isinstance(v, str) for v in table.values()):
        raise ConfigError(f"[{where}] values must be {meaning}")
    return dict(table)


def _secrets(reexec: dict[str, Any]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``[reexec.secrets]``: ``"path" = "ENV_VAR"``, or ``"path" = {env = "ENV_VAR",
    hosts = ["api.example.com"]}`` to bind the secret to the hosts it may be sent to."""
    table = _table(reexec, "secrets", "reexec.secrets")
    names: dict[str, str] = {}
    hosts: dict[str, list[str]] = {}
    for path, value in table.items():
        if isinstance(value, str):
            names[path] = value
            continue
        if not isinstance(value, dict) or not isinstance(value.get("env"), str):
            raise ConfigError(
                f'[reexec.secrets] "{path}" must be an environment variable name or '
                '{env = "VAR", hosts = ["host", ...]}'
            )
        names[path] = value["env"]
        bound = _list_of_str(value, "hosts", f"reexec.secrets.{path}")
        if bound is not None:
            hosts[path] = bound
    return names, hosts


def load_config(path: Path | None = None) -> Config:
    """Read the config file; a missing file gives the defaults."""
    path = path or config_path()
    config = Config()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return config
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    config.source = path

    red = _table(data, "redaction")
    if "enabled" in red:
        config.redaction_enabled = bool(red["enabled"])
    config.redaction_extra_keys = _list_of_str(red, "extra_keys", "redaction") or []
    config.redaction_extra_patterns = _list_of_str(red, "extra_patterns", "redaction") or []

    diff = _table(data, "diff")
    ignore = _list_of_str(diff, "ignore", "diff")
    if ignore is not None:
        config.diff_ignore = ignore

    live = _table(data, "live")
    stale = _number(live, "stale_after_s", "live")
    if stale is not None:
        config.stale_after_s = stale

    reexec = _table(data, "reexec")
    config.reexec_allow_hosts = _list_of_str(reexec, "allow_hosts", "reexec") or []
    config.reexec_python_modules = _list_of_str(reexec, "python_modules", "reexec") or []
    config.reexec_mcp_commands = _list_of_str(reexec, "mcp_commands", "reexec") or []
    timeout = _number(reexec, "timeout_s", "reexec")
    if timeout is not None:
        config.reexec_timeout_s = timeout
    cap = _number(reexec, "max_response_bytes", "reexec")
    if cap is not None:
        config.reexec_max_response_bytes = int(cap)
    config.reexec_secrets, config.reexec_secret_hosts = _secrets(reexec)

    patterns = _table(data, "patterns")
    min_runs = _number(patterns, "min_runs", "patterns")
    if min_runs is not None:
        config.patterns_min_runs = int(min_runs)

    config.keys = _names(data, "keys", "keys", "key names")
    volatile = _table(data, "volatile")
    config.volatile_by_tool = {
        str(tool): _list_of_str(volatile, tool, "volatile") or [] for tool in volatile
    }
    ui = _table(data, "ui")
    zone = ui.get("timezone", "local")
    if not isinstance(zone, str) or not zone:
        raise ConfigError("ui.timezone must be a time zone name, 'local' or 'UTC'")
    config.timezone = zone
    config.filters = _names(data, "filters", "filters", "filter texts")
    return config
