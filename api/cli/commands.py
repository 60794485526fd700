"""`supervision commands`: every registered command (domain/messages.py) from the command line.

`list` shows what the registry holds (name, who may send it, where HTTP clients POST it);
`send NAME field=value …` checks the fields with the command's HTTP body schema and sends the
message as the command-line administrator, answering what the HTTP route answers. It sends
only the commands an administrator may send over HTTP: the others (a finding raised, a
ruling decided) are their roles' own acts, recorded under their accounts.
"""

from __future__ import annotations

import json
import logging
import types
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import typer
from pydantic import TypeAdapter, ValidationError

commands_cli = typer.Typer(
    help="List the registered commands, or send one (as the command-line administrator).",
    no_args_is_help=True,
)
log = logging.getLogger("supervision.cli")


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


def is_text(kind: Any) -> bool:
    """Whether a field takes text (then a value is taken as typed, `330102` included)."""
    if kind is str:
        return True
    if get_origin(kind) is Annotated:
        return is_text(get_args(kind)[0])
    if get_origin(kind) in (Union, types.UnionType):
        return any(is_text(k) for k in get_args(kind) if k is not type(None))
    return False


def parsed_pairs(pairs: list[str], kinds: dict[str, Any]) -> dict[str, Any]:
    """`field=value` pairs for the fields in `kinds`: a text field's value as typed, any other
    read as JSON where it reads so (a number, a list, an object, null), else as typed."""
    fields: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"{pair!r} is not field=value", param_hint="FIELDS")
        if name not in kinds:
            known = ", ".join(sorted(kinds))
            raise typer.BadParameter(f"no field {name!r} (fields: {known})", param_hint="FIELDS")
        fields[name] = value if is_text(kinds[name]) else json_or_text(value)
    return fields


def json_or_text(value: str) -> Any:
    """A value as JSON where it reads so; else as typed (a date, an id: the schema checks)."""
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def refusal(error: ValidationError, in_path: list[str]) -> str:
    """What was wrong with the fields, each named (a path field's error has no location)."""
    said = []
    for problem in error.errors():
        where = ".".join(map(str, problem["loc"])) or (in_path[0] if in_path else "value")
        said.append(f"{where}: {problem['msg']}")
    return "; ".join(said)


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

    Example (a command an administrator sends):
    supervision commands send rename_unit code=fgj name=县发改局 reason=更名 \
        effective_on=2026-12-01"""
    from api.cli.main import cli_actor, opened
    from api.http.command_routes import MOUNTED, message_of
    from domain.errors import DomainError
    from domain.vocabulary import Role

    entries = registry()
    if name not in entries:
        raise typer.BadParameter(f"no command {name!r} (see `commands list`)", param_hint="NAME")
    entry = entries[name]
    if Role.ADMIN not in entry.roles:
        roles = ", ".join(role.value for role in entry.roles)
        raise typer.BadParameter(
            f"{name} is sent by {roles} accounts (the API or the console), not by an administrator",
            param_hint="NAME",
        )
    route = MOUNTED.get(entry.command)
    if route is None:
        raise typer.BadParameter(f"{name} has no HTTP route to check its fields", param_hint="NAME")
    if expected_version is not None and entry.record_field is None:
        raise typer.BadParameter(f"{name} makes a new record: no version to expect")
    hints = get_type_hints(entry.command)
    in_path = entry.path_fields
    kinds = {f: hints[f] for f in in_path} | {
        f: info.annotation for f, info in route.body.model_fields.items()
    }
    given = parsed_pairs(fields or [], kinds)
    try:
        missing = [f for f in in_path if f not in given]
        if missing:
            raise typer.BadParameter(f"{name} needs {missing[0]}=…", param_hint="FIELDS")
        path_values = {
            f: TypeAdapter(hints[f]).validate_python(given.pop(f), strict=False) for f in in_path
        }
        body = route.body.model_validate(given)
        message = message_of(entry.command, route, body, **path_values)
    except ValidationError as error:
        raise typer.BadParameter(refusal(error, in_path), param_hint="FIELDS") from None
    with opened() as services:
        try:
            result = services.app.handle(
                message, actor=cli_actor(), expected_version=expected_version
            )
        except DomainError as error:
            typer.echo(f"error: {error.code}: {error.message}", err=True)
            raise typer.Exit(2) from None
    log.info("command_sent", extra={"command": name, "id": str(result.id)})
    answer = {"id": str(result.id), "version": result.version, "position": result.position}
    typer.echo(json.dumps(answer))
