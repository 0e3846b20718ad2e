"""Optional adapters that capture tool calls from HTTP clients, MCP and agent frameworks."""


def register_reexec_kinds() -> None:
    """Add the replay kinds that live above the core (``mcp``) to the re-execution registry.

    Called by every front end (CLI, TUI) before it prepares a request; cheap and idempotent.
    """
    try:
        from forensics_tui.integrations.mcp_reexec import register
    except ImportError:
        return
    register()
