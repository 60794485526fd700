"""The HTTP room: routes, request and answer schemas, errors, middleware and the command
runner behind every command route (`docs/api.md` is its contract)."""
