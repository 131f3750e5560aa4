"""The one registry of record fields: what each is, how it is written, where a notice states it.

Scoring, grounding, the answer model's descriptions, the merge and the
terminal display all read :data:`FIELDS`, so a field added or reworded here
is added or reworded everywhere at once.  ``tests/test_fields.py`` checks the
registry against the Pydantic models leaf by leaf.

Paths are dotted keys into a record (``outcomes.party_discipline_breakdown.warning``);
list fields (``contact.phones``) and the findings (``sections``) are one
entry each.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    """How a value is written, compared and merged."""

    count = "count"  # a whole number of people, items, problems
    money = "money"  # yuan; compared within 1 yuan
    date = "date"  # ISO date
    text = "text"  # a name or phrase copied from the notice
    enum = "enum"  # one of a fixed set (inspection_type)
    ordinal = "ordinal"  # a number read from a name (team_number)
    list = "list"  # a list of strings (phones, emails)
    sections = "sections"  # the findings: titles and items

    @property
    def numeric(self) -> bool:
        return self in (Kind.count, Kind.money, Kind.date, Kind.ordinal)


class Region(str, Enum):
    """The part of a notice that states a field; the rules' landmarks locate each once per document."""

    head = "head"  # title, page date lines: before the opening
    opening = "opening"  # the opening paragraph: team, unit, dates, type
    plan = "plan"  # the sentence counting problems and measures
    summary = "summary"  # the summary paragraph of outcome figures
    handover = "handover"  # petitions and clues handed over by the team
    headings = "headings"  # the numbered headings of the findings
    contact = "contact"  # the notice's own feedback channels
    tail = "tail"  # signature and date
    anywhere = "anywhere"


@dataclass(frozen=True)
class FieldSpec:
    """One field of the record.

    ``triggers`` is a regular expression of the words a quote for this field
    must carry (its own words and the synonyms SPEC.md's readings accept);
    ``label`` is the Chinese trigger shown to people.
    """

    path: str
    kind: Kind
    region: Region
    label: str = ""
    triggers: str | None = None

    @property
    def family(self) -> str:
        """The report's grouping: header, plan, outcomes, breakdowns, sections, contact."""
        if ".party_discipline_breakdown." in self.path or ".government_discipline_breakdown." in self.path:
            return "breakdowns"
        head = self.path.split(".", 1)[0]
        return head if head in ("plan", "outcomes", "sections", "contact") else "header"

    @property
    def key(self) -> str:
        """The last part of the path (``warning``, ``party_discipline``)."""
        return self.path.rsplit(".", 1)[-1]



FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("title", Kind.text, Region.head, "标题"),
    FieldSpec("issuer", Kind.text, Region.tail, "发布机关"),
    FieldSpec("target", Kind.text, Region.opening, "被巡视单位"),
    FieldSpec("inspection_body", Kind.text, Region.opening, "巡视组"),
    FieldSpec("team_number", Kind.ordinal, Region.opening, "组别", r"巡视|巡察"),
    FieldSpec("round", Kind.text, Region.head, "轮次"),
    FieldSpec("inspection_type", Kind.enum, Region.opening, "巡视类型"),
    FieldSpec("inspection_start", Kind.date, Region.opening, "进驻"),
    FieldSpec("inspection_end", Kind.date, Region.opening, "结束"),
    FieldSpec("feedback_date", Kind.date, Region.opening, "反馈"),
    FieldSpec("publish_date", Kind.date, Region.tail, "发布日期"),
    FieldSpec("plan.problem_areas", Kind.count, Region.plan, "方面", r"方面"),
    FieldSpec("plan.problems", Kind.count, Region.plan, "具体问题", r"问题|意见"),  # 29条巡视反馈意见, 问题清单
    FieldSpec("plan.measures", Kind.count, Region.plan, "整改措施", r"措施|任务|举措"),  # 任务清单, not 三张清单
    FieldSpec("plan.problems_rectified", Kind.count, Region.plan, "已整改", r"整改|销号|完成|到位"),
    FieldSpec("outcomes.party_discipline", Kind.count, Region.summary, "党纪处分", r"党纪"),
    FieldSpec("outcomes.government_discipline", Kind.count, Region.summary, "政务处分", r"政务|政纪"),
    FieldSpec("outcomes.combined_discipline", Kind.count, Region.summary, "党纪政务处分", r"党纪|党政纪"),
    FieldSpec("outcomes.party_discipline_breakdown.warning", Kind.count, Region.summary, "党内警告", r"(?<!严重)警告"),
    FieldSpec("outcomes.party_discipline_breakdown.serious_warning", Kind.count, Region.summary, "严重警告", r"严重警告"),
    FieldSpec("outcomes.party_discipline_breakdown.removal_from_post", Kind.count, Region.summary, "撤销党内职务",
              r"撤销党内职务"),
    FieldSpec("outcomes.party_discipline_breakdown.probation", Kind.count, Region.summary, "留党察看", r"留党察看"),
    FieldSpec("outcomes.party_discipline_breakdown.expulsion", Kind.count, Region.summary, "开除党籍", r"开除党籍"),
    FieldSpec("outcomes.government_discipline_breakdown.warning", Kind.count, Region.summary, "警告", r"(?<!严重)警告"),
    FieldSpec("outcomes.government_discipline_breakdown.demerit", Kind.count, Region.summary, "记过", r"记过"),
    FieldSpec("outcomes.government_discipline_breakdown.major_demerit", Kind.count, Region.summary, "记大过", r"记大过"),
    FieldSpec("outcomes.government_discipline_breakdown.demotion", Kind.count, Region.summary, "降级", r"降级"),
    FieldSpec("outcomes.government_discipline_breakdown.dismissal", Kind.count, Region.summary, "撤职", r"撤职"),
    FieldSpec("outcomes.government_discipline_breakdown.expulsion", Kind.count, Region.summary, "开除", r"开除"),
    FieldSpec("outcomes.organizational_handling", Kind.count, Region.summary, "组织处理", r"组织处理"),
    FieldSpec("outcomes.admonishment", Kind.count, Region.summary, "诫勉", r"诫勉"),
    FieldSpec("outcomes.education_reminder", Kind.count, Region.summary, "教育提醒", r"提醒|教育"),
    FieldSpec("outcomes.institutions", Kind.count, Region.summary, "制度", r"制度"),
    FieldSpec("outcomes.funds_returned", Kind.money, Region.summary, "清退", r"清退"),
    FieldSpec("outcomes.funds_confiscated", Kind.money, Region.summary, "收缴", r"收缴"),
    FieldSpec("outcomes.losses_recovered", Kind.money, Region.summary, "挽回损失", r"挽回"),
    FieldSpec("outcomes.petitions_received", Kind.count, Region.handover, "信访件", r"信访|举报|来信"),
    FieldSpec("outcomes.petitions_closed", Kind.count, Region.handover, "信访件办结", r"办结|完结|办理"),
    FieldSpec("outcomes.clues_received", Kind.count, Region.handover, "问题线索", r"线索"),
    FieldSpec("outcomes.clues_closed", Kind.count, Region.handover, "线索办结", r"办结|完结|办理|处置"),
    FieldSpec("sections", Kind.sections, Region.headings, "反馈问题"),
    FieldSpec("contact.phones", Kind.list, Region.contact, "电话"),
    FieldSpec("contact.emails", Kind.list, Region.contact, "邮箱"),
    FieldSpec("contact.postal_address", Kind.text, Region.contact, "地址"),
    FieldSpec("contact.website", Kind.text, Region.contact, "网址"),
)

BY_PATH: dict[str, FieldSpec] = {f.path: f for f in FIELDS}

#: Scalar fields (one value each), in record order: what scoring counts one by one.
SCALARS: tuple[FieldSpec, ...] = tuple(f for f in FIELDS if f.kind not in (Kind.list, Kind.sections))
#: The dates in the order every true notice keeps them (start ≤ end ≤ feedback ≤ publication).
DATE_ORDER: tuple[str, ...] = tuple(f.path for f in FIELDS if f.kind is Kind.date)


def spec_of(path: str) -> FieldSpec | None:
    """The field a dotted evidence path belongs to (``contact.phones.0`` → ``contact.phones``; ``sections.2.items.0`` → ``sections``)."""
    if path.startswith("sections"):
        return BY_PATH["sections"]
    found = BY_PATH.get(path)
    if found is None and path.rsplit(".", 1)[-1].isdigit():
        found = BY_PATH.get(path.rsplit(".", 1)[0])
    return found


def of_kind(*kinds: Kind) -> frozenset[str]:
    """The paths of every field of these kinds."""
    return frozenset(f.path for f in FIELDS if f.kind in kinds)
