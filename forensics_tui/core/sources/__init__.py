"""Sources: where the store's fixtures come from (a local root, NATS JetStream, or SSH).

:func:`open_source` turns a parsed ``--source`` into a :class:`~.base.Source`; every source
feeds the store the same deltas (see :mod:`.base`).  NATS and SSH support import lazily, so a
local root needs neither the ``fleet`` extra nor an ``ssh`` binary.
"""

from __future__ import annotations

from pathlib import Path

from forensics_tui.core.sources.base import Batch, HostState, Source, SourceError
from forensics_tui.core.sources.spec import SourceSpec, SourceSpecError, parse_source

__all__ = [
    "Batch",
    "HostState",
    "Source",
    "SourceError",
    "SourceSpec",
    "SourceSpecError",
    "open_source",
    "parse_source",
]


def open_source(
    spec: SourceSpec | list[SourceSpec],
    *,
    mirror_root: Path | None = None,
    creds: str | None = None,
    tls_ca: str | None = None,
) -> Source:
    """A (not yet started) source for ``spec``; several ``ssh://`` specs are multiplexed."""
    specs = spec if isinstance(spec, list) else [spec]
    if len(specs) > 1:
        if any(s.kind != "ssh" for s in specs):
            raise SourceSpecError("only ssh:// sources can be repeated")
        from forensics_tui.core.sources.ssh import SshSource

        return SshSource(specs, mirror_root=mirror_root)
    first = specs[0]
    if first.kind == "local":
        from forensics_tui.core.sources.local import LocalSource

        assert first.path is not None
        return LocalSource(first.path)
    if first.kind == "nats":
        from forensics_tui.core.sources.nats_conn import NatsOptions
        from forensics_tui.core.sources.nats_source import NatsSource

        options = NatsOptions.from_env(first.url, creds, tls_ca)
        return NatsSource(options, first.stream, mirror_root=mirror_root, label=first.label)
    from forensics_tui.core.sources.ssh import SshSource

    return SshSource([first], mirror_root=mirror_root)
