"""督查问责 domain: aggregates, events, guards and the Supervision application (pure)."""
