"""Reference models that follow a public TLA+ specification state for state."""
