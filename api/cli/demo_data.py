"""Demo data from the seed plan (新政发〔2018〕46号): units, accounts, findings in every state."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

# 责任单位 named by the seed plan, then the county's towns and subdistricts (乡镇、街道).
UNITS: list[tuple[str, str, str]] = [
    ("xfb", "县府办", "department"),
    ("fgj", "县发改局", "department"),
    ("fzb", "县法制办", "department"),
    ("jw", "县纪委（监委）", "agency"),
    ("bb", "县编办", "agency"),
    ("xzfwzx", "县行政服务中心", "agency"),
    ("gtj", "县国土局", "department"),
    ("nmjd", "南明街道", "subdistrict"),
    ("yljd", "羽林街道", "subdistrict"),
    ("qxjd", "七星街道", "subdistrict"),
    ("ctjd", "澄潭街道", "subdistrict"),
    ("dsjz", "大市聚镇", "township"),
    ("rxz", "儒岙镇", "township"),
    ("hsz", "回山镇", "township"),
    ("sxz", "沙溪镇", "township"),
    ("jlz", "镜岭镇", "township"),
    ("xjz", "小将镇", "township"),
    ("mzz", "梅渚镇", "township"),
    ("xlx", "新林乡", "township"),
    ("scx", "双彩乡", "township"),
    ("dmx", "东茗乡", "township"),
]

ACCOUNTS: list[tuple[str, str, str | None]] = [
    ("督查员 王敏", "inspector", None),
    ("县纪委（监委）审理室", "authority", "jw"),
    ("县政府分管领导", "supervisor", None),
    ("县审计局 审计员", "auditor", None),
    ("县发改局 联络员", "unit", "fgj"),
    ("南明街道 联络员", "unit", "nmjd"),
]

# (key, unit, title, description, category, severity, source, days ago found, path)
# The path walks the lifecycle: order(deadline in days from found), report, accept, reject,
# extend, escalate, interview (约谈), amend, withdraw, reopen; acknowledge (签收) and dispute
# (退办), progress (阶段进展) and apply:<days> (延期申请) by the unit's liaison; reject-dispute,
# reassign:<unit> (转办), forward or refuse (初审) by the inspector; approve or decline (审批) by
# the supervisor.
FINDINGS: list[tuple[str, str, str, str, str, str, str, int, list[str]]] = [
    (
        "f01",
        "fgj",
        "重点工作清单任务表、时间表、责任表未按期报送",
        "2026年度重点工作清单中3项任务未明确时间表和责任表，不符合“清单+台账+考评”要求。",
        "policy_implementation",
        "major",
        "routine_supervision",
        120,
        ["order:30"],
    ),
    (
        "f02",
        "sfj",
        "重大行政决策未履行合法性审查程序",
        "某项目补助政策出台前未经合法性审查即提交集体讨论，程序不完整。",
        "procedure_violation",
        "serious",
        "special_supervision",
        90,
        ["order:20", "escalate", "interview"],
    ),
    (
        "f03",
        "xzfwzx",
        "“最多跑一次”事项办理超时",
        "抽查企业投资项目审批办件20件，其中4件超出承诺时限。",
        "service_quality",
        "major",
        "random_inspection",
        60,
        ["order:90"],
    ),
    (
        "f04",
        "nmjd",
        "12345热线工单答复不及时",
        "第三季度热线工单按时办结率低于考核要求，群众反映强烈。",
        "service_quality",
        "minor",
        "petition",
        45,
        ["order:30", "report"],
    ),
    (
        "f05",
        "gtj",
        "土地出让项目批后监管台账缺失",
        "3宗出让地块无批后监管记录，“执行台账”管理未落实。",
        "dereliction",
        "major",
        "audit_referral",
        200,
        ["order:30", "report", "accept"],
    ),
    (
        "f06",
        "xfb",
        "政府系统会议数量超过年度控制数",
        "2026年上半年召开全县性会议数量较上年同期增加，违反“文件、会议数量原则上不得增加”。",
        "work_style",
        "minor",
        "routine_supervision",
        150,
        ["order:30", "report", "reject:70"],
    ),
    (
        "f07",
        "bb",
        "部门内设机构职责交叉未理顺",
        "机构改革后两个内设机构职责交叉，导致事项推诿。",
        "policy_implementation",
        "minor",
        "special_supervision",
        100,
        ["order:60", "extend:120"],
    ),
    (
        "f08",
        "dsjz",
        "村级工程项目未按规定公开招投标",
        "两个村级道路工程项目拆分发包，规避公开招标。",
        "integrity_risk",
        "serious",
        "inspection_tour_referral",
        180,
        ["order:30", "report", "accept", "reopen:60"],
    ),
    (
        "f09",
        "rxz",
        "督查件逾期未反馈",
        "县政府督查件交办后超过规定时限未反馈办理情况。",
        "dereliction",
        "minor",
        "routine_supervision",
        30,
        ["withdraw"],
    ),
    (
        "f10",
        "hsz",
        "惠农补贴发放公示不规范",
        "补贴发放名单未在村务公开栏公示满规定天数。",
        "procedure_violation",
        "minor",
        "petition",
        75,
        ["amend", "order:45"],
    ),
    (
        "f11",
        "sxz",
        "河长制巡河记录弄虚作假",
        "部分村级河长巡河记录与实际轨迹不符。",
        "work_style",
        "major",
        "special_supervision",
        20,
        [],
    ),
    (
        "f12",
        "jlz",
        "安全生产隐患整改不到位",
        "上次检查发现的隐患仍未整改，存在重大安全风险。",
        "dereliction",
        "serious",
        "routine_supervision",
        40,
        ["order:10", "escalate"],
    ),
    (
        "f13",
        "fgj",
        "企业投资项目“标准地+承诺制”改革推进缓慢",
        "年度目标完成率不足一半，未形成可复制经验。",
        "policy_implementation",
        "major",
        "routine_supervision",
        10,
        ["order:25"],
    ),
    (
        "f14",
        "qxjd",
        "政务公开栏信息长期未更新",
        "街道政务公开栏信息停留在上年度。",
        "service_quality",
        "minor",
        "random_inspection",
        300,
        ["order:30", "report", "accept"],
    ),
    # The unit's answer to an order (签收, 退办 → 转办 or 不予认可); appended so that a demo
    # loaded by an earlier version runs only these new steps.
    (
        "f15",
        "yljd",
        "老旧小区改造进度滞后",
        "三个小区改造未按计划开工，居民反映强烈。",
        "dereliction",
        "major",
        "routine_supervision",
        20,
        ["order:30", "acknowledge", "progress", "apply:60", "forward", "approve"],
    ),
    (
        "f16",
        "gtj",
        "农贸市场周边占道经营反复出现",
        "督查发现占道经营整治后反弹，属市场监管职责，国土局提出退办。",
        "work_style",
        "minor",
        "random_inspection",
        15,
        ["order:20", "dispute", "reassign:xzfwzx", "acknowledge", "apply:50", "forward", "decline"],
    ),
    (
        "f17",
        "ctjd",
        "河道保洁责任未落实",
        "河道沿线垃圾未及时清理，街道以属水利部门职责为由退办。",
        "policy_implementation",
        "minor",
        "routine_supervision",
        12,
        ["order:20", "dispute", "reject-dispute", "acknowledge", "apply:45", "refuse"],
    ),
    # 立项 from a leader's instruction and from a meeting's decision (ORIGINS); the first goes
    # 交办 → 签收 → 阶段进展 → report → 退回 → report → 销号.
    (
        "f18",
        "nmjd",
        "学校周边上下学时段交通拥堵",
        "县长批示：南明街道三所学校周边早晚高峰拥堵，家长反映强烈，请限期拿出整治方案。",
        "service_quality",
        "major",
        "leader_instruction",
        25,
        ["order:30", "acknowledge", "progress", "report", "reject:40", "report", "accept"],
    ),
    (
        "f19",
        "fgj",
        "重大项目前期工作推进缓慢",
        "县政府常务会议议定：三个省重点项目前期手续须在一个月内办结，目前进度滞后。",
        "policy_implementation",
        "serious",
        "meeting_decision",
        10,
        ["order:25"],
    ),
    # Waiting on 南明街道's liaison: an order to sign for, its deadline a week away.
    (
        "f20",
        "nmjd",
        "背街小巷路灯损坏未及时修复",
        "群众反映三条背街小巷路灯损坏超过一个月，夜间出行存在安全隐患。",
        "service_quality",
        "minor",
        "petition",
        3,
        ["order:10"],
    ),
    # Ordered a week and more ago (BACKDATED) and signed for only after the reminders ran:
    # 签收催办 first, then a late 签收 (AFTER_REMINDERS).
    (
        "f21",
        "fgj",
        "政府投资项目审批超过承诺时限",
        "审计移交：两个政府投资项目可研批复超过承诺办结时限。",
        "procedure_violation",
        "major",
        "audit_referral",
        9,
        ["order:20"],
    ),
]

# Findings whose path was walked N days before today (their events are dated so).
BACKDATED: dict[str, int] = {"f21": 8}
# Steps taken after the demo's reminders ran (so a reminder comes before them).
AFTER_REMINDERS: dict[str, list[str]] = {"f21": ["acknowledge"]}

# Where the findings of a leader's instruction or a meeting's decision came from: what is
# named (the leader, the meeting) and how many days before the finding it was given.
ORIGINS: dict[str, tuple[str, str, int]] = {
    "f18": ("leader", "县长 王建国（县长批示〔2026〕12号）", 2),
    "f19": ("meeting", "县政府第15次常务会议", 3),
}
DAY_NAMED = {"leader": "instructed_on", "meeting": "held_on"}


REFORM_ON = date(2019, 3, 1)  # 机构改革: 县法制办 merged into 县司法局, 县国土局 renamed
MERGED_IN_REFORM = {"fzb": "sfj"}

# Findings of the plan's years (issue 18 item 10), each against a unit active at the time
# (县法制办 before its 2019 merger), recorded as they happened: (key, unit, title,
# description, category, severity, found on, steps as verb:days after found); an order's
# deadline is 30 days after it.
PAST_FINDINGS: list[tuple[str, str, str, str, str, str, date, str]] = [
    (
        "h18a",
        "fzb",
        "规范性文件合法性审查超时",
        "抽查2018年规范性文件15件，4件合法性审查超过规定时限。",
        "procedure_violation",
        "minor",
        date(2018, 5, 10),
        "order:1 report:20 accept:24",
    ),
    (
        "h18b",
        "dsjz",
        "农村人居环境整治进度滞后",
        "3个行政村垃圾分类设施建设未按计划完成。",
        "policy_implementation",
        "major",
        date(2018, 9, 3),
        "order:2 report:28 accept:33",
    ),
    (
        "h19a",
        "gtj",
        "土地征收补偿公示不规范",
        "2个征收项目补偿方案未按规定公示。",
        "procedure_violation",
        "major",
        date(2019, 4, 16),
        "order:1 report:25 accept:30",
    ),
    (
        "h19b",
        "nmjd",
        "便民服务中心窗口空岗",
        "暗访发现工作日上午两个窗口无人值守。",
        "work_style",
        "minor",
        date(2019, 11, 5),
        "order:1 report:9 accept:12",
    ),
    (
        "h20a",
        "xfb",
        "督查件反馈不及时",
        "2020年上半年有5件督查件未在规定时限内反馈。",
        "dereliction",
        "minor",
        date(2020, 7, 8),
        "order:1 report:18 accept:21",
    ),
    (
        "h20b",
        "rxz",
        "防汛物资储备不足",
        "汛前检查发现镇级防汛物资储备未达标准。",
        "policy_implementation",
        "serious",
        date(2020, 5, 20),
        "order:1 report:26 accept:29",
    ),
    (
        "h21a",
        "fgj",
        "项目审批超时",
        "抽查企业投资项目核准事项，2件超过承诺时限。",
        "service_quality",
        "major",
        date(2021, 3, 22),
        "order:1 report:27 accept:31",
    ),
    (
        "h21b",
        "hsz",
        "惠农补贴发放台账不全",
        "经核实台账已补齐，系抽查时资料未归档。",
        "integrity_risk",
        "minor",
        date(2021, 10, 12),
        "withdraw:6",
    ),
    (
        "h22a",
        "xzfwzx",
        "“最多跑一次”事项办理超时",
        "抽查2022年办件200件，6件超过承诺时限。",
        "service_quality",
        "major",
        date(2022, 6, 14),
        "order:1 report:35 accept:40",
    ),
    (
        "h22b",
        "jlz",
        "安全生产隐患整改不到位",
        "回头看发现2处隐患未按要求整改。",
        "policy_implementation",
        "serious",
        date(2022, 8, 30),
        "order:1 report:22 accept:26",
    ),
]


def found_on(days_ago: int, today: date) -> date:
    return today - timedelta(days=days_ago)


# The plan's 14 tasks (主要任务) with their 责任单位: (task no., title, lead, co-units, summary).
ALL_TOWNS = ("nmjd", "dsjz", "rxz")  # a few of 各乡镇（街道） stand for all of them
TASKS: list[tuple[int, str, str, tuple[str, ...], str]] = [
    (1, "加强政治建设", "xfb", ALL_TOWNS, "坚决贯彻上级党委政府和县委决策部署，做到令行禁止。"),
    (2, "加强思想建设", "xfb", ALL_TOWNS, "学懂弄通做实党的十九大精神，加强党员干部学习教育。"),
    (3, "加强组织建设", "xfb", ALL_TOWNS, "严格执行政府党组工作规则，推动从严治党主体责任全覆盖。"),
    (
        4,
        "加强作风建设",
        "xfb",
        ALL_TOWNS,
        "严把办文办会关，政府系统文件、会议数量和会议经费原则上不得增加。",
    ),
    (5, "加强纪律建设", "xfb", ALL_TOWNS, "认真执行“三重一大”事项集体决策制度，加强廉政风险管控。"),
    (6, "建立科学谋划体系", "fgj", ALL_TOWNS, "全面对标先进县市，构建政策协同研究机制。"),
    (
        7,
        "健全行政决策机制",
        "fzb",
        (),
        "开展重大行政决策目录化管理，依法履行公众参与、专家论证、风险评估、合法性审查、集体讨论决定等程序。",
    ),
    (
        8,
        "建立第三方评估制度",
        "fzb",
        (),
        "对重大行政决策执行情况进行第三方评估，建立反馈整改、二次评估、结果运用机制。",
    ),
    (
        9,
        "实行重点工作清单管理",
        "xfb",
        ("fgj", *ALL_TOWNS),
        "推行重点工作清单制度，实现年初有清单、年中有督查、年末有考评、全年有台账的闭环管理。",
    ),
    (
        10,
        "改进政务督查工作",
        "xfb",
        (),
        "建立健全有清单、有督查、有考评、有激励、有问责“五位一体”的大督查工作体系。",
    ),
    (
        11,
        "健全行政问责工作机制",
        "jw",
        ("xfb",),
        "加强行政问责规范化制度化建设，重点惩治庸政懒政怠政行为。",
    ),
    (
        12,
        "完善改革创新容错免责机制",
        "jw",
        ("xfb",),
        "制订完善改革创新容错免责实施细则，建立容错免责案例库。",
    ),
    (13, "改革机构设置", "bb", (), "按照上级统一部署加快实施机构改革，理顺政府部门间职能分工。"),
    (
        14,
        "规范行政权力",
        "bb",
        ("xzfwzx", "fgj", "fzb", "gtj"),
        "动态调整权力清单，全面推行“双随机、一公开”监管。",
    ),
]
YEARS = range(2018, 2023)
# The ruling whose person asked to be forgotten (its decision was revoked): crypto-shredded.
SHREDDED = "r06"
# Conditions (条件) the demo's 免责 and 从轻 decisions find verified beside a circumstance, as
# a county's 容错免责办法 would require (the demo adopts none: an adopted policy binds every
# later decision of the service, docs/commands.md).
POLICY_CONDITIONS = ("no_personal_gain", "due_procedure", "no_collusion")
# 责任领导 of the demo's work items, by post (the seed plan names posts, not people).
LEADERS = ["县委常委、常务副县长", "分管副县长", "县政府办公室主任"]
GRADES = [(96, "excellent"), (91, "excellent"), (86, "good"), (78, "pass"), (82, "good")]

# Rulings in every state: (key, kind, unit, finding key, person, path).
# Accountability paths start `proposed`; fault-tolerance paths start `applied`.
# 分设 (issue 18 item 6): the unit split, then its two successors (code, name).
SPLIT_UNITS = [("nlj", "县农林局"), ("nyncj", "县农业农村局"), ("lyj", "县林业局")]
SPLIT_FINDINGS = [
    ("林地占用审批台账不全", "抽查林地占用审批事项12件，其中4件台账资料缺失。"),
    ("农业补贴公示不及时", "经核实，公示已按时完成，系信息报送有误。"),
]

# 人员名录 (issue 18 item 5): a person rulings name by id (unit, name, position).
PERSON = ("fgj", "陈建华", "副局长")

RULINGS: list[tuple[str, str, str, str, tuple[str, str] | None, list[str]]] = [
    ("r01", "accountability", "fgj", "f01", ("陈立新", "科长"), []),
    ("r02", "accountability", "jlz", "f12", ("周建华", "副镇长"), ["verify"]),
    ("r03", "accountability", "xfb", "f06", None, ["decide"]),
    ("r04", "accountability", "gtj", "f05", ("吴海平", "股长"), ["decide", "appeal"]),
    (
        "r05",
        "accountability",
        "dsjz",
        "f08",
        ("郑国强", "站长"),
        ["verify", "decide", "appeal", "modified", "publish"],
    ),
    ("r06", "accountability", "sxz", "f11", ("孙明", "村指导员"), ["decide", "appeal", "revoked"]),
    ("r07", "accountability", "sfj", "f02", None, ["decide", "publish"]),
    ("t01", "fault_tolerance", "fgj", "f13", ("林晓东", "副局长"), []),
    ("t02", "fault_tolerance", "bb", "f07", None, ["verify"]),
    ("t03", "fault_tolerance", "xzfwzx", "f03", ("黄丽", "窗口负责人"), ["exempted", "publish"]),
    ("t04", "fault_tolerance", "nmjd", "f04", ("何振宇", "副主任"), ["denied"]),
    (
        "t05",
        "fault_tolerance",
        "hsz",
        "f10",
        ("马文涛", "站长"),
        ["verify", "mitigated", "appeal", "upheld", "publish"],
    ),
    ("t06", "fault_tolerance", "qxjd", "f14", None, ["exempted", "appeal"]),
    (
        "t07",
        "fault_tolerance",
        "gtj",
        "f05",
        ("徐春燕", "科员"),
        ["mitigated", "appeal", "revoked"],
    ),
    (
        "r08",
        "accountability",
        "rxz",
        "f09",
        ("蒋卫东", "办公室主任"),
        ["decide", "appeal", "upheld"],
    ),
    ("t08", "fault_tolerance", "fgj", "f01", ("冯佳", "科长"), ["exempted", "appeal", "modified"]),
    # 陈述申辩 heard, then 组织调整 (调整职务, a year's 影响期), then 送达 (issue 18 item 3).
    ("r09", "accountability", "fgj", "f01", ("钱志远", "副科长"), ["statement", "adjust", "serve"]),
]

# -- issue #9: a concluded "double random" round (双随机、一公开, task 14) ------------------------

# The inspector pool (name, the unit each belongs to: 回避) and the seed, committed first.
INSPECTION_POOL: list[tuple[str, str | None]] = [
    ("王敏", "jw"),
    ("陈刚", "xfb"),
    ("刘洋", "sfj"),
    ("周婷", None),
    ("吴磊", "bb"),
]
INSPECTION_SEED = "新昌县2026年第一批双随机抽查·种子·d41f7c2e9b"
# The second party's seed (县府办 督查室主任), committed after the inspector's.
CO_SEED = "县府办督查室·第二方种子·7a90c3e15f"
INSPECTION_KEY = "i01"
INSPECTION_TITLE = "2026年度“双随机、一公开”行政执法检查（第一批）"
INSPECTION_SCOPE = (
    "全县乡镇（街道）和县府部门的行政执法事项（任务14：全面推行“双随机、一公开”监管）"
)
INSPECTION_PERIOD = (date(2026, 3, 1), date(2026, 4, 30))
INSPECTION_SHARE_PERCENT = 20
INSPECTION_FINDING = (
    "行政执法公示信息不完整",
    "抽查行政处罚案卷10件，其中3件未在规定时限内公示执法结果。",
)
INSPECTION_SUMMARY = (
    "按双随机方式抽取检查对象并随机匹配检查人员，发现问题1个，已交办整改并纳入年度考评。"
)

# -- issue #9: major decisions (重大行政决策, tasks 7 and 8) ------------------------------------

# (key, title, unit, steps done, path) — the path walks the decision's life and evaluation.
DECISIONS: list[tuple[str, str, str, tuple[str, ...], list[str]]] = [
    (
        "d01",
        "新昌县城区公交线网优化调整方案",
        "sfj",
        (
            "public_participation",
            "expert_argumentation",
            "risk_assessment",
            "legality_review",
            "collective_decision",
        ),
        ["decide", "implement", "plan:1", "report:1", "feedback:1:none", "use:1"],
    ),
    (
        "d02",
        "县级工业项目专项补助政策",
        "sfj",
        ("public_participation", "expert_argumentation", "risk_assessment", "collective_decision"),
        [
            "decide",
            "link:r07",
            "link:f02",
            "implement",
            "correct",
            "plan:1",
            "report:1",
            "feedback:1:rectify",
            "rectify:1",
            "plan:2",
            "report:2",
            "feedback:2:none",
            "use:2",
        ],
    ),
    (
        "d03",
        "县域农村生活垃圾分类处理设施布局规划",
        "fgj",
        ("public_participation", "expert_argumentation"),
        [],
    ),
    (
        # Discussed collectively before its legality review, which found it unlawful: flagged.
        "d04",
        "县城区道路停车收费标准调整方案",
        "fgj",
        (
            "public_participation",
            "expert_argumentation",
            "risk_assessment",
            "collective_decision",
            "legality_review",
        ),
        ["decide"],
    ),
]

# What each step found (记录决策程序的结果), and where one decision's differs.
STEP_RESULTS: dict[str, dict[str, Any]] = {
    "public_participation": {
        "summary": "在县政府门户网站公开征求意见30日，召开听证会1场",
        "participants": 126,
        "opinions": 38,
    },
    "expert_argumentation": {
        "summary": "组织交通、法律、财政领域专家论证",
        "participants": 5,
        "opinions": 12,
    },
    "risk_assessment": {"outcome": "low"},
    "legality_review": {"outcome": "lawful_after_changes"},
}
RESULTS_OF: dict[tuple[str, str], dict[str, Any]] = {
    ("d04", "legality_review"): {"outcome": "unlawful"},
    ("d04", "risk_assessment"): {"outcome": "medium"},
}

# 权力清单、责任清单 (task 14): (unit, [(name, kind, legal basis, internal unit, duties)]).
POWER_LISTS: list[tuple[str, list[tuple[str, str, str, str | None, str]]]] = [
    (
        "fgj",
        [
            (
                "企业投资项目核准",
                "licensing",
                "《企业投资项目核准和备案管理条例》第三条",
                "投资科",
                "受理、审查、决定、送达责任；核准后的事中事后监管责任",
            ),
            (
                "价格违法行为行政处罚",
                "penalty",
                "《中华人民共和国价格法》第三十九条至第四十二条",
                "价格监督检查科",
                "立案、调查、审查、告知、决定、送达、执行责任",
            ),
            (
                "政府定价项目成本监审",
                "inspection",
                "《政府制定价格成本监审办法》第四条",
                "价格科",
                "制定监审方案、实地审核、出具报告并公开的责任",
            ),
        ],
    ),
    (
        "xzfwzx",
        [
            (
                "政务服务事项进驻和运行管理",
                "other",
                "《浙江省公共数据和电子政务管理办法》",
                None,
                "事项进驻、窗口运行、办件督查和投诉处理责任",
            ),
        ],
    ),
]

# -- 一单两库一细则 (issue 18 item 8): 县市场监督管理局's random spot checks of market entities ----

MARKET_DEPARTMENT = ("scjgj", "县市场监督管理局", "department")
# By industry: (code body, the 17 characters before the check character; name; kind; 住所).
MARKET_ENTITIES: dict[str, list[tuple[str, str, str, str]]] = {
    "食品经营": [
        ("91330624MA2BX1A01", "新昌县南明鲜味食品有限公司", "enterprise", "南明街道人民中路12号"),
        ("91330624MA2BX1A02", "新昌县七星粮油商行有限公司", "enterprise", "七星街道七星路88号"),
        ("91330624MA2BX1A03", "新昌县羽林放心早餐店有限公司", "enterprise", "羽林街道羽林路5号"),
        ("91330624MA2BX1A04", "新昌县澄潭小京生炒货有限公司", "enterprise", "澄潭街道澄潭路201号"),
        ("91330624MA2BX1A05", "新昌县大市聚农家菜馆有限公司", "enterprise", "大市聚镇大市聚村"),
        ("91330624MA2BX1A06", "新昌县儒岙高山茶食品有限公司", "enterprise", "儒岙镇儒岙路16号"),
        ("91330624MA2BX1A07", "新昌县回山春饼坊有限公司", "enterprise", "回山镇回山街3号"),
        ("91330624MA2BX1A08", "新昌县镜岭豆腐坊有限公司", "enterprise", "镜岭镇镜岭村"),
        ("92330624MA2BX1B01", "新昌县南明街道老王面馆", "individual", "南明街道鼓山西路7号"),
        ("92330624MA2BX1B02", "新昌县七星街道李记小吃店", "individual", "七星街道新昌大道40号"),
        ("92330624MA2BX1B03", "新昌县沙溪镇农家土特产店", "individual", "沙溪镇沙溪村"),
        ("93330624MA2BX1C01", "新昌县梅渚高山茶叶专业合作社", "cooperative", "梅渚镇梅渚村"),
    ],
    "药品零售": [
        ("91330624MA2BX1D01", "新昌县南明大药房有限公司", "enterprise", "南明街道人民西路30号"),
        ("91330624MA2BX1D02", "新昌县康宁医药连锁有限公司", "enterprise", "七星街道七星路15号"),
    ],
}
# A later export of the department's registration system: one 住所 moved, one entity new.
MARKET_REIMPORT: list[tuple[str, str, str, str, str]] = [
    (
        "食品经营",
        "91330624MA2BX1A01",
        "新昌县南明鲜味食品有限公司",
        "enterprise",
        "南明街道人民中路18号",
    ),
    ("食品经营", "91330624MA2BX1A09", "新昌县小将镇山货食品有限公司", "enterprise", "小将镇小将村"),
]
MARKET_STRUCK_OFF = ("91330624MA2BX1A08", "已办理注销登记")
# (name, 执法证号) of the department's officers; the last moved off enforcement duty.
MARKET_OFFICERS: list[tuple[str, str]] = [
    ("张建国", "33062401001"),
    ("李晓燕", "33062401002"),
    ("王志强", "33062401003"),
    ("赵丽萍", "33062401004"),
    ("钱永明", "33062401005"),
]
MARKET_OFFICER_MOVED = ("33062401005", "调离执法岗位")
FOOD_MATTER = (
    "食品经营许可事项监督检查",
    "《中华人民共和国食品安全法》第一百一十条、《食品经营许可和备案管理办法》",
    "实地核查、查阅资料",
)
DRUG_MATTER = ("药品零售企业监督检查", "《中华人民共和国药品管理法》第九十九条", "实地核查")
SPOT_CHECK_SEED = "县市场监管局食品经营双随机抽查·种子·5be2a91c07"
