"""Loads the demo data; every step runs once, so running it twice changes nothing."""

from __future__ import annotations

import io
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from api.cli.demo_data import (
    ACCOUNTS,
    AFTER_REMINDERS,
    BACKDATED,
    DAY_NAMED,
    FINDINGS,
    GRADES,
    LEADERS,
    MERGED_IN_REFORM,
    ORIGINS,
    PAST_FINDINGS,
    PERSON,
    POLICY_CONDITIONS,
    POWER_LISTS,
    REFORM_ON,
    RULINGS,
    SHREDDED,
    SPLIT_FINDINGS,
    SPLIT_UNITS,
    TASKS,
    UNITS,
    YEARS,
    found_on,
)
from api.cli.demo_inspections import (
    load_decisions,
    load_inspection,
    load_second_round,
    load_special_inspection,
    load_spot_checks,
)
from api.runtime.bootstrap import Services
from api.runtime.bulletins import COUNTY, previous_month
from api.runtime.files import Incoming, receive
from api.runtime.reminders import policy_of, send_reminders
from domain import clock
from domain.accounts import Account, hash_token
from domain.actors import Actor
from domain.clock import today
from domain.documents import scheduled_bulletin_id
from domain.errors import AlreadyExists, RenderingUnavailable
from domain.evaluation_schemes import DEFAULT_BANDS
from domain.messages import Command
from domain.registry import (
    AcknowledgeOrder,
    AddInternalUnit,
    AddPowerItem,
    AdoptEvaluationScheme,
    AmendFinding,
    AmendPowerItem,
    AppealRuling,
    ApplyForExtension,
    ApplyForTolerance,
    AssignWorkItemLeader,
    CancelWorkItem,
    CitePowerItem,
    CloseWorkItem,
    DecideAppeal,
    DecideExtension,
    DecideRuling,
    DisputeOrder,
    DissolveUnit,
    EscalateFinding,
    EvaluateWorkItem,
    ExtendDeadline,
    HoldInterview,
    IssueDocument,
    Listing,
    LogProgress,
    MergeUnit,
    MovePerson,
    OrderRectification,
    PairRulings,
    ProposeAccountability,
    PublishRuling,
    RaiseFinding,
    ReachWorkItemMilestone,
    ReassignFinding,
    RecordCommendation,
    RecordShredding,
    RecordStatement,
    RegisterPerson,
    RegisterUnit,
    RejectDispute,
    RemoveInternalUnit,
    RemovePowerItem,
    RenameUnit,
    ReopenFinding,
    ReportFindingProgress,
    ReportRectification,
    ReviewExtension,
    ReviseEvaluationScheme,
    ServeRuling,
    SetWorkItemMilestone,
    SetYearEndWeights,
    SplitUnit,
    VerifyRectification,
    VerifyRuling,
    WithdrawCommendation,
    WithdrawFinding,
)
from domain.vocabulary import Role
from infra.channels import Webhook
from infra.migrations import EVENTS_TABLE
from infra.outbox import Backoff, Outbox, set_channel_settings
from infra.privacy import subject_of_ruling
from infra.queries import idempotency_key_used
from infra.recorder import IdempotencyRecord
from infra.workdays import WorkingDays
from projections.privacy import shred_subject
from projections.registry import PROJECTIONS
from projections.runner import catch_up

DEMO_NAMESPACE = uuid5(NAMESPACE_URL, "https://supervision.example/demo")
ADMIN = Actor(id="demo-loader", name="演示数据导入", role=Role.ADMIN)
log = logging.getLogger("supervision.demo")
INSPECTOR = Actor(id="demo-inspector", name="督查员 王敏", role=Role.INSPECTOR)
AUTHORITY = Actor(id="demo-authority", name="县纪委（监委）审理室", role=Role.AUTHORITY)
SUPERVISOR = Actor(id="demo-supervisor", name="县府办 督查室主任", role=Role.SUPERVISOR)
PRINCIPAL = "demo"
HQ_CODE = "gczhb"  # a temporary headquarters, dissolved once its project ended


class DemoLoader:
    def __init__(self, services: Services, tokens_file: Path) -> None:
        self.services, self.app, self.tokens_file = services, services.app, tokens_file
        self.steps_run = 0

    def done(self, key: str) -> bool:
        return idempotency_key_used(self.services.database, PRINCIPAL, key)

    def step(self, key: str, command: Callable[..., Any]) -> None:
        """Run `command` unless this step already committed (its record is in the same tx)."""
        if self.done(key):
            return
        command(idempotency=IdempotencyRecord(PRINCIPAL, key, "demo", 200))
        self.steps_run += 1

    def send(self, key: str, message: Command, actor: Actor) -> None:
        """A step that sends a registered command (domain/registry.py) as `actor`."""
        self.step(key, lambda **kw: self.app.handle(message, actor=actor, **kw))

    def load(self) -> dict[str, str]:
        for code, name, kind in UNITS:
            self.send(f"unit:{code}", RegisterUnit(code, name, kind), ADMIN)
        tokens = self.load_accounts()
        day = today()
        for past in PAST_FINDINGS:
            self.load_past_finding(past)
        for task in TASKS:  # the plan's first year, before the 2019 reform
            self.load_work_item(task, YEARS[0])
        self.reorganise()  # nothing after it is recorded against a unit merged away
        for spec in FINDINGS:
            if spec[0] in BACKDATED:
                walked = clock.now() - timedelta(days=BACKDATED[spec[0]])
                with clock.use(clock.SettableClock(walked)):
                    self.load_finding(spec, day)
            else:
                self.load_finding(spec, day)
        # 年度考评办法: 2021's adopted with the usual bands, then revised (the same bands,
        # written into the county's 考评办法); the other years grade by the defaults.
        self.send("scheme:2021", AdoptEvaluationScheme(2021, dict(DEFAULT_BANDS)), INSPECTOR)
        revision = ReviseEvaluationScheme(2021, dict(DEFAULT_BANDS), "依据县年度考评办法修订")
        self.send("scheme:2021:revised", revision, INSPECTOR)
        # 2022's scheme weighs the year-end parts the county's own way (综合考评权重).
        self.send("scheme:2022", AdoptEvaluationScheme(2022, dict(DEFAULT_BANDS)), INSPECTOR)
        weights = {"ledger": 40, "supervision": 30, "evaluation": 30}
        weighed = SetYearEndWeights(2022, weights, "县年度综合考评办法：台账完成度占40%")
        self.send("scheme:2022:weights", weighed, INSPECTOR)
        for task in TASKS:
            for year in YEARS[1:]:
                self.load_work_item(task, year)
        for ruling in RULINGS:
            self.load_ruling(ruling)
        self.pair_rulings()
        self.shred(SHREDDED)
        self.split()
        self.register_persons()
        load_inspection(
            self, DEMO_NAMESPACE, INSPECTOR, dissolved={"fzb", HQ_CODE}, second_party=SUPERVISOR
        )
        load_special_inspection(self, DEMO_NAMESPACE, INSPECTOR)
        load_second_round(self, DEMO_NAMESPACE, INSPECTOR, SUPERVISOR)
        load_decisions(self, DEMO_NAMESPACE, INSPECTOR)
        load_spot_checks(self, DEMO_NAMESPACE, INSPECTOR, SUPERVISOR)
        self.load_power_lists()
        self.commend()
        self.leaver()
        self.remind()
        self.after_reminders()
        self.upload_evidence()
        self.issue_documents()
        self.notify(tokens)
        return tokens

    def upload_evidence(self) -> None:
        """证据材料: 县发改局's liaison uploads two site photos and reports progress citing
        them (the console shows their thumbnails on the finding's page)."""
        if self.done("evidence:f01"):
            return
        liaison = liaison_of("fgj")
        photos = [Incoming(name, io.BytesIO(site_photo(colour))) for name, colour in PHOTOS]
        kept = receive(self.services, photos, liaison)
        cited = [{k: f[k] for k in ("name", "sha256", "size")} for f in kept]
        note = "已补齐任务表和责任表，附现场会议照片。"
        message = ReportFindingProgress(uuid5(DEMO_NAMESPACE, "f01"), note, 50, cited)
        self.send("evidence:f01", message, liaison)

    def issue_documents(self) -> None:
        """公文: a 督办通知书 and a 整改通知书 of a finding under rectification, a 问责决定书
        naming its person (sealed with the person's key), a 容错免责认定书, last month's
        情况通报 and a unit's 年度考评报告 (docs/api-files.md)."""
        f01, day = uuid5(DEMO_NAMESPACE, "f01"), today()
        r04, t03 = uuid5(DEMO_NAMESPACE, "r04"), uuid5(DEMO_NAMESPACE, "t03")
        issued: list[tuple[IssueDocument, Actor]] = [
            (IssueDocument("bulletin", period=previous_month(day)), INSPECTOR),
            (IssueDocument("supervision_notice", finding_id=f01), INSPECTOR),
            (IssueDocument("rectification_notice", finding_id=f01), INSPECTOR),
            (IssueDocument("accountability_decision", ruling_id=r04), AUTHORITY),
            (IssueDocument("tolerance_decision", ruling_id=t03), AUTHORITY),
            (IssueDocument("evaluation_report", unit_code="fgj", year=YEARS[-1]), INSPECTOR),
        ]
        for message, actor in issued:
            kind = message.kind
            document_id = uuid5(DEMO_NAMESPACE, f"document:{kind}")
            if message.period:  # the one the scheduler would issue: it finds it issued
                document_id = scheduled_bulletin_id(COUNTY, message.period)
            try:
                self.send(f"document:{kind}", replace(message, document_id=document_id), actor)
            except AlreadyExists:
                if not message.period:
                    raise
                # A running service's scheduler issued this month's bulletin first.
                log.info("demo_bulletin_issued_already", extra={"period": message.period})
            except RenderingUnavailable as missing:  # the rest of the demo stands without
                log.warning("demo_documents_skipped", extra={"reason": str(missing)})
                return

    def commend(self) -> None:
        """激励: 2021's first task evaluated 优秀 earns its lead unit a 通报表扬 (a second one,
        given in error, is withdrawn); the official 免责 in ruling t03 goes on being used."""
        number, _, lead, _, _ = next(
            t for t in TASKS if GRADES[(t[0] + 2021) % len(GRADES)][1] == "excellent"
        )
        work = [uuid5(DEMO_NAMESPACE, f"w{number:02d}-2021")]
        reason = "2021年度重点工作考评优秀，予以通报表扬。"
        notice = RecordCommendation(
            "commendation_notice", lead, 2021, reason, date(2022, 1, 20), work
        )
        self.send("commend:notice", notice, SUPERVISOR)
        twice = RecordCommendation(
            "recommended_for_honours",
            lead,
            2021,
            reason,
            date(2022, 1, 25),
            work,
            commendation_id=uuid5(DEMO_NAMESPACE, "commend:twice"),
        )
        self.send("commend:twice", twice, SUPERVISOR)
        withdrawal = WithdrawCommendation(
            uuid5(DEMO_NAMESPACE, "commend:twice"), "与通报表扬重复，撤销"
        )
        self.send("commend:twice:withdrawn", withdrawal, SUPERVISOR)
        reused = RecordCommendation(
            "normal_use_after_tolerance",
            "xzfwzx",
            today().year,
            "经认定免责，继续正常使用，不影响评优评先和提拔任用。",
            today(),
            ruling_id=uuid5(DEMO_NAMESPACE, "t03"),
        )
        self.send("commend:t03", reused, SUPERVISOR)

    def load_power_lists(self) -> None:
        """权力清单: two units' lists; 县发改局's then amended (a basis revised) and one power
        removed (moved to the 综合执法 office), so its history shows every kind of change."""
        for code, items in POWER_LISTS:
            for n, (name, kind, basis, office, duties) in enumerate(items, 1):
                item = AddPowerItem(code, name, kind, basis, duties, office)
                self.send(f"power:{code}:{n}", item, ADMIN)
        revised = (
            "《企业投资项目核准和备案管理条例》第三条、《浙江省企业投资项目核准和备案管理办法》"
        )
        amendment = AmendPowerItem("fgj", 1, "上级办法出台，补充设定依据", legal_basis=revised)
        self.send("power:fgj:1:amended", amendment, ADMIN)
        removal = RemovePowerItem("fgj", 2, "价格行政处罚权划转综合行政执法部门")
        self.send("power:fgj:2:removed", removal, ADMIN)
        cited = CitePowerItem(uuid5(DEMO_NAMESPACE, "f13"), 1)  # 县发改局's finding
        self.send("power:fgj:1:cited", cited, INSPECTOR)

    def shred(self, ruling_key: str) -> None:
        """删除个人信息: the person of a revoked ruling asked to be forgotten; their key is
        destroyed and the shredding recorded on the chain (who, when, why)."""
        key = f"{ruling_key}:shredded"
        if self.done(key):
            return
        database = self.services.database
        with database.connection() as conn:
            subject = subject_of_ruling(conn, uuid5(DEMO_NAMESPACE, ruling_key), EVENTS_TABLE)
        assert subject is not None, f"ruling {ruling_key} names no person"
        shred_subject(database, subject, self.services.cases, settle_seconds=0, catch_up_seconds=0)
        reason = "问责决定已撤销，当事人申请删除个人信息"
        self.send(key, RecordShredding(subject, reason), ADMIN)

    def after_reminders(self) -> None:
        """The steps a unit took only once it had been chased (a late 签收)."""
        for key, verbs in AFTER_REMINDERS.items():
            fid = uuid5(DEMO_NAMESPACE, key)
            unit = next(spec[1] for spec in FINDINGS if spec[0] == key)
            for n, verb in enumerate(verbs):
                move = finding_move(fid, verb, None)
                self.send(f"{key}:late:{n}:{verb}", move, liaison_of(unit))

    def notify(self, tokens: dict[str, str]) -> None:
        """The 南明街道 liaison takes notifications by e-mail and by a webhook that is down: the
        demo's dispatcher tries the webhook twice (failed, retried; both kept on the
        delivery), and the e-mails wait for a mail server to be configured."""
        liaison = Account.create_id(hash_token(tokens[DEMO_LIAISON]))
        set_channel_settings(
            self.services.database, liaison, "nanming-lianluoyuan@example.gov.cn", DOWN_WEBHOOK
        )
        catch_up(self.app, self.services.datastore, [NOTIFICATIONS])
        outbox = Outbox(self.services.database, {"webhook": Webhook("demo")}, backoff=Backoff(0, 0))
        for _ in range(2):
            outbox.run_once()

    def remind(self) -> None:
        """督办提醒 and 催办 as the scheduler records them today (each rule once: a second
        load records only what has fallen due since)."""
        catch_up(self.app, self.services.datastore, [BOARD])  # the scheduler reads the board
        policy = policy_of(self.services.settings)
        sent = send_reminders(self.services, today(), WorkingDays(), policy)
        self.steps_run += sum((sent or {}).values())

    def load_work_item(self, task: tuple[Any, ...], year: int) -> None:
        """A task of the plan as one year's work item, with its ledger and evaluation."""
        number, title, lead, co_units, summary = task
        if year >= REFORM_ON.year:  # listed after the reform: the successor leads
            lead, co_units = successor(lead), tuple(successor(c) for c in co_units)
        key = f"w{number:02d}-{year}"
        item_id = uuid5(DEMO_NAMESPACE, key)
        listing = Listing(
            title=title,
            year=year,
            lead_unit=lead,
            co_units=tuple(co_units),
            due_on=date(year, 12, 31),
            source_ref=f"两强三提高 任务{number}",
            description=summary,
            item_id=item_id,
        )
        self.send(f"{key}:listed", listing, INSPECTOR)
        liaison = liaison_of(lead)
        stages = [
            (40, "已制定年度实施方案，明确任务表、时间表、责任表。"),
            (75, "主要任务推进过半，督查发现的问题已落实整改。"),
            (100, "年度任务全部完成，台账资料齐全。"),
        ]
        done = len(stages) - (year == 2022)
        if year == 2022:  # the last year is still open: some items barely started
            done = 0 if number % 4 == 0 else 1 if number % 3 == 0 else done
        self.send(f"{key}:leader", AssignWorkItemLeader(item_id, LEADERS[number % 3]), INSPECTOR)
        milestones = [("制定年度实施方案", date(year, 3, 31)), ("完成年度任务", date(year, 12, 31))]
        for n, (title, due_on) in enumerate(milestones, 1):
            milestone = SetWorkItemMilestone(item_id, title, due_on)
            self.send(f"{key}:milestone:{n}", milestone, liaison)
        for n, (percent, note) in enumerate(stages[:done]):
            self.send(f"{key}:progress:{n}", LogProgress(item_id, note, percent), liaison)
            if n in (0, 2):  # the plan made, then the year's task done: a milestone reached
                step, reached_on = (1, date(year, 3, 28)) if n == 0 else (2, date(year, 12, 20))
                reached = ReachWorkItemMilestone(item_id, step, reached_on, note)
                self.send(f"{key}:milestone:{step}:reached", reached, liaison)
        if year < 2022:
            score, grade = GRADES[(number + year) % len(GRADES)]
            evaluation = EvaluateWorkItem(item_id, score, grade, "年末考评：任务完成，台账规范。")
            self.send(f"{key}:evaluated", evaluation, INSPECTOR)
        if year < 2020:
            closure = CloseWorkItem(item_id, "年度考评完毕，办结归档。")
            self.send(f"{key}:closed", closure, INSPECTOR)
        if (number, year) == (13, 2022):
            reason = "机构改革后任务并入新设部门的年度清单。"
            self.send(f"{key}:cancelled", CancelWorkItem(item_id, reason), INSPECTOR)

    def load_ruling(self, spec: tuple[Any, ...]) -> None:
        """A ruling of either kind, walked along its path (every state appears once)."""
        key, kind, unit, finding_key, person, path = spec
        ruling_id = uuid5(DEMO_NAMESPACE, key)
        subject: dict[str, Any] = {"unit_code": unit}
        if person:
            subject["person"] = {"name": person[0], "position": person[1]}
        findings = [uuid5(DEMO_NAMESPACE, finding_key)]
        if kind == "accountability":
            proposal = ProposeAccountability(
                subject=subject,
                finding_ids=findings,
                form="written_inspection",
                basis="《关于实行党政领导干部问责的暂行规定》及县政府督查工作办法",
                facts="经督查发现，相关责任人对督查交办事项推进不力，整改逾期。",
                ruling_id=ruling_id,
            )
            self.send(f"{key}:proposed", proposal, INSPECTOR)
        else:
            application = ApplyForTolerance(
                subject=subject,
                finding_ids=findings,
                grounds="在推进“最多跑一次”改革中先行先试，因缺乏经验出现失误，未谋取私利，已积极挽回损失。",
                criteria_claimed=["pilot_inexperience", "no_personal_gain", "loss_remedied"],
                ruling_id=ruling_id,
            )
            self.send(f"{key}:applied", application, INSPECTOR)
        finding = next(f for f in FINDINGS if f[0] == finding_key)
        title, found = finding[2], found_on(finding[7], today())
        for n, move in enumerate(path):
            self.send(f"{key}:{n}:{move}", *ruling_move(ruling_id, move, kind, title, found))

    def pair_rulings(self) -> None:
        """关联容错与问责: on 县发改局's finding f19 a fault-tolerance application (t09) and an
        accountability proposal (a09) of the unit, paired; the tolerance decided 免责, which
        closes the proposal (免予问责); on f21 a second pair decided 从轻, then the proposal
        within that bound."""
        subject = {"unit_code": "fgj"}
        grounds = "在推进投资项目审批制度改革中探索试验，因无明确限制出现失误，未谋取私利。"
        criteria = ["exploration_without_clear_rules", "no_personal_gain"]
        facts = "项目审批环节未按时限办结，造成不良影响。"
        pairs = [
            (
                "09",
                "f19",
                "exempted",
                "符合探索试验中因无明确限制出现失误的容错情形，未谋取私利，予以免责。",
                3,
            ),
            ("10", "f21", "mitigated", "属于探索试验中的失误，但造成一定影响，予以从轻处理。", 2),
        ]
        for n, finding, outcome, reasoning, days_ago in pairs:
            findings = [uuid5(DEMO_NAMESPACE, finding)]
            tolerance, proposal = uuid5(DEMO_NAMESPACE, f"t{n}"), uuid5(DEMO_NAMESPACE, f"a{n}")
            applied = ApplyForTolerance(subject, grounds, findings, criteria, tolerance)
            self.send(f"t{n}:applied", applied, INSPECTOR)
            proposed = ProposeAccountability(
                subject, "circulated_criticism", "县政府督查工作办法", facts, findings, proposal
            )
            self.send(f"a{n}:proposed", proposed, INSPECTOR)
            self.send(f"t{n}:paired", PairRulings(tolerance, proposal), INSPECTOR)
            when = today() - timedelta(days=days_ago)
            decision = DecideRuling(
                tolerance, reasoning, when, outcome=outcome, criteria_met=criteria
            )
            self.send(f"t{n}:{outcome}", decision, AUTHORITY)
        decided = DecideRuling(  # a10, within the bound its tolerance's 从轻 sets
            uuid5(DEMO_NAMESPACE, "a10"),
            "从轻处理，予以通报批评。",
            today() - timedelta(days=1),
            "circulated_criticism",
        )
        self.send("a10:decided", decided, AUTHORITY)

    def split(self) -> None:
        """分设 (机构改革 2025): 县农林局 split into 县农业农村局 and 县林业局 — its open finding
        goes to the 林业局 by hand, the work item it led to the 农业农村局 by default, its
        withdrawn finding stays its own; the 农业农村局 sets up its 内设机构 (one later merged
        away)."""
        old, farming, forestry = SPLIT_UNITS
        for code, name in SPLIT_UNITS:
            self.send(f"unit:{code}", RegisterUnit(code, name, "department"), ADMIN)
        found = date(2025, 3, 10)
        open_finding, withdrawn = uuid5(DEMO_NAMESPACE, "s01"), uuid5(DEMO_NAMESPACE, "s02")
        pairs = zip(("s01", "s02"), (open_finding, withdrawn), SPLIT_FINDINGS, strict=True)
        for key, fid, (title, description) in pairs:
            raised = RaiseFinding(old[0], title, description, "policy_implementation", "major",
                                  "routine_supervision", found, finding_id=fid)  # fmt: skip
            self.send(f"{key}:raised", raised, INSPECTOR)
        self.send("s02:withdrawn", WithdrawFinding(withdrawn, "经核实不属实，撤回"), INSPECTOR)
        item = uuid5(DEMO_NAMESPACE, "s-w01")
        listing = Listing(title="高标准农田和林长制工作", year=2025, lead_unit=old[0],
                          due_on=date(2025, 12, 31), co_units=(forestry[0],),
                          source_ref="机构改革前清单", item_id=item)  # fmt: skip
        self.send("s-w01:listed", listing, INSPECTOR)
        assigned = [{"record_id": str(open_finding), "unit_code": forestry[0]}]
        split = SplitUnit(old[0], [farming[0], forestry[0]], "机构改革：农林职责分设",
                          date(2025, 6, 1), assigned)  # fmt: skip
        self.send(f"split:{old[0]}", split, ADMIN)
        for name in ("种植业管理科", "畜牧兽医科", "农田建设管理科"):
            self.send(f"internal:{farming[0]}:{name}", AddInternalUnit(farming[0], name), ADMIN)
        removal = RemoveInternalUnit(farming[0], "畜牧兽医科", "职责并入县动物疫病预防控制中心")
        self.send(f"internal:{farming[0]}:removed", removal, ADMIN)

    def register_persons(self) -> None:
        """人员名录: 县发改局's deputy director, registered, granted 免责 (t11), then moved to
        县司法局, where a second application (t12) is denied as 屡错屡犯 — the record the
        decision checks holds the first — and an accountability proposal (a11) is decided
        诫勉 and upheld on appeal; the person's record lists all three."""
        pid = uuid5(DEMO_NAMESPACE, "p01")
        unit, name, position = PERSON
        self.send("p01:registered", RegisterPerson(unit, name, position, pid), INSPECTOR)
        criteria = ["pilot_inexperience", "no_personal_gain"]
        grounds = "在推进项目审批改革中先行先试，因缺乏经验出现失误，未谋取私利。"
        first = uuid5(DEMO_NAMESPACE, "t11")
        subject = {"unit_code": unit, "person_id": str(pid)}
        finding = [uuid5(DEMO_NAMESPACE, "f01")]  # found before its 免责 a month ago
        self.send("t11:applied", ApplyForTolerance(subject, grounds, finding, criteria, first),
                  INSPECTOR)  # fmt: skip
        exempted = DecideRuling(first, "符合先行先试的容错情形，予以免责。",
                                today() - timedelta(days=30), outcome="exempted",
                                criteria_met=criteria)  # fmt: skip
        self.send("t11:exempted", exempted, AUTHORITY)
        moved = MovePerson(pid, "sfj", "交流任职", today() - timedelta(days=20))
        self.send("p01:moved", moved, INSPECTOR)
        there = {"unit_code": "sfj", "person_id": str(pid)}
        old_finding = [uuid5(DEMO_NAMESPACE, "f02")]  # 县法制办's, now 县司法局's
        second = uuid5(DEMO_NAMESPACE, "t12")
        self.send("t12:applied", ApplyForTolerance(there, grounds, old_finding, criteria, second),
                  INSPECTOR)  # fmt: skip
        denied = DecideRuling(second, "此前已获容错免责，再次出现同类失误，属屡错屡犯，不予容错。",
                              today() - timedelta(days=10), outcome="denied",
                              exclusions=["repeated"])  # fmt: skip
        self.send("t12:denied", denied, AUTHORITY)
        proposal = uuid5(DEMO_NAMESPACE, "a11")
        proposed = ProposeAccountability(there, "admonishment", "县政府督查工作办法",
                                         "同类失误再次发生，造成不良影响。", old_finding,
                                         proposal)  # fmt: skip
        self.send("a11:proposed", proposed, INSPECTOR)
        decided = DecideRuling(proposal, "予以诫勉。", today() - timedelta(days=8),
                               "admonishment")  # fmt: skip
        self.send("a11:decided", decided, AUTHORITY)
        self.send("a11:appeal", AppealRuling(proposal, "认为处理过重"), INSPECTOR)
        upheld = DecideAppeal(proposal, "upheld", "经复核，维持原决定。")
        self.send("a11:upheld", upheld, AUTHORITY)

    def reorganise(self) -> None:
        """机构改革 2019: 县法制办 merged into the new 县司法局; 县国土局 renamed; the
        headquarters of a finished project dissolved."""
        reform = REFORM_ON
        hq = RegisterUnit(HQ_CODE, "县城有机更新工程建设指挥部", "agency")
        self.send(f"unit:{HQ_CODE}", hq, ADMIN)
        dissolution = DissolveUnit(HQ_CODE, "临时机构任务完成，予以撤销", date(2019, 12, 31))
        self.send(f"dissolve:{HQ_CODE}", dissolution, ADMIN)
        self.send("unit:sfj", RegisterUnit(*REFORMED), ADMIN)
        ((merged, into),) = MERGED_IN_REFORM.items()
        merger = MergeUnit(merged, into, "机构改革：县法制办职责划入县司法局", reform)
        self.send("merge:fzb", merger, ADMIN)
        renaming = RenameUnit(
            "gtj", "县自然资源和规划局", "机构改革：组建县自然资源和规划局", reform
        )
        self.send("rename:gtj", renaming, ADMIN)

    def leaver(self) -> None:
        """An inspector who left: the account created, then revoked (its token never shown)."""
        token_hash = hash_token(f"demo-leaver-{DEMO_NAMESPACE}")
        self.step(
            "account:leaver",
            lambda **kw: self.app.create_account(
                token_hash=token_hash, name="督查员 李强（已调离）", role=Role.INSPECTOR,
                unit_code=None, actor=ADMIN, **kw,
            ),
        )  # fmt: skip
        self.step(
            "revoke:leaver",
            lambda **kw: self.app.revoke_account(
                Account.create_id(token_hash), reason="工作调动，账号注销", actor=ADMIN, **kw
            ),
        )

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

    def load_past_finding(self, spec: tuple[Any, ...]) -> None:
        """A finding of the plan's years, each step recorded on its own day (the clock set
        to it), so its deadlines, reports and 销号 fall in that year's scorecards."""
        key, unit, title, description, category, severity, found, steps = spec
        fid: UUID = uuid5(DEMO_NAMESPACE, key)
        at = clock.SettableClock(datetime.combine(found, time(9), tzinfo=clock.CHINA))
        with clock.use(at):
            raised = RaiseFinding(unit, title, description, category, severity,
                                  "routine_supervision", found, finding_id=fid)  # fmt: skip
            self.send(f"{key}:raised", raised, INSPECTOR)
            for n, step in enumerate(steps.split()):
                verb, _, days = step.partition(":")
                day = found + timedelta(days=int(days))
                at.set(datetime.combine(day, time(10), tzinfo=clock.CHINA))
                when = day + timedelta(days=30) if verb == "order" else day
                self.send(f"{key}:{n}:{verb}", finding_move(fid, verb, when), INSPECTOR)

    def load_finding(self, spec: tuple[Any, ...], day: date) -> None:
        key, unit, title, description, category, severity, source, ago, path = spec
        fid: UUID = uuid5(DEMO_NAMESPACE, key)
        found = found_on(ago, day)
        raised = RaiseFinding(
            unit,
            title,
            description,
            category,
            severity,
            source,
            found,
            finding_id=fid,
            origin=origin_of(key, found),
        )
        self.send(f"{key}:raised", raised, INSPECTOR)
        for n, move in enumerate(path):
            verb, _, arg = move.partition(":")
            when = found + timedelta(days=int(arg)) if arg.isdigit() else None
            actor = liaison_of(unit) if verb in LIAISON_VERBS else SENDERS.get(verb, INSPECTOR)
            self.send(f"{key}:{n}:{verb}", finding_move(fid, verb, when, arg), actor)
            unit = arg if verb == "reassign" else unit  # 转办: the new unit answers from now on


BOARD = next(spec for spec in PROJECTIONS if spec.name == "finding_board")
NOTIFICATIONS = next(spec for spec in PROJECTIONS if spec.name == "notifications")
DEMO_LIAISON = "南明街道 联络员"
DOWN_WEBHOOK = "http://127.0.0.1:9/robot/send"  # the discard port: nothing answers there


PHOTOS = (("整改推进会现场.png", (180, 40, 40)), ("责任表公示.png", (40, 110, 170)))


def site_photo(colour: tuple[int, int, int]) -> bytes:
    """A stand-in for a site photo: a 640×480 PNG shaded from `colour` (the same bytes on
    every run, so a second `demo` uploads nothing new)."""
    from PIL import Image

    image = Image.new("RGB", (640, 480), colour)
    shade = Image.linear_gradient("L").resize((640, 480))
    image.paste((255, 255, 255), mask=shade.point(lambda v: v // 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def liaison_of(unit: str) -> Actor:
    """The demo's liaison of a unit, as its steps name them: by the unit's name."""
    name = f"{UNIT_NAMES.get(unit, unit)} 联络员"
    return Actor(id=f"demo-liaison-{unit}", name=name, role=Role.UNIT, unit_code=unit)


REFORMED = ("sfj", "县司法局", "department")  # registered in the 2019 reform
UNIT_NAMES = {code: name for code, name, _ in [*UNITS, REFORMED]}


def origin_of(key: str, found: date) -> dict[str, str] | None:
    """立项: the instruction or meeting a demo finding came from (ORIGINS), if any."""
    if key not in ORIGINS:
        return None
    what, named, days_before = ORIGINS[key]
    return {what: named, DAY_NAMED[what]: (found - timedelta(days=days_before)).isoformat()}


LIAISON_VERBS = frozenset({"report", "acknowledge", "dispute", "progress", "apply"})
SENDERS = {"approve": SUPERVISOR, "decline": SUPERVISOR}  # the others: the inspector


def successor(code: str) -> str:
    """The unit that took over a unit the 2019 reform merged away (the work it led)."""
    return MERGED_IN_REFORM.get(code, code)


def finding_move(fid: UUID, verb: str, when: date | None, arg: str = "") -> Command:
    """The registered command a step of a finding's path sends (domain/messages.py)."""
    day = when or today()  # only the verbs that take a date use it
    sent: dict[str, Command] = {
        "acknowledge": AcknowledgeOrder(fid, "已签收，将按要求限期整改。"),
        "progress": ReportFindingProgress(fid, "两个小区已开工，第三个完成招标。", 60),
        "apply": ApplyForExtension(fid, day, "汛期影响施工，申请延期。"),
        "forward": ReviewExtension(fid, "forwarded", "理由属实，报请审批。"),
        "refuse": ReviewExtension(fid, "refused", "延期理由不充分，请按期完成。"),
        "approve": DecideExtension(fid, "approved", "同意延期。"),
        "decline": DecideExtension(fid, "rejected", "不予批准，须按原期限完成。"),
        "dispute": DisputeOrder(fid, "该事项不属于本单位职责范围，申请退办。"),
        "reject-dispute": RejectDispute(fid, "经核实该事项属本单位职责，退办理由不成立。"),
        "reassign": ReassignFinding(fid, arg, "经核实属其他单位职责，予以转办。"),
        "order": OrderRectification(fid, day, "限期整改到位，并报送整改材料。"),
        "report": ReportRectification(fid, "已完成整改，相关制度已建立，台账已补齐。"),
        "accept": VerifyRectification(fid, "accepted", "经核查整改到位，同意销号。"),
        "reject": VerifyRectification(fid, "rejected", "整改材料不充分，退回重新整改。", when),
        "extend": ExtendDeadline(fid, day, "涉及跨部门协调，申请延期。"),
        "escalate": EscalateFinding(fid, "问题性质严重，提级督办。"),
        "interview": HoldInterview(
            fid, today(), "主要负责人", "约谈单位主要负责人，要求限期整改并书面报告。"
        ),
        "amend": AmendFinding(fid, {"severity": "major"}, "经复核，问题严重程度调整为较重。"),
        "withdraw": WithdrawFinding(fid, "经核实该督查件已按时反馈，撤回。"),
        "reopen": ReopenFinding(fid, "整改回头看发现问题反弹。", when),
    }
    return sent[verb]


def ruling_move(
    ruling_id: UUID, move: str, kind: str, title: str, found: date
) -> tuple[Command, Actor]:
    """The registered command a step of a ruling's path sends, and who sends it: the
    statement heard, the decision taken and served a few days after the finding was `found`
    (a ruling is dated on or after what it rules on), by today at the latest."""
    heard_on, decided_on, served_on = (min(found + timedelta(days=n), today()) for n in (3, 5, 7))
    decisions: dict[str, dict[str, Any]] = {
        "decide": {"form": "circulated_criticism"},
        "adjust": {"form": "organisational_adjustment", "measure": "reassignment"},
        "exempted": {
            "outcome": "exempted",
            "criteria_met": ["pilot_inexperience", *POLICY_CONDITIONS],
        },
        "mitigated": {
            "outcome": "mitigated",
            "criteria_met": ["unintended_for_public_good", "loss_remedied", *POLICY_CONDITIONS],
        },
        "denied": {"outcome": "denied", "criteria_met": [], "exclusions": ["personal_gain"]},
    }
    modified: dict[str, Any] = (
        {"form": "written_inspection"}
        if kind == "accountability"
        else {
            "outcome": "mitigated",
            "criteria_met": [
                "exploration_without_clear_rules",
                "loss_remedied",
                *POLICY_CONDITIONS,
            ],
        }
    )
    appeals: dict[str, dict[str, Any]] = {
        "modified": {"result": "modified", **modified},
        "upheld": {"result": "upheld"},
        "revoked": {"result": "revoked"},
    }
    if move in decisions:
        reasoning = "经集体研究，依据相关规定作出决定。"
        return DecideRuling(ruling_id, reasoning, decided_on, **decisions[move]), AUTHORITY
    if move in appeals:
        reasoning = "经复核，作出申诉复核决定。"
        return DecideAppeal(ruling_id, reasoning=reasoning, **appeals[move]), AUTHORITY
    moves: dict[str, tuple[Command, Actor]] = {
        "verify": (VerifyRuling(ruling_id, "经调查核实，基本事实清楚。"), INSPECTOR),
        "appeal": (AppealRuling(ruling_id, "对认定事实有异议，申请复核。"), INSPECTOR),
        "statement": (
            RecordStatement(
                ruling_id, "对问题事实无异议，系工作衔接不畅所致，已组织整改。", heard_on
            ),
            INSPECTOR,
        ),
        "serve": (ServeRuling(ruling_id, served_on, "本人签收"), AUTHORITY),
        "publish": (
            PublishRuling(ruling_id, case_summary(kind, title), case_tags(kind)),
            AUTHORITY,
        ),
    }
    return moves[move]


def case_summary(kind: str, title: str) -> str:
    if kind == "accountability":
        return f"督查发现“{title}”问题，经调查核实后依规问责，作为警示教育案例。"
    return f"改革推进中出现“{title}”问题，经认定符合容错情形，作为容错免责典型案例。"


def case_tags(kind: str) -> list[str]:
    return ["庸政懒政怠政", "督查整改"] if kind == "accountability" else ["改革创新", "先行先试"]
