"""The storage side of the core: safe reads under a root, the tolerant loader, format migration,
the scan, the in-memory index and store, its change events, and the file watcher."""
