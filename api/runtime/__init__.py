"""The runtime room: how the service runs as processes — the services a process opens
(`bootstrap`), its workers, the HTTP worker processes, the kept aggregates, the waits for
projections and the metrics. It knows nothing of HTTP routes, the console or the CLI."""
