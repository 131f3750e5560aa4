"""The notice structure of ``shared/SPEC.md`` as Pydantic v2 models.

Field names are the JSON keys of the SPEC; every field may be ``None`` (or an
empty list) when the notice does not state it.  Cross-field rules that hold in
any true notice (dates in order, breakdowns not exceeding their totals) live in
:func:`consistency_errors`, so the same checks serve the model validator, the
rules backend (which drops what breaks them) and the LLM re-ask loop.
"""

from __future__ import annotations

import json
from datetime import date
from enum import Enum
from typing import Any, Iterator, Optional

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, NonNegativeInt, model_validator

from .fields import DATE_ORDER


class InspectionType(str, Enum):
    routine = "routine"
    special = "special"
    follow_up = "follow_up"
    mobile = "mobile"
    unspecified = "unspecified"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)


Count = Optional[NonNegativeInt]
Money = Optional[NonNegativeFloat]


class Plan(_Strict):
    problem_areas: Count = Field(None, description="number of aspects (方面) the findings are grouped in")
    problems: Count = Field(None, description="number of specific problems (具体问题) fed back")
    measures: Count = Field(None, description="number of rectification measures or tasks (整改措施, 整改任务)")
    problems_rectified: Count = Field(None, description="problems reported as already rectified")


class PartyDisciplineBreakdown(_Strict):
    warning: Count = Field(None, description="党内警告")
    serious_warning: Count = Field(None, description="严重警告")
    removal_from_post: Count = Field(None, description="撤销党内职务")
    probation: Count = Field(None, description="留党察看")
    expulsion: Count = Field(None, description="开除党籍")


class GovernmentDisciplineBreakdown(_Strict):
    warning: Count = Field(None, description="警告")
    demerit: Count = Field(None, description="记过")
    major_demerit: Count = Field(None, description="记大过")
    demotion: Count = Field(None, description="降级")
    dismissal: Count = Field(None, description="撤职")
    expulsion: Count = Field(None, description="开除")


class Outcomes(_Strict):
    party_discipline: Count = Field(None, description="党纪处分 N人")
    government_discipline: Count = Field(None, description="政务处分 N人")
    combined_discipline: Count = Field(None, description="党纪政务处分 / 党政纪处分 N人, one combined figure")
    party_discipline_breakdown: Optional[PartyDisciplineBreakdown] = None
    government_discipline_breakdown: Optional[GovernmentDisciplineBreakdown] = None
    organizational_handling: Count = Field(None, description="组织处理 N人")
    admonishment: Count = Field(None, description="诫勉 N人")
    education_reminder: Count = Field(None, description="教育提醒 N人")
    institutions: Count = Field(None, description="建立完善制度 N项")
    funds_returned: Money = Field(None, description="清退款项, yuan")
    funds_confiscated: Money = Field(None, description="收缴款, yuan")
    losses_recovered: Money = Field(None, description="挽回经济损失, yuan")
    petitions_received: Count = Field(None, description="信访件 handed over by the team")
    petitions_closed: Count = Field(None, description="of those, 办结")
    clues_received: Count = Field(None, description="问题线索 handed over")
    clues_closed: Count = Field(None, description="of those, 办结")


class Section(_Strict):
    title: str
    items: list[str] = Field(default_factory=list)


class Contact(_Strict):
    phones: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    postal_address: Optional[str] = None
    website: Optional[str] = None


class Notice(_Strict):
    """One notice, as SPEC.md fixes it."""

    title: Optional[str] = None
    issuer: Optional[str] = None
    target: Optional[str] = None
    inspection_body: Optional[str] = None
    team_number: Optional[int] = Field(None, ge=1)
    round: Optional[str] = None
    inspection_type: Optional[InspectionType] = None
    inspection_start: Optional[date] = None
    inspection_end: Optional[date] = None
    feedback_date: Optional[date] = None
    publish_date: Optional[date] = None
    plan: Plan = Field(default_factory=Plan)
    outcomes: Outcomes = Field(default_factory=Outcomes)
    sections: list[Section] = Field(default_factory=list)
    contact: Contact = Field(default_factory=Contact)

    @model_validator(mode="after")
    def _consistent(self) -> "Notice":
        problems = consistency_errors(self)
        if problems:
            raise ValueError("; ".join(f"{path}: {msg}" for path, msg in problems))
        return self

    def to_json_dict(self) -> dict[str, Any]:
        """The SPEC's JSON form: ISO dates, breakdowns without unnamed keys."""
        data = self.model_dump(mode="json")
        for key in ("party_discipline_breakdown", "government_discipline_breakdown"):
            breakdown = data["outcomes"][key]
            if breakdown is not None:
                data["outcomes"][key] = {k: v for k, v in breakdown.items() if v is not None}
        for key in ("funds_returned", "funds_confiscated", "losses_recovered"):
            value = data["outcomes"][key]
            if isinstance(value, float) and value.is_integer():
                data["outcomes"][key] = int(value)
        return data


def consistency_errors(notice: Notice) -> list[tuple[str, str]]:
    """Cross-field rules every true notice obeys, as (dotted field, message).

    The field named is the one to distrust: the later date of an inverted
    pair, the breakdown that exceeds its total.
    """
    errors: list[tuple[str, str]] = []
    last: tuple[str, date] | None = None
    for name in DATE_ORDER:
        value = getattr(notice, name)
        if value is None:
            continue
        if last is not None and value < last[1]:
            errors.append((name, f"{value.isoformat()} is before {last[0]} {last[1].isoformat()}"))
            continue
        last = (name, value)
    o = notice.outcomes
    party_total = o.party_discipline if o.party_discipline is not None else o.combined_discipline
    gov_total = o.government_discipline if o.government_discipline is not None else o.combined_discipline
    for key, total in (("party_discipline_breakdown", party_total), ("government_discipline_breakdown", gov_total)):
        breakdown = getattr(o, key)
        if breakdown is None or total is None:
            continue
        summed = sum(v for v in breakdown.model_dump().values() if v is not None)
        if summed > total:
            errors.append((f"outcomes.{key}", f"breakdown sums to {summed}, more than the total {total}"))
    for received, closed in (("petitions_received", "petitions_closed"), ("clues_received", "clues_closed")):
        r, c = getattr(o, received), getattr(o, closed)
        if r is not None and c is not None and c > r:
            errors.append((f"outcomes.{closed}", f"{c} closed is more than the {r} received"))
    p = notice.plan
    if p.problems is not None and p.problems_rectified is not None and p.problems_rectified > p.problems:
        errors.append(("plan.problems_rectified", f"{p.problems_rectified} rectified is more than {p.problems} problems"))
    return errors


class Span(BaseModel):
    """Where a value was read: ``text[start:end] == quote``."""

    model_config = ConfigDict(extra="forbid")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    quote: str


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a notice record (what ``llm-extract schema`` prints)."""
    return Notice.model_json_schema()


def json_schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2)


def iter_scalar_paths(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (dotted path, value) for every non-null leaf of a record dict.

    Lists are indexed (``sections.0.items.2``); this is the key space of the
    evidence map in an output line.
    """
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from iter_scalar_paths(value, path + ".")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    yield from iter_scalar_paths(item, f"{path}.{i}.")
                elif item is not None:
                    yield f"{path}.{i}", item
        elif value is not None:
            yield path, value
