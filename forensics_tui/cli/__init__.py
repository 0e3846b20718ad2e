"""Command-line interface (click); renders core results with Rich."""
