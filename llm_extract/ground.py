"""Grounding a model's answer: a value is kept only where the notice supports it.

:func:`ground` accepts a value only when its quote occurs in the source text
(offsets are computed here, never taken from the model), the value can be
read from the quote (a number is one of the quote's numbers, a date one of
its dates), and a count's quote carries its field's trigger word from the
field registry (诫勉 for ``admonishment``), so a real sentence quoted for the
wrong field is refused too.  What is refused is left out and reported.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Iterator

from .fields import BY_PATH, Kind, of_kind
from .record import Draft, Extraction
from .text import DATE_RE, MONEY_UNIT, NUMBER, fold, norm_text, parse_money, parse_number, resolve_date


def find_quote(text: str, quote: str, near: int = 0) -> tuple[int, int] | None:
    """Offsets of ``quote`` in ``text``, the occurrence nearest ``near``.

    The project computes spans itself; offsets a model claims are never trusted.
    """
    if not quote:
        return None
    positions = []
    start = text.find(quote)
    while start != -1 and len(positions) < 200:
        positions.append(start)
        start = text.find(quote, start + 1)
    if not positions:
        return None
    best = min(positions, key=lambda p: abs(p - near))
    return best, best + len(quote)



#: A count's quote must carry its field's own words (from the field registry).
TRIGGERS: dict[str, str] = {f.path: f.triggers for f in BY_PATH.values() if f.triggers}
_TYPE_WORDS = {"follow_up": "回头看", "special": "专项", "mobile": "机动", "routine": "常规"}
_NUMBER_RE = re.compile(NUMBER)
_MONEY_RE = re.compile(rf"(?P<n>{NUMBER})\s*(?:余|多)?(?P<u>{MONEY_UNIT})")
MONEY_PATHS = of_kind(Kind.money)
DATE_PATHS = of_kind(Kind.date)


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
        if norm_text(value) not in norm_text(quote):
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
