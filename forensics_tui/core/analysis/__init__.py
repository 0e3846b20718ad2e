"""The analysis side of the core: classification, baselines, findings, patterns, diffs,
post-mortems and the CI gate. Everything here reads the storage side and never writes fixtures."""
