"""Loads the demo data; every step runs once, so running it twice changes nothing."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from psycopg.sql import SQL, Identifier

from api.bootstrap import Services
from api.demo_data import ACCOUNTS, FINDINGS, UNITS, found_on
from domain.accounts import hash_token
from domain.actors import Actor
from domain.clock import today
from domain.vocabulary import Role
from infra.migrations import EVENTS_TABLE
from infra.recorder import IdempotencyRecord, idempotency_table

DEMO_NAMESPACE = uuid5(NAMESPACE_URL, "https://supervision.example/demo")
ADMIN = Actor(id="demo-loader", name="演示数据导入", role=Role.ADMIN)
INSPECTOR = Actor(id="demo-inspector", name="督查员 王敏", role=Role.INSPECTOR)
PRINCIPAL = "demo"


class DemoLoader:
    def __init__(self, services: Services, tokens_file: Path) -> None:
        self.services, self.app, self.tokens_file = services, services.app, tokens_file
        self.steps_run = 0
        self.query = SQL("SELECT 1 FROM {} WHERE principal = %s AND key = %s").format(
            Identifier(idempotency_table(EVENTS_TABLE))
        )

    def done(self, key: str) -> bool:
        with self.services.database.connect() as conn:
            return conn.execute(self.query, (PRINCIPAL, key)).fetchone() is not None

    def step(self, key: str, command: Callable[..., Any]) -> None:
        """Run `command` unless this step already committed (its record is in the same tx)."""
        if self.done(key):
            return
        command(idempotency=IdempotencyRecord(PRINCIPAL, key, "demo", 200))
        self.steps_run += 1

    def load(self) -> dict[str, str]:
        for code, name, kind in UNITS:
            self.step(
                f"unit:{code}",
                lambda code=code, name=name, kind=kind, **kw: self.app.register_unit(
                    code=code, name=name, kind=kind, actor=ADMIN, **kw
                ),
            )
        tokens = self.load_accounts()
        day = today()
        for spec in FINDINGS:
            self.load_finding(spec, day)
        return tokens

    def load_accounts(self) -> dict[str, str]:
        tokens: dict[str, str] = {}
        if self.tokens_file.exists():
            tokens = json.loads(self.tokens_file.read_text(encoding="utf-8"))
        for name, role, unit in ACCOUNTS:
            key = f"account:{name}"
            if self.done(key):
                continue
            token = "sv_" + secrets.token_urlsafe(32)
            self.step(
                key,
                lambda token=token, name=name, role=role, unit=unit, **kw: self.app.create_account(
                    token_hash=hash_token(token),
                    name=name,
                    role=Role(role),
                    unit_code=unit,
                    actor=ADMIN,
                    **kw,
                ),
            )
            tokens[name] = token
            self.tokens_file.parent.mkdir(parents=True, exist_ok=True)
            self.tokens_file.write_text(
                json.dumps(tokens, ensure_ascii=False, indent=2), encoding="utf-8"
            )
            self.tokens_file.chmod(0o600)
        return tokens

    def load_finding(self, spec: tuple[Any, ...], day: date) -> None:
        key, unit, title, description, category, severity, source, ago, path = spec
        fid: UUID = uuid5(DEMO_NAMESPACE, key)
        found = found_on(ago, day)
        self.step(
            f"{key}:raised",
            lambda **kw: self.app.raise_finding(
                finding_id=fid,
                unit_code=unit,
                title=title,
                description=description,
                category=category,
                severity=severity,
                source=source,
                found_on=found,
                evidence=[],
                actor=INSPECTOR,
                **kw,
            ),
        )
        liaison = Actor(
            id=f"demo-liaison-{unit}", name=f"{unit} 联络员", role=Role.UNIT, unit_code=unit
        )
        for n, move in enumerate(path):
            verb, _, arg = move.partition(":")
            when = found + timedelta(days=int(arg)) if arg else None
            self.step(f"{key}:{n}:{verb}", self.command(fid, verb, when, liaison))

    def command(
        self, fid: UUID, verb: str, when: date | None, liaison: Actor
    ) -> Callable[..., Any]:
        app, i = self.app, INSPECTOR
        day = when or date.today()  # only the verbs that take a date use it
        commands: dict[str, Callable[..., Any]] = {
            "order": lambda **kw: app.order_rectification(
                fid, deadline=day, requirements="限期整改到位，并报送整改材料。", actor=i, **kw
            ),
            "report": lambda **kw: app.report_rectification(
                fid,
                summary="已完成整改，相关制度已建立，台账已补齐。",
                evidence=[],
                actor=liaison,
                **kw,
            ),
            "accept": lambda **kw: app.verify_rectification(
                fid,
                outcome="accepted",
                comment="经核查整改到位，同意销号。",
                new_deadline=None,
                actor=i,
                **kw,
            ),
            "reject": lambda **kw: app.verify_rectification(
                fid,
                outcome="rejected",
                comment="整改材料不充分，退回重新整改。",
                new_deadline=when,
                actor=i,
                **kw,
            ),
            "extend": lambda **kw: app.extend_deadline(
                fid, new_deadline=day, reason="涉及跨部门协调，申请延期。", actor=i, **kw
            ),
            "escalate": lambda **kw: app.escalate_finding(
                fid, reason="问题性质严重，提级督办。", actor=i, **kw
            ),
            "amend": lambda **kw: app.amend_finding(
                fid,
                changes={"severity": "major"},
                reason="经复核，问题严重程度调整为较重。",
                actor=i,
                **kw,
            ),
            "withdraw": lambda **kw: app.withdraw_finding(
                fid, reason="经核实该督查件已按时反馈，撤回。", actor=i, **kw
            ),
            "reopen": lambda **kw: app.reopen_finding(
                fid, reason="整改回头看发现问题反弹。", new_deadline=when, actor=i, **kw
            ),
        }
        return commands[verb]
