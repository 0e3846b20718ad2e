"""Optional adapters that capture tool calls from HTTP clients, MCP and agent frameworks."""
