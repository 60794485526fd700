"""`supervision commands`: every registered command (domain/messages.py) from the command line.

`list` shows what the registry holds (name, who may send it, where HTTP clients POST it);
`send NAME field=value …` checks the fields with the command's HTTP body schema and sends the
message as the command-line administrator, answering what the HTTP route answers.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Annotated, Any, get_type_hints

import typer
from pydantic import TypeAdapter, ValidationError

commands_cli = typer.Typer(
    help="List the registered commands, or send one (as the command-line administrator).",
    no_args_is_help=True,
)
log = logging.getLogger("supervision.cli")
PATH_FIELD = re.compile(r"{(\w+)}")


def registry() -> dict[str, Any]:
    """Every registered command by name, with the HTTP route each is served by."""
    import api.main  # noqa: F401  (its route modules mount every command)
    from domain.messages import BY_NAME

    return dict(BY_NAME)


@commands_cli.command("list")
def list_commands(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object a line")] = False,
) -> None:
    """Every command the service takes: its name, roles, HTTP path and what it does."""
    for name, entry in sorted(registry().items()):
        roles = [role.value for role in entry.roles]
        path = f"POST /api/v1{entry.path}" if entry.path else "(no HTTP path)"
        summary = entry.doc.splitlines()[0] if entry.doc else ""
        if as_json:
            line = {"name": name, "roles": roles, "path": path, "doc": summary}
            typer.echo(json.dumps(line, ensure_ascii=False))
        else:
            typer.echo(f"{name:34} {','.join(roles):28} {path}\n    {summary}")


def parsed_pairs(pairs: list[str]) -> dict[str, Any]:
    """`field=value` pairs: a value that reads as JSON (a number, a list, an object) is taken
    as JSON, anything else as text."""
    fields: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"{pair!r} is not field=value", param_hint="FIELDS")
        try:
            fields[name] = json.loads(text)
        except json.JSONDecodeError:
            fields[name] = text
    return fields


@commands_cli.command("send")
def send(
    name: Annotated[str, typer.Argument(help="the command's name (see `commands list`)")],
    fields: Annotated[
        list[str] | None, typer.Argument(help="field=value pairs, the path's fields included")
    ] = None,
    expected_version: Annotated[
        int | None, typer.Option(min=1, help="refuse if the record has moved on (409)")
    ] = None,
) -> None:
    """Send a registered command as the command-line administrator; prints its answer.

    Example: supervision commands send escalate_finding finding_id=<id> reason=提级督办"""
    from api.cli.main import load_settings
    from api.http.command_routes import MOUNTED, message_of
    from api.runtime.bootstrap import build
    from domain.actors import Actor
    from domain.errors import DomainError
    from domain.vocabulary import Role

    entries = registry()
    if name not in entries:
        raise typer.BadParameter(f"no command {name!r} (see `commands list`)", param_hint="NAME")
    entry = entries[name]
    route = MOUNTED.get(entry.command)
    if route is None:
        raise typer.BadParameter(f"{name} has no HTTP route to check its fields", param_hint="NAME")
    given = parsed_pairs(fields or [])
    hints = get_type_hints(entry.command)
    in_path = PATH_FIELD.findall(entry.path or "")
    try:
        path_values = {f: TypeAdapter(hints[f]).validate_python(given.pop(f)) for f in in_path}
        body = route.body.model_validate(given)
    except KeyError as missing:
        raise typer.BadParameter(f"{name} needs {missing.args[0]}=…", param_hint="FIELDS") from None
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise typer.BadParameter(problems, param_hint="FIELDS") from None
    message = message_of(entry.command, route, body, **path_values)
    services = build(load_settings(), one_shot=True)
    actor = Actor(id="cli", name="命令行管理员", role=Role.ADMIN)
    try:
        result = services.app.handle(message, actor=actor, expected_version=expected_version)
    except DomainError as error:
        typer.echo(f"error: {error.code}: {error.message}", err=True)
        raise typer.Exit(2) from None
    finally:
        services.close()
    log.info("command_sent", extra={"command": name, "id": str(result.id)})
    answer = {"id": str(result.id), "version": result.version, "position": result.position}
    typer.echo(json.dumps(answer))
