"""Widgets of the forensics TUI: line-API lists, the detail pane and its payload views."""
