"""What every console page shares: the signed-in viewer, CSRF-checked forms, rendering,
running a command exactly as the JSON routes do, and waiting for one's own writes."""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect
from starlette.routing import Match, Mount

from api.console import session as sessions
from api.console.messages import CODES, domain_message, validation_message
from api.console.session import Session
from api.console.templating import ENVIRONMENT
from api.documents import excel
from api.http import commands, scoping
from api.http.command_routes import MOUNTED, message_of
from api.http.deps import BOOTSTRAP_ADMIN_ID, ServicesDep, account_actor
from api.http.errors import STATUS_OF_CODE, ApiError
from api.runtime.bootstrap import Services
from api.runtime.waiting import TooManyWaits
from domain.accounts import hash_token
from domain.actors import Actor
from domain.commands import CommandResult
from domain.errors import DomainError, NotFound
from domain.messages import REGISTRY
from domain.messages import Command as Message
from domain.vocabulary import Role, UnitStatus
from infra.console_sessions import is_open
from projections.base import ProjectionLagging, ReadModelView
from projections.paging import InvalidCursor, Page

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")
Text = Annotated[str | None, Query(max_length=200)]  # a page's query parameter

INSPECTORS = frozenset({Role.INSPECTOR})
ORGANISERS = frozenset({Role.INSPECTOR, Role.ADMIN})  # as domain.registry.ORGANISERS
REPORTERS = frozenset({Role.INSPECTOR, Role.UNIT})  # as api.http.deps.Reporter
AUTHORITIES = frozenset({Role.AUTHORITY})
AUDITORS = frozenset({Role.AUDITOR, Role.ADMIN})

# Scripts and styles only from the service itself (the vendored files), no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
VERSION = re.compile(r"[0-9]{1,18}")  # a record form's hidden version (record_page)
# The console's largest form: a round's conclusion, a result for each of up to 2,000 targets.
MAX_FORM_FIELDS = 2_100
# Paths that belong to the API and the operations endpoints, never answered with a page.
NOT_CONSOLE = ("/api/", "/docs", "/openapi.json", "/healthz", "/readyz", "/metrics")
# A page's query parameter: the form the visitor sent was not (no session), so the page,
# shown after signing in again, asks for it again (base.html).
UNSENT = "unsent"
MAX_NEXT = 500  # the longest `next` the sign-in page takes (api/console/auth.py NextPath)
# The page of the form that makes a new record, by the path it posts to (`creation_routes`).
NEW_RECORD_FORMS: dict[str, str] = {}


def is_console_path(path: str) -> bool:
    return not path.startswith(NOT_CONSOLE)


class SignInRequired(Exception):
    """No valid session: the visitor goes to the sign-in page (and comes back after)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageError(Exception):
    """A page that cannot be shown (404, 403): an error page in Chinese."""

    def __init__(self, status: int, message: str, viewer: Viewer | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.viewer = status, message, viewer


class FormError(Exception):
    """A command that was refused: its Chinese reason is shown beside its form."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class Viewer:
    """The signed-in account with its session."""

    actor: Actor
    session: Session
    services: Services
    lagging: bool = False

    @property
    def role(self) -> Role:
        return self.actor.role

    @property
    def account_id(self) -> UUID | None:
        """The viewer's account (None for the bootstrap administrator, who has none)."""
        try:
            return UUID(self.actor.id)
        except ValueError:
            return None

    def unread(self) -> int | None:
        """How many of the viewer's notifications are unread (the navigation's 消息中心)."""
        account = self.account_id
        return None if account is None else self.services.notifications.unread(account)

    def may(self, roles: Iterable[Role]) -> bool:
        return self.actor.role in roles

    def require(self, roles: Iterable[Role]) -> None:
        if not self.may(roles):
            raise PageError(403, f"您的账号（{self.role.label}）无权访问此页面或进行此操作。", self)


@dataclass
class Form:
    """A posted urlencoded form (already CSRF-checked)."""

    fields: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return (self.fields.get(name) or [""])[0].strip()

    def optional(self, name: str) -> str | None:
        return self.get(name) or None

    def getlist(self, name: str) -> list[str]:
        return [v.strip() for v in self.fields.get(name, []) if v.strip()]

    def values(self) -> dict[str, str]:
        """What was typed, to fill the form in again after a refusal."""
        return {name: self.get(name) for name in self.fields}


def console_key(request: Request, services: Services) -> bytes:
    key: bytes | None = getattr(request.app.state, "console_session_key", None)
    if key is None:
        key = sessions.session_key(services.key())
        request.app.state.console_session_key = key
    return key


def read_session(request: Request, services: Services) -> Session | None:
    return sessions.decode(request.cookies.get(sessions.COOKIE), console_key(request, services))


def actor_for(services: Services, token_hash: str) -> Actor | None:
    """The active account with this token hash, or the bootstrap admin (as api.http.deps does)."""
    bootstrap = services.settings.bootstrap_admin_token
    if bootstrap is not None and hmac.compare_digest(
        hash_token(bootstrap.get_secret_value()), token_hash
    ):
        return Actor(id=BOOTSTRAP_ADMIN_ID, name="初始管理员", role=Role.ADMIN)
    return account_actor(services, token_hash)


def get_viewer(request: Request, services: ServicesDep) -> Viewer:
    """The signed-in viewer: a valid cookie whose server-side session is still open, of an
    account that is still active. The actor is kept on the request for the read-access log
    (api/http/read_access.py), as the API's authentication keeps it."""
    session = read_session(request, services)
    signed_in = session.signed_in_as if session else None
    actor = None
    if signed_in is not None and is_open(services.database, *signed_in):
        actor = actor_for(services, signed_in[1])
    if session is None or actor is None:
        if request.method not in ("GET", "HEAD"):  # a form: back to the page it was on
            raise SignInRequired(form_page(request))
        raise SignInRequired(
            request.url.path + (f"?{request.url.query}" if request.url.query else "")
        )
    request.state.actor = actor
    return Viewer(actor, session, services)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


def is_page(request: Request, path: str) -> bool:
    """Whether `path` is a page of the console a browser may be sent back to: a GET route of
    the console (not the sign-in page, not the API)."""
    if not is_console_path(path) or path == "/signin" or local_path(path, "") != path:
        return False
    scope = {"type": "http", "method": "GET", "path": path, "root_path": ""}
    return any(
        not isinstance(route, Mount) and route.matches(scope)[0] is Match.FULL
        for route in request.app.router.routes
    )


def page_of(request: Request, path: str) -> str | None:
    """The nearest page at or above `path` but the dashboard: `/findings/{id}/progress` (a
    form's action, which takes POST alone) is the finding's page, `/inbox/{id}/read` the
    inbox."""
    while path not in ("", "/"):
        if is_page(request, path):
            return path
        path = path.rpartition("/")[0]
    return None


def form_page(request: Request) -> str:
    """Where a form sent without a session (signed out, or expired) comes back to after
    signing in: the page it was on, never its action (a path that takes POST alone would
    answer 405 to the browser's GET), with the UNSENT notice. The page is the Referer's when
    it is of this origin: a console page with its query (less an earlier notice), or the
    page above it (a refused form's page is shown at its action); else the page the form's
    action stands under (see `record_routes`; a new record's form, its own page); else the
    dashboard."""
    back: str | None = None
    referer = urlsplit(request.headers.get("referer", ""))
    if (referer.scheme, referer.netloc) == (request.url.scheme, request.url.netloc):
        if is_page(request, referer.path):
            kept = [(k, v) for k, v in parse_qsl(referer.query) if k not in ("done", UNSENT)]
            back = referer.path + (f"?{urlencode(kept)}" if kept else "")
        else:
            back = page_of(request, referer.path)
    back = back or NEW_RECORD_FORMS.get(request.url.path) or page_of(request, request.url.path)
    back = back or "/"
    target = back + ("&" if "?" in back else "?") + f"{UNSENT}=1"
    if len(target) > MAX_NEXT:  # the sign-in page would refuse it: the page without its query
        target = back.partition("?")[0] + f"?{UNSENT}=1"
    return target if len(target) <= MAX_NEXT else f"/?{UNSENT}=1"


def viewer_if_signed_in(request: Request) -> Viewer | None:
    """The viewer, for a page drawn outside a route (an error page), or None when nobody
    is signed in: a signed-in viewer keeps the navigation on the error page."""
    try:
        return get_viewer(request, request.app.state.services)
    except SignInRequired:
        return None
    except Exception as error:  # the page is still drawn, without the navigation
        log.warning("error page drawn without its viewer", extra={"error": repr(error)})
        return None


async def posted_form(request: Request, viewer: ViewerDep) -> Form:
    """The form of a POST, refused (403) unless it carries the session's CSRF token."""
    form = await parse_form(request)
    if not viewer.session.csrf_matches(form.get("csrf_token")):
        raise PageError(
            403, "页面已过期或来源不明（安全校验未通过），请刷新页面后重新提交。", viewer
        )
    return form


async def parse_form(request: Request) -> Form:
    """A urlencoded form of at most MAX_FORM_FIELDS fields (more: a 400 page, never a 500;
    its size is bounded by the body limit, 413). A browser that leaves before its form has
    arrived whole gets the API's answer to the same, a 400 (which nobody reads): nothing was
    recorded, and it is not the service's error."""
    try:
        body = await request.body()
    except ClientDisconnect:
        raise PageError(400, "表单未完整送达，请重新提交。") from None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Form()
    try:
        return Form(
            parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, errors="strict")
        )
    except UnicodeDecodeError:  # a field's %-escapes are not UTF-8 (a lone surrogate too)
        raise PageError(
            400, "表单含有无法识别的字符（不是有效的 UTF-8 文本），请检查后重新提交。"
        ) from None
    except ValueError:
        raise PageError(
            400, f"表单字段过多（最多 {MAX_FORM_FIELDS} 项），请刷新页面后重新提交。"
        ) from None


FormDep = Annotated[Form, Depends(posted_form)]


def render(
    request: Request,
    template: str,
    viewer: Viewer | None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page (or, for an htmx request of a fragment, the fragment) in Chinese."""
    page = ENVIRONMENT.get_template(template).render(
        request=request,
        viewer=viewer,
        csrf_token=viewer.session.csrf if viewer else context.pop("csrf_token", ""),
        path=request.url.path,
        htmx=request.headers.get("HX-Request") == "true",
        **context,
    )
    return HTMLResponse(
        page, status_code=status, headers={**SECURITY_HEADERS, "Vary": "HX-Request"}
    )


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def local_path(target: str | None, default: str = "/") -> str:
    """Only a path on this site (never //host or a scheme): no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def sign_in_url(next_path: str) -> str:
    return "/signin" + ("" if next_path == "/" else f"?next={quote(next_path, safe='')}")


def wait_for_own_writes(viewer: Viewer, *views: ReadModelView) -> None:
    """Read-your-writes: wait until the read models show the viewer's last command; when
    they lag, the page is shown anyway with a notice instead of failing."""
    timeout = viewer.services.settings.read_wait_seconds
    for view in views:
        try:
            view.wait_for(viewer.session.seen or None, timeout)
        except ProjectionLagging:
            viewer.lagging = True
            return


def behind(services: Services, names: tuple[str, ...]) -> int | None:
    """The head of the log, if any of the read models `names` has not processed it yet."""
    head = services.head()
    if all(services.views[name].position() >= head for name in names):
        return None
    return head


async def waited_for(services: Services, names: tuple[str, ...], head: int, waiter: str) -> bool:
    """Wait until the read models `names` have processed `head`, as `min_position` does
    (api/runtime/waiting.py: no thread held, at most `waiting_reads_per_account` waits per
    `waiter`, `read_wait_seconds` at most); False when they do not in time, or when `waiter`
    already holds its waits."""
    try:
        await services.positions.wait(names, head, services.settings.read_wait_seconds, waiter)
    except (ProjectionLagging, TooManyWaits):
        return False
    return True


def validated(schema: type[M], data: Mapping[str, Any], form: str | None = None) -> M:
    """`data` checked by `schema`; a refusal names the fields as the form `form` calls them."""
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise FormError(422, validation_message(error, form)) from None


def perform(
    request: Request,
    viewer: Viewer,
    form: Form,
    body: BaseModel | None,
    command: Callable[..., CommandResult],
    action: str | None = None,
) -> dict[str, Any]:
    """Run a command the way the JSON routes run it (the same application method, the same
    idempotency: the form's one-time key makes a double submission record nothing twice);
    answer {id, version, position}, or raise a FormError in Chinese (naming fields as the
    form posted to `action` labels them)."""
    key = form.get("form_key")
    try:
        answer = commands.run(
            viewer.services,
            request,
            viewer.actor,
            key if FORM_KEY.match(key) else None,
            body,
            command,
        )
    except DomainError as error:
        status = STATUS_OF_CODE.get(error.code, 422)
        raise FormError(status, domain_message(error, action)) from None
    except ApiError as error:
        raise FormError(error.status, CODES.get(error.code, "操作未能完成，请重试。")) from None
    except ProjectionLagging:
        raise FormError(503, "数据正在同步，请稍后重试。") from None
    result: dict[str, Any] = json.loads(bytes(answer.body))
    return result


def after_command(
    request: Request, viewer: Viewer, answer: dict[str, Any], target: str
) -> Response:
    """Back to the page (303), the session remembering the position just written."""
    response = redirect(target)
    sessions.store(
        response,
        request,
        viewer.session.after(int(answer["position"])),
        console_key(request, viewer.services),
    )
    return response


def unit_names(services: Services) -> dict[str, str]:
    return {u["code"]: u["name"] for u in excel.every(services.directory.units)}


def visible_units(viewer: Viewer, active_only: bool = False) -> list[dict[str, Any]]:
    """The units the viewer may pick (a unit account: its own and those merged into it)."""
    units = list(excel.every(viewer.services.directory.units))
    if viewer.role is Role.UNIT:
        own = {viewer.actor.unit_code, *viewer.actor.unit_scope}
        units = [u for u in units if u["code"] in own]
    if active_only:
        units = [u for u in units if u["status"] == UnitStatus.ACTIVE.value]
    return units


def one_page(viewer: Viewer | None, fetch: Callable[[], Page]) -> Page:
    """A page of a list; a cursor that is not the list's own is a 400 page."""
    try:
        return fetch()
    except InvalidCursor:
        raise PageError(400, "翻页参数无效，请从第一页重新浏览。", viewer) from None


def listing(
    request: Request,
    viewer: Viewer,
    templates: tuple[str, str],
    scope: tuple[str, ...] | None,
    fetch: Callable[[tuple[str, ...]], Page],
    filters: Mapping[str, Any],
    **context: Any,
) -> HTMLResponse:
    """A list page with its filters (`templates`: the page, and its rows alone, which an htmx
    request gets): one page of what `fetch` finds in the units of `scope` (as
    api.http.scoping gives it: () is every unit; NOTHING, none, so nothing is fetched)."""
    page = Page([], None) if scope is scoping.NOTHING else one_page(viewer, lambda: fetch(scope))
    return render(
        request,
        templates[1] if request.headers.get("HX-Request") else templates[0],
        viewer,
        items=page.items,
        next_cursor=page.next_cursor,
        filters={k: v for k, v in filters.items() if v is not None},
        names=unit_names(viewer.services),
        **context,
    )


# How a form fills a field of a command's body (a FormCommand's `fields`).
Reader = Callable[[Form, str], Any]
TEXT: Reader = Form.get  # what was typed ("" when blank: the schema refuses a required one)
OPTIONAL: Reader = Form.optional  # None when blank (a date, a choice that may be left out)
EVERY: Reader = Form.getlist  # every value ticked


@dataclass(frozen=True)
class FormCommand:
    """A console form that sends the registered command `message` as its JSON route does: the
    form fills the route's body (each field read as `fields` says), checked by the route's
    schema, and the route makes the command of it (api/http/command_routes.py), whose record
    is the page's (none: a new record), carried out by `Supervision.handle` (see `perform`);
    a FormError, with the reason in Chinese, if refused. `link`: a field of the body that
    lists the page's record."""

    message: type[Message]
    fields: Mapping[str, Reader]
    link: str | None = None
    # Fields of the route's path besides the record's, read from the form (a milestone's
    # number): the form names which part of the page's record it acts on.
    path: Mapping[str, Reader] = field(default_factory=dict)

    def run(
        self,
        request: Request,
        viewer: Viewer,
        form: Form,
        record_id: UUID | None = None,
        action: str | None = None,
    ) -> dict[str, Any]:
        """Validate the form (posted to `action`) and send its command."""
        data = {name: read(form, name) for name, read in self.fields.items()}
        route = MOUNTED[self.message]
        if self.link is not None:
            data[self.link] = [record_id]
        body = validated(route.body, data, action)
        app, actor = viewer.services.app, viewer.actor
        record = REGISTRY[self.message].record_field
        in_path = {record: record_id} if record is not None else {}
        in_path |= {name: read(form, name) for name, read in self.path.items()}
        # The version of the record the page showed, as the JSON route's If-Match: a form
        # sent from a page someone else's change has made stale is refused, not applied.
        seen = VERSION.fullmatch(form.get("version") or "")
        expected = int(seen[0]) if seen and record is not None and record_id else None

        def command(**save_kwargs: Any) -> CommandResult:
            sent = message_of(self.message, route, body, **in_path)
            return app.handle(sent, actor=actor, expected_version=expected, **save_kwargs)

        return perform(request, viewer, form, body, command, action)


# Who, in which statuses, what.
Offered = tuple[frozenset[Role], tuple[Any, ...], FormCommand]


def offered(viewer: Viewer, actions: Mapping[str, Offered], status: Any) -> list[str]:
    """The actions a record's page offers the viewer in the record's status (the domain checks
    both again when the command runs)."""
    return [
        action
        for action, (roles, statuses, _) in actions.items()
        if viewer.may(roles) and status in statuses
    ]


def command_of(viewer: Viewer, actions: Mapping[str, Offered], action: str) -> FormCommand:
    """The command a record's form posts to `action` sends, if the viewer may send it."""
    if action not in actions:
        raise PageError(404, "页面不存在。", viewer)
    roles, _, command = actions[action]
    viewer.require(roles)
    return command


@dataclass(frozen=True)
class Refusal:
    """A record's form whose command was refused: its action, the reason in Chinese, what was
    typed (to fill the form in again) and the page's status."""

    action: str
    message: str
    values: dict[str, str]
    status: int


def record_of(viewer: Viewer, load: Callable[..., R], record_id: str, missing: str) -> R:
    """The record `load` finds by the id in a page's path, as the viewer may see it; a bad
    id, or a record that is not there for the viewer, is the page's 404 saying `missing`."""
    try:
        return load(UUID(record_id), viewer=viewer.actor)
    except (ValueError, NotFound):
        raise PageError(404, missing, viewer) from None


def out_of_sight(
    viewer: Viewer, finding_ids: Iterable[Any], listed_by: ReadModelView | None = None
) -> set[str]:
    """Of these findings (ids), those whose page the viewer may not open, so a page that
    names them links none of them: to a unit account, the findings that lie with none of its
    units now, passed on by a 转办 or a split's 转隶 (their page answers it 404, as any other
    unit's); to any other role, none. Where they lie is the board's (the record's unit), read
    once the board has caught up with `listed_by`, the read model the page lists them from,
    so that a finding just passed to the unit is not taken for one out of its sight."""
    if viewer.role is not Role.UNIT:
        return set()
    ids = {UUID(str(finding_id)) for finding_id in finding_ids}
    if not ids:
        return set()
    board = viewer.services.board
    if listed_by is not None:
        try:
            board.wait_for(listed_by.position(), viewer.services.settings.read_wait_seconds)
        except ProjectionLagging:
            viewer.lagging = True
    lying = board.units_of(ids)
    return {str(f) for f, unit in lying.items() if not viewer.actor.covers_unit(unit)}


def record_page(
    request: Request,
    template: str,
    viewer: Viewer,
    actions: list[str],
    refusal: Refusal | None,
    version: int,
    **context: Any,
) -> HTMLResponse:
    """A record's page, at `version`, with the forms of the `actions` it offers the viewer:
    a refused form shows its reason and what was typed; a form the page no longer offers (the
    record moved on meanwhile) has its reason shown above the record; every form gets a fresh
    one-time key and the version the page shows."""
    return render(
        request,
        template,
        viewer,
        status=refusal.status if refusal else 200,
        actions=actions,
        refused=refusal.message if refusal and refusal.action not in actions else None,
        errors={refusal.action: refusal.message} if refusal else {},
        values={refusal.action: refusal.values} if refusal else {},
        form_key=secrets.token_urlsafe(24),
        record_version=version,
        names=unit_names(viewer.services),
        **context,
    )


def act(
    request: Request,
    viewer: Viewer,
    form: Form,
    actions: Mapping[str, Offered],
    action: str,
    record_id: UUID,
    again: Callable[[Refusal], Response],
    target: Callable[[dict[str, Any]], str] | None = None,
) -> Response:
    """A record's form posted to `action` (`<record's page>/<action>`): its command is sent
    (see FormCommand.run) and the browser goes on to `target(answer)`, by default back to the
    record's page with the notice of what was done; a refusal shows the record's page
    `again`, the reason beside the form."""
    command = command_of(viewer, actions, action)
    try:
        answer = command.run(request, viewer, form, record_id, action)
    except FormError as error:
        return again(Refusal(action, error.message, form.values(), error.status))
    if target is None:
        page = request.url.path.rpartition("/")[0]
        return after_command(request, viewer, answer, f"{page}?done={action}")
    return after_command(request, viewer, answer, target(answer))


RecordPage = Callable[..., Response]  # (request, viewer, record id, refusal=None) -> the page


def record_routes(
    router: APIRouter,
    path: str,
    page: RecordPage,
    load: Callable[[Viewer, str], Any],
    actions: Mapping[str, Offered],
) -> None:
    """A record's page at GET `path` (ending in the record's id, `/rulings/{ruling_id}`: the
    read-access log knows a page by its template) and its forms at POST `path/<action>`:
    each sends its command (see `act`), a refusal shown beside its form."""
    name = path.rpartition("{")[2].rstrip("}")

    @router.get(path)
    def show(request: Request, viewer: ViewerDep) -> Response:
        return page(request, viewer, request.path_params[name])

    @router.post(path + "/{action}")
    def command(request: Request, action: str, viewer: ViewerDep, form: FormDep) -> Response:
        record_id = request.path_params[name]
        again = partial(page, request, viewer, record_id)
        return act(request, viewer, form, actions, action, load(viewer, record_id).id, again)


def creation_form(
    request: Request,
    viewer: Viewer,
    template: str,
    values: Mapping[str, Any],
    refusal: FormError | None = None,
    **context: Any,
) -> HTMLResponse:
    """The form that makes a new record (发现问题, 启动督查活动): the units the viewer may
    pick, what was typed (or the defaults), and the refusal's reason if it was refused."""
    return render(
        request,
        template,
        viewer,
        status=refusal.status if refusal else 200,
        units=visible_units(viewer, active_only=True),
        error=refusal.message if refusal else None,
        values=values,
        form_key=secrets.token_urlsafe(24),
        **context,
    )


# (request, viewer, refused=None, form=None) -> the creation form: what was typed (or the
# defaults) and the refusal's reason
CreationPage = Callable[..., Response]


def creation_routes(
    router: APIRouter,
    path: str,
    roles: Iterable[Role],
    page: CreationPage,
    command: FormCommand,
    done: Callable[[str], str],
) -> None:
    """The form that makes a new record at GET `path/new` and its POST to `path`, for `roles`
    alone: the command sent, then on to `done(the new record's id)`; a refusal shows the form
    again, with what was typed and the reason. (Register it before `path/{id}`.)"""
    action = path.rsplit("/", 1)[-1]  # a refusal names fields as this form does (FIELDS_OF_FORM)
    NEW_RECORD_FORMS[path] = path + "/new"

    @router.get(path + "/new")
    def new(request: Request, viewer: ViewerDep) -> Response:
        viewer.require(roles)
        return page(request, viewer)

    @router.post(path)
    def make(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
        viewer.require(roles)
        try:
            answer = command.run(request, viewer, form, action=action)
        except FormError as error:
            return page(request, viewer, error, form=form)
        return after_command(request, viewer, answer, done(str(answer["id"])))
