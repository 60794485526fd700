"""Read models built from the one event log: one module per projection, handlers and queries."""
