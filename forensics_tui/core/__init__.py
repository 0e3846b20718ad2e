"""Pure domain layer: model, loading, store, watcher and analysis. No Textual, no Rich."""
