"""HTTP API, CLI and the composition root (the outermost layer)."""
