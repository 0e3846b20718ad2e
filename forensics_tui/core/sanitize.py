"""Re-export of the single sanitiser, so core/CLI/UI code imports it from the core layer."""

from forensics_tui.capture.sanitize import has_unsafe, safe_line, safe_text

__all__ = ["has_unsafe", "safe_line", "safe_text"]
