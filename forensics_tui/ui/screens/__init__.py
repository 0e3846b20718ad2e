"""Screens of the forensics TUI: the main view and the help screen."""
