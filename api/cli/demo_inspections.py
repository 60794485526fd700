"""Demo steps of issue #9: a concluded double-random round, a special round that assigns
its units itself, and three major decisions.

Each step runs once (the demo loader keeps an idempotency record per step), so running the
demo twice changes nothing. The ids are uuid5 of the step keys, as elsewhere in the demo.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, Protocol
from uuid import UUID, uuid5

from stdnum.cn import uscc

from api.cli.demo_data import (
    CO_SEED,
    DECISIONS,
    DRUG_MATTER,
    FOOD_MATTER,
    INSPECTION_FINDING,
    INSPECTION_KEY,
    INSPECTION_PERIOD,
    INSPECTION_POOL,
    INSPECTION_SCOPE,
    INSPECTION_SEED,
    INSPECTION_SHARE_PERCENT,
    INSPECTION_SUMMARY,
    INSPECTION_TITLE,
    MARKET_DEPARTMENT,
    MARKET_ENTITIES,
    MARKET_OFFICER_MOVED,
    MARKET_OFFICERS,
    MARKET_REIMPORT,
    MARKET_STRUCK_OFF,
    RESULTS_OF,
    SPOT_CHECK_SEED,
    STEP_RESULTS,
    UNITS,
)
from domain.actors import Actor
from domain.application import Supervision
from domain.clock import today
from domain.draw import commitment_of
from domain.messages import Command
from domain.registry import (
    AssignInspection,
    CatalogueDecision,
    CommitInspectionCoSeed,
    CommitInspectionSeed,
    ConcludeInspection,
    CorrectDecision,
    DecideDecision,
    DelistMarketEntity,
    DelistOfficer,
    DrawInspection,
    GiveEvaluationFeedback,
    ImplementDecision,
    Launch,
    LaunchSpotCheck,
    LinkDecisionAccountability,
    LinkInspectionFinding,
    ListSpotCheckMatter,
    PlanDecisionEvaluation,
    RaiseFinding,
    RecordDecisionStep,
    RegisterMarketEntity,
    RegisterOfficer,
    RegisterUnit,
    ReportDecisionEvaluation,
    ReportEvaluationRectification,
    RevealInspectionCoSeed,
    UseEvaluationResults,
    WithdrawSpotCheckMatter,
)
from domain.vocabulary import Role

DECIDED_ON = date(2026, 4, 1)


class Loader(Protocol):
    """What these steps need of `api.cli.demo.DemoLoader`."""

    app: Supervision
    services: Any

    def step(self, key: str, command: Callable[..., Any]) -> None: ...

    def send(self, key: str, message: Command, actor: Actor) -> None: ...


def draw_with_a_second_party(
    loader: Loader, key: str, rid: UUID, seed: str, inspector: Actor, second: Actor
) -> None:
    """The v2 draw: the second party commits its seed, a checkpoint is signed after both
    commitments (the beacon), the second party reveals, the inspector draws."""
    services = loader.services
    co_seed = f"{CO_SEED}·{key}"
    co_commitment = CommitInspectionCoSeed(rid, commitment_of(co_seed))
    loader.send(f"{key}:co-committed", co_commitment, second)
    loader.step(f"{key}:beacon", lambda **kw: services.checkpoint())
    loader.send(f"{key}:co-revealed", RevealInspectionCoSeed(rid, co_seed), second)
    loader.send(f"{key}:drawn", DrawInspection(rid, seed), inspector)


def load_second_round(loader: Loader, namespace: UUID, inspector: Actor, second: Actor) -> None:
    """A second random round, drawn (v2) and waiting to be carried out."""
    key = f"{INSPECTION_KEY}:second"
    rid = uuid5(namespace, key)
    launch = Launch(
        title="2026年度“双随机、一公开”行政执法检查（第二批）",
        kind="random",
        scope=INSPECTION_SCOPE,
        period_start=date(2026, 9, 1),
        period_end=date(2026, 10, 31),
        units=tuple(code for code, _, kind in UNITS if kind in ("township", "subdistrict")),
        inspectors=tuple(INSPECTION_POOL),
        share_percent=INSPECTION_SHARE_PERCENT,
        inspection_id=rid,
    )
    loader.send(f"{key}:launched", launch, inspector)
    seed = f"{INSPECTION_SEED}·第二批"
    loader.send(f"{key}:committed", CommitInspectionSeed(rid, commitment_of(seed)), inspector)
    draw_with_a_second_party(loader, key, rid, seed, inspector, second)


def load_inspection(
    loader: Loader, namespace: UUID, inspector: Actor, dissolved: set[str], second_party: Actor
) -> None:
    """The random round: launched, seed committed, drawn, a finding linked, concluded."""
    app, key = loader.app, INSPECTION_KEY
    rid = uuid5(namespace, key)
    start, end = INSPECTION_PERIOD
    units = (*(code for code, _, _ in UNITS if code not in dissolved), "sfj")
    launch = Launch(
        title=INSPECTION_TITLE,
        kind="random",
        scope=INSPECTION_SCOPE,
        period_start=start,
        period_end=end,
        units=units,
        inspectors=tuple(INSPECTION_POOL),
        share_percent=INSPECTION_SHARE_PERCENT,
        inspection_id=rid,
    )
    loader.send(f"{key}:launched", launch, inspector)
    commitment = CommitInspectionSeed(rid, commitment_of(INSPECTION_SEED))
    loader.send(f"{key}:committed", commitment, inspector)
    if app.get_inspection(rid).target_units == []:  # (a demo of an earlier version drew v1)
        draw_with_a_second_party(loader, key, rid, INSPECTION_SEED, inspector, second_party)
    drawn = app.get_inspection(rid).target_units
    fid = uuid5(namespace, f"{key}:finding")
    title, description = INSPECTION_FINDING
    finding = RaiseFinding(
        unit_code=drawn[0],
        title=title,
        description=description,
        category="procedure_violation",
        severity="minor",
        source="random_inspection",
        found_on=date(2026, 3, 20),
        finding_id=fid,
    )
    loader.send(f"{key}:finding", finding, inspector)
    loader.send(f"{key}:linked", LinkInspectionFinding(rid, fid), inspector)
    results = [
        {"unit_code": u, "result": "发现问题1个，已交办整改" if u == drawn[0] else "未发现问题"}
        for u in drawn
    ]
    conclusion = ConcludeInspection(rid, INSPECTION_SUMMARY, end, results)
    loader.send(f"{key}:concluded", conclusion, inspector)


def load_special_inspection(loader: Loader, namespace: UUID, inspector: Actor) -> None:
    """A special round (专项督查) that names its units and teams itself: launched, assigned."""
    key = f"{INSPECTION_KEY}:special"
    rid = uuid5(namespace, key)
    launch = Launch(
        title="2026年“两强三提高”重点工作专项督查",
        kind="special",
        scope="重点工作清单执行情况（任务9、任务10）",
        period_start=date(2026, 5, 1),
        period_end=date(2026, 5, 31),
        units=("fgj", "nmjd"),
        inspectors=tuple(INSPECTION_POOL),
        inspection_id=rid,
    )
    loader.send(f"{key}:launched", launch, inspector)
    targets = [
        {"unit_code": "fgj", "team": ["王敏", "周婷"]},
        {"unit_code": "nmjd", "team": ["刘洋", "吴磊"]},
    ]
    loader.send(f"{key}:assigned", AssignInspection(rid, targets), inspector)


def load_decisions(loader: Loader, namespace: UUID, inspector: Actor) -> None:
    """Each decision catalogued, its steps recorded, then walked along its path."""
    for key, title, unit, steps, path in DECISIONS:
        did = uuid5(namespace, key)
        catalogued = CatalogueDecision(title, 2026, unit, decision_id=did)
        loader.send(f"{key}:catalogued", catalogued, inspector)
        for n, name in enumerate(steps):
            result = RESULTS_OF.get((key, name), STEP_RESULTS.get(name, {}))
            done = RecordDecisionStep(did, name, date(2026, 2, 1 + n), note="材料已归档", **result)
            loader.send(f"{key}:step:{name}", done, inspector)
        for n, move in enumerate(path):
            loader.send(f"{key}:{n}:{move}", decision_move(did, move, namespace), inspector)


def decision_move(did: UUID, move: str, namespace: UUID) -> Command:
    """The registered command a step of a decision's path sends."""
    verb, _, rest = move.partition(":")
    if verb == "decide":
        return DecideDecision(did, DECIDED_ON, "县政府常务会议审议通过")
    if verb == "link":
        kind = "ruling" if rest.startswith("r") else "finding"
        return LinkDecisionAccountability(did, kind, uuid5(namespace, rest))
    if verb == "implement":
        return ImplementDecision(did, date(2026, 5, 1), "已印发实施")
    if verb == "correct":
        return CorrectDecision(
            did,
            reason="出台前未经合法性审查，部分条款与上位法不一致",
            correction="补充合法性审查后修订补助条款，重新印发",
            corrected_on=date(2026, 6, 15),
        )
    number = int(rest.split(":")[0])
    second = number == 2
    moves: dict[str, Command] = {
        "plan": PlanDecisionEvaluation(
            did,
            evaluator="浙江某高校公共政策评估中心",
            scope="二次评估：整改落实情况" if second else "决策执行情况和实施效果",
            planned_on=date(2026, 11, 10) if second else date(2026, 9, 1),
        ),
        "report": ReportDecisionEvaluation(
            did,
            number,
            score=86 if second else 71,
            conclusion="整改到位，达到预期" if second else "基本达到预期，部分条款执行偏差",
            findings=[] if second else ["补助申报材料要求过多", "兑现周期偏长"],
            reported_on=date(2026, 11, 20) if second else date(2026, 10, 15),
        ),
        "feedback": GiveEvaluationFeedback(
            did,
            number,
            feedback="评估意见已反馈责任单位",
            rectification_required=move.endswith("rectify"),
            deadline=date(2026, 12, 31) if move.endswith("rectify") else None,
        ),
        "rectify": ReportEvaluationRectification(did, number, "精简申报材料，兑现周期压缩至30日"),
        "use": UseEvaluationResults(did, number, "assessment", "评估结果纳入责任单位年度考评"),
    }
    return moves[verb]


def market_code(body: str) -> str:
    """A demo entity's 统一社会信用代码: its 17 characters and their check character."""
    return body + uscc.calc_check_digit(body)


def entity_row(industry: str, body: str, name: str, kind: str, address: str) -> dict[str, Any]:
    return {"credit_code_text": market_code(body), "name": name, "entity_kind": kind,
            "industry": industry, "address": address}  # fmt: skip


def load_spot_checks(loader: Loader, namespace: UUID, inspector: Actor, second: Actor) -> None:
    """一单两库一细则: 县市场监督管理局's 检查对象名录库 (listed, re-imported: one 住所 amended,
    one entity new; one struck off), its 执法检查人员名录库 (one officer moved off duty), two
    matters (one withdrawn), and a round of the food matter drawn (v2) and concluded."""
    app = loader.app
    code, name, kind = MARKET_DEPARTMENT
    admin = Actor(id="demo-loader", name="演示数据导入", role=Role.ADMIN)
    loader.send("spot:unit", RegisterUnit(code, name, kind), admin)
    for industry, entities in MARKET_ENTITIES.items():
        for body, entity_name, entity_kind, address in entities:
            entry = (market_code(body), entity_name, entity_kind, industry, address)
            loader.send(f"spot:entity:{body}", RegisterMarketEntity(*entry), inspector)
    rows = [entity_row(*row) for row in MARKET_REIMPORT]
    loader.step(
        "spot:reimport", lambda **kw: app.import_market_entities(rows, actor=inspector, **kw)
    )
    struck, reason = MARKET_STRUCK_OFF
    loader.send("spot:struck-off", DelistMarketEntity(market_code(struck), reason), inspector)
    valid_until = date(today().year + 3, 12, 31)
    for officer_name, certificate in MARKET_OFFICERS:
        officer = RegisterOfficer(officer_name, code, certificate, valid_until)
        loader.send(f"spot:officer:{certificate}", officer, admin)
    moved, why = MARKET_OFFICER_MOVED
    loader.send("spot:officer-moved", DelistOfficer(moved, why), admin)
    food, drug = uuid5(namespace, "spot:food"), uuid5(namespace, "spot:drug")
    title, basis, method = FOOD_MATTER
    kinds = ["enterprise", "individual"]
    listed_food = ListSpotCheckMatter(code, title, basis, method, 30, 2, kinds, ["食品经营"], food)
    loader.send("spot:matter:food", listed_food, admin)
    title, basis, method = DRUG_MATTER
    listed_drug = ListSpotCheckMatter(code, title, basis, method, 50, 1, [], ["药品零售"], drug)
    loader.send("spot:matter:drug", listed_drug, admin)
    withdrawn = WithdrawSpotCheckMatter(drug, "并入药品经营质量管理规范检查事项")
    loader.send("spot:matter:drug:withdrawn", withdrawn, admin)
    rid = uuid5(namespace, "spot:round")
    start = today() - timedelta(days=60)
    launch = LaunchSpotCheck(food, f"{start.year}年度食品经营“双随机”抽查", start,
                             start + timedelta(days=45), inspection_id=rid)  # fmt: skip
    loader.send("spot:round:launched", launch, inspector)
    commitment = CommitInspectionSeed(rid, commitment_of(SPOT_CHECK_SEED))
    loader.send("spot:round:committed", commitment, inspector)
    draw_with_a_second_party(loader, "spot:round", rid, SPOT_CHECK_SEED, inspector, second)
    drawn = app.get_inspection(rid).target_units
    results = [
        {"unit_code": u, "result": "责令改正（进货查验记录不全）" if n == 0 else "未发现问题"}
        for n, u in enumerate(drawn)
    ]
    summary = "抽取检查对象并随机匹配执法人员，检查结果已通过国家企业信用信息公示系统公示。"
    conclusion = ConcludeInspection(rid, summary, start + timedelta(days=45), results)
    loader.send("spot:round:concluded", conclusion, inspector)
