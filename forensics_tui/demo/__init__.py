"""The embedded demo: a local fault-injecting service and an agent that calls it."""
