"""What an LLM is asked to return: the answer model, and how a broken answer is salvaged.

The model answers a mirror of :class:`~llm_extract.schema.Notice` in which
every scalar is ``{"value": …, "quote": …}`` (:class:`LLMNotice`).  Its
validator runs :func:`llm_extract.ground.ground` inside instructor's loop,
so what fails grounding goes back to the model as an error to fix.  The
source text reaches the validator through a context variable (a
:class:`Check`): instructor's own ``context`` argument would also render the
messages as Jinja templates, which a notice containing ``{{`` must not be.
The check grounds at the document's desk (:mod:`.steps`), which keeps what
the accepted answer grounded to, so the tail does not ground the same
answer a second time.
"""

from __future__ import annotations

import json
import re
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, Callable, Iterator, Optional, get_args, get_origin

import pydantic_core
from instructor.v2.core.function_calls import ResponseSchema
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from ..schema import InspectionType, Notice, Section
from .steps import verify

_SCHEMA_JSON: dict[type, bytes] = {}
_SCHEMA_LOCK = threading.Lock()


Verify = Callable[[dict[str, Any]], list[str]]


@dataclass
class Check:
    """One document's grounding inside instructor's loop.

    ``verify`` grounds an answer (as JSON) against the document, at the
    document's desk (in a run, the worker process that holds its rules'
    reading, and then the grounding of the answer that passes, for the
    tail); after an answer passes, ``passed`` is that answer and ``answer``
    its JSON.
    """

    verify: Verify
    passed: object | None = None
    answer: dict[str, Any] | None = None


SOURCE: ContextVar[Check | None] = ContextVar("llm_extract_source", default=None)


@contextmanager
def source_text(source: str | Verify) -> Iterator[Check]:
    """Ground the LLM answers validated inside this block: against a text, or with a document's ``verify``."""
    check = Check(source if callable(source) else partial(verify, source))
    token = SOURCE.set(check)
    try:
        yield check
    finally:
        SOURCE.reset(token)


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
        """Built once: instructor asks for the schema on every request, and building it costs ~35 ms.

        Built under a lock, so the first requests of a run at high
        concurrency do not all build it at once; each caller gets its own
        copy, as instructor may write into what it is given: parsed from the
        JSON by pydantic's core, ten times cheaper than a deep copy and twice
        as cheap as ``json.loads`` (0.06 against 0.12 ms), on the core every
        request shares.
        """
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        cached = _SCHEMA_JSON.get(cls)
        if cached is None:
            with _SCHEMA_LOCK:
                cached = _SCHEMA_JSON.get(cls)
                if cached is None:
                    cached = _SCHEMA_JSON[cls] = pydantic_core.to_json(super().model_json_schema())
        return pydantic_core.from_json(cached)  # type: ignore[no-any-return]

    @model_validator(mode="after")
    def _grounded_in_source(self) -> "LLMNotice":
        check = SOURCE.get()
        if check is None:
            return self
        answer = self.model_dump(mode="json")
        errors = check.verify(answer)
        if errors:
            raise ValueError(
                "Some values are not supported by the notice text. Fix or remove (set null) each of these; "
                "every quote must be copied exactly from the notice:\n- " + "\n- ".join(errors)
            )
        check.passed, check.answer = self, answer
        return self


# --- salvaging an answer ------------------------------------------------------


def parse_loose(raw: str) -> dict[str, Any] | None:
    """A JSON object from a model's raw text (fenced or bare), else ``None``."""
    fenced = re.search(r"```(?:json)?\s*(.*?)```", raw, re.S)
    candidate = fenced.group(1) if fenced else raw
    start, end = candidate.find("{"), candidate.rfind("}")
    if start == -1 or end <= start:
        return None
    try:
        obj = json.loads(candidate[start:end + 1])
    except json.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def prune_to_schema(obj: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Drop the parts of an answer that do not fit the response model's types; say what went."""
    dropped: list[str] = []
    for _ in range(50):
        try:
            LLMNotice.model_validate(obj)  # no source text set: types only
            return obj, dropped
        except ValidationError as exc:
            for error in exc.errors():
                dropped.append(f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}")
                _drop(obj, [p for p in error["loc"]])
    return {}, dropped + ["the answer does not fit the schema"]


def _drop(obj: Any, loc: list[Any]) -> None:
    node = obj
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return
    last = loc[-1] if loc else None
    if isinstance(node, dict) and last in node:
        del node[last]
    elif isinstance(node, list) and isinstance(last, int) and last < len(node):
        node.pop(last)
    elif isinstance(node, dict) and loc:
        # an extra key or a wrong shape one level up: drop the whole entry
        _drop(obj, loc[:-1])
