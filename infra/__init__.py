"""Persistence adapters: settings, embedded/external PostgreSQL, the hash-chained recorder."""
