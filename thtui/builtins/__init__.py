"""Solutions that ship with thtui and run with its own interpreter (no clone, env or GPU)."""
