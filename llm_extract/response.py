"""What an LLM is asked to return, and how its answer is grounded.

The model answers a mirror of :class:`~llm_extract.schema.Notice` in which
every scalar is ``{"value": …, "quote": …}``.  :func:`ground` accepts a value
only when its quote occurs in the source text (offsets are computed here,
never taken from the model), the value can be read from the quote (a number
is one of the quote's numbers, a date one of its dates), and a count's quote
carries its field's trigger word (诫勉 for ``admonishment``), so a real
sentence quoted for the wrong field is refused too.

The validator on :class:`LLMNotice` runs :func:`ground` inside instructor's
loop, so what fails goes back to the model as an error to fix.  The source
text reaches the validator through a context variable: instructor's own
``context`` argument would also render the messages as Jinja templates,
which a notice containing ``{{`` must not be.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any, Iterator, Optional, get_args, get_origin

from instructor.v2.core.function_calls import ResponseSchema
from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from .grounding import Draft, Extraction, find_quote
from .normalize import DATE_RE, MONEY_UNIT, NUMBER, fold, parse_money, parse_number, resolve_date
from .schema import InspectionType, Notice, Section

_SCHEMA_CACHE: dict[type, dict[str, Any]] = {}
SOURCE_TEXT: ContextVar[str | None] = ContextVar("llm_extract_source_text", default=None)


@contextmanager
def source_text(text: str) -> Iterator[None]:
    """Make ``text`` the text that LLM answers are grounded against."""
    token = SOURCE_TEXT.set(text)
    try:
        yield
    finally:
        SOURCE_TEXT.reset(token)


# --- the response model ----------------------------------------------------


def _grounded_type(inner: type, description: str | None) -> Any:
    name = {int: "GroundedInt", float: "GroundedNumber", str: "GroundedText", date: "GroundedDate",
            InspectionType: "GroundedInspectionType"}[inner]
    return _GROUNDED.setdefault(name, create_model(
        name,
        __config__=ConfigDict(extra="forbid"),
        value=(inner, Field(..., description="the normalised value, as SPEC.md defines it")),
        quote=(str, Field(..., description="the exact words of the notice this value is read from, copied verbatim")),
    ))


_GROUNDED: dict[str, Any] = {}


def _base_type(annotation: Any) -> Any:
    """``Optional[Annotated[int, Ge(0)]]`` -> ``int``: the type the model is asked for."""
    if type(None) in get_args(annotation):  # Optional[X]
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    while hasattr(annotation, "__metadata__"):  # Annotated[X, ...]
        annotation = annotation.__origin__
    return annotation


class LLMSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(..., description="the finding's own words, copied from its heading without numbering or 关于/“”/问题的整改情况 wrappers")
    items: list[str] = Field(default_factory=list, description="headlines of its numbered sub-entries, copied verbatim up to the first 。")


def _mirror(model: type[BaseModel], prefix: str = "LLM") -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        base = _base_type(info.annotation)
        if isinstance(base, type) and issubclass(base, BaseModel):
            fields[name] = (Optional[_mirror(base, prefix)], None)
        elif get_origin(base) is list and get_args(base)[0] is Section:
            fields[name] = (list[LLMSection], Field(default_factory=list))
        elif get_origin(base) is list:
            fields[name] = (list[str], Field(default_factory=list, description="each copied verbatim from the notice"))
        else:
            kind = int if base is int else float if base is float else base
            fields[name] = (Optional[_grounded_type(kind, info.description)], Field(None, description=info.description))
    return create_model(f"{prefix}{model.__name__}", __config__=ConfigDict(extra="forbid"), **fields)


_LLMNoticeBase = _mirror(Notice)


class LLMNotice(_LLMNoticeBase, ResponseSchema):  # type: ignore[misc, valid-type]
    """The answer an LLM gives: the notice with a quote for every value.

    A ResponseSchema already, so instructor does not wrap it in a new class
    on every request (which also defeated the schema cache below).
    """

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        """Cached: instructor asks for the schema on every request, and building it costs ~35 ms."""
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        cached = _SCHEMA_CACHE.get(cls)
        if cached is None:
            cached = _SCHEMA_CACHE[cls] = super().model_json_schema()
        return copy.deepcopy(cached)

    @model_validator(mode="after")
    def _grounded_in_source(self) -> "LLMNotice":
        text = SOURCE_TEXT.get()
        if text is None:
            return self
        _, errors = ground(self.model_dump(mode="json"), text)
        if errors:
            raise ValueError(
                "Some values are not supported by the notice text. Fix or remove (set null) each of these; "
                "every quote must be copied exactly from the notice:\n- " + "\n- ".join(errors)
            )
        return self


# --- grounding -------------------------------------------------------------

#: A count's quote must carry its field's own words.
TRIGGERS: dict[str, str] = {
    "team_number": r"巡视|巡察",
    "plan.problem_areas": r"方面",
    "plan.problems": r"问题",
    "plan.measures": r"措施|任务|举措",
    "plan.problems_rectified": r"整改|销号|完成|到位",
    "outcomes.party_discipline": r"党纪",
    "outcomes.government_discipline": r"政务|政纪",
    "outcomes.combined_discipline": r"党纪|党政纪",
    "outcomes.organizational_handling": r"组织处理",
    "outcomes.admonishment": r"诫勉",
    "outcomes.education_reminder": r"提醒|教育",
    "outcomes.institutions": r"制度",
    "outcomes.funds_returned": r"清退",
    "outcomes.funds_confiscated": r"收缴",
    "outcomes.losses_recovered": r"挽回",
    "outcomes.petitions_received": r"信访|举报|来信",
    "outcomes.petitions_closed": r"办结|完结|办理",
    "outcomes.clues_received": r"线索",
    "outcomes.clues_closed": r"办结|完结|办理|处置",
    "outcomes.party_discipline_breakdown.warning": r"警告",
    "outcomes.party_discipline_breakdown.serious_warning": r"严重警告",
    "outcomes.party_discipline_breakdown.removal_from_post": r"撤销党内职务",
    "outcomes.party_discipline_breakdown.probation": r"留党察看",
    "outcomes.party_discipline_breakdown.expulsion": r"开除党籍",
    "outcomes.government_discipline_breakdown.warning": r"警告",
    "outcomes.government_discipline_breakdown.demerit": r"记过",
    "outcomes.government_discipline_breakdown.major_demerit": r"记大过",
    "outcomes.government_discipline_breakdown.demotion": r"降级",
    "outcomes.government_discipline_breakdown.dismissal": r"撤职",
    "outcomes.government_discipline_breakdown.expulsion": r"开除",
}
_TYPE_WORDS = {"follow_up": "回头看", "special": "专项", "mobile": "机动", "routine": "常规"}
_NUMBER_RE = re.compile(NUMBER)
_MONEY_RE = re.compile(rf"(?P<n>{NUMBER})\s*(?:余|多)?(?P<u>{MONEY_UNIT})")
MONEY_PATHS = {"outcomes.funds_returned", "outcomes.funds_confiscated", "outcomes.losses_recovered"}
DATE_PATHS = {"inspection_start", "inspection_end", "feedback_date", "publish_date"}
_QUOTE_CHARS = dict.fromkeys(map(ord, "\"'“”‘’「」『』"), None)


def _norm(s: str) -> str:
    return "".join(unicodedata.normalize("NFKC", s).split()).translate(_QUOTE_CHARS)


def locate(text: str, quote: str, near: int = 0) -> tuple[int, int] | None:
    """Where ``quote`` stands in ``text``: exactly, else up to full/half-width forms."""
    quote = quote.strip()
    if not quote:
        return None
    found = find_quote(text, quote, near)
    if found is None:
        found = find_quote(fold(text), fold(quote), near)
    return found


def _value_in_quote(path: str, value: Any, quote: str) -> bool:
    q = fold(quote)
    if path in MONEY_PATHS:
        for m in _MONEY_RE.finditer(q):
            yuan = parse_money(m.group("n"), m.group("u"))
            if yuan is not None and abs(float(yuan) - float(value)) <= 1:
                return True
        return False
    if path in DATE_PATHS:
        want = date.fromisoformat(value) if isinstance(value, str) else value
        for m in DATE_RE.finditer(q):
            got, has_year = resolve_date(m, date(want.year, 1, 1))
            if got == want or (not has_year and got is not None and (got.month, got.day) == (want.month, want.day)):
                return True
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        for m in _NUMBER_RE.finditer(q):
            n = parse_number(m.group(0))
            if n is not None and float(n) == float(value):
                return True
        return False
    return True


def _check_scalar(path: str, value: Any, quote: str) -> str | None:
    """Why ``value`` is not supported by ``quote`` (which is in the text), or ``None``."""
    if path in TRIGGERS and not re.search(TRIGGERS[path], quote):
        return f"{path}: the quote {quote!r} does not mention what this field counts ({TRIGGERS[path]})"
    if path == "inspection_type":
        word = _TYPE_WORDS.get(str(value))
        if word and word not in quote:
            return f"inspection_type: {value} needs the word {word} in its quote; the quote {quote!r} lacks it"
        return None
    if isinstance(value, str) and path not in DATE_PATHS:
        if _norm(value) not in _norm(quote):
            return f"{path}: the value {value!r} is not in its quote {quote!r}"
        return None
    if not _value_in_quote(path, value, quote):
        return f"{path}: the value {value!r} cannot be read from its quote {quote!r}"
    return None


def _walk(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, val in data.items():
        path = f"{prefix}{key}"
        if isinstance(val, dict) and set(val) == {"value", "quote"}:
            yield path, val
        elif isinstance(val, dict):
            yield from _walk(val, path + ".")
        elif key in ("sections", "phones", "emails"):
            yield path, val


def ground(answer: dict[str, Any], text: str) -> tuple[Extraction, list[str]]:
    """Turn an LLM answer into a grounded extraction; returns it and what was refused.

    Refused values are left out of the extraction, never kept.
    """
    draft = Draft(text)
    errors: list[str] = []
    for path, val in _walk(answer):
        if path == "sections":
            _ground_sections(draft, val or [], text, errors)
            continue
        if path in ("contact.phones", "contact.emails"):
            n = 0
            for item in val or []:
                span = locate(text, str(item))
                if span is None:
                    errors.append(f"{path}: {item!r} is not in the notice")
                    continue
                draft.put(f"{path}.{n}", text[span[0]:span[1]], *span)
                n += 1
            continue
        value, quote = val.get("value"), str(val.get("quote") or "")
        if value is None:
            continue
        span = locate(text, quote)
        if span is None:
            errors.append(f"{path}: the quote {quote!r} does not occur in the notice")
            continue
        problem = _check_scalar(path, value, text[span[0]:span[1]])
        if problem:
            errors.append(problem)
            continue
        if isinstance(value, str) and path not in DATE_PATHS and path != "inspection_type":
            inner = locate(text[span[0]:span[1]], value)
            if inner is not None:  # the value's own words inside the quote
                span = (span[0] + inner[0], span[0] + inner[1])
                value = text[span[0]:span[1]]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        draft.put(path, value, *span)
    extraction = draft.finish()
    errors += [f"{path}: {msg}" for path, msg in extraction.dropped.items()]
    return extraction, errors


def _ground_sections(draft: Draft, sections: list[dict[str, Any]], text: str, errors: list[str]) -> None:
    n = 0
    for section in sections:
        title = str(section.get("title") or "")
        span = locate(text, title)
        if span is None:
            errors.append(f"sections: the title {title!r} does not occur in the notice")
            continue
        draft.put(f"sections.{n}.title", text[span[0]:span[1]], *span)
        k = 0
        for item in section.get("items") or []:
            ispan = locate(text, str(item), near=span[1])
            if ispan is None:
                errors.append(f"sections: the item {item!r} does not occur in the notice")
                continue
            draft.put(f"sections.{n}.items.{k}", text[ispan[0]:ispan[1]], *ispan)
            k += 1
        if k == 0:
            draft.data["sections"][n].setdefault("items", [])
        n += 1



