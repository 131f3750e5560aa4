"""Grounding a model's answer: a value is kept only where the notice supports it.

:func:`ground` accepts a value only when

* its quote occurs in the source text (offsets are computed here, never
  taken from the model; exactly, else up to full/half-width and
  traditional/simplified forms);
* the value can be read from the quote: a number is one of its numbers (a
  sum of money one of its amounts in yuan), a date one of its dates in any
  form the rules read (2022年8月4日, 2022-08-04 06:51, 26.08.2016, the
  scraped 2024717日 and the year-less 8月30日), a name is the quote's own words,
  or its words once bracketed additions are removed (市卫健委(简称…),
  衛(wèi)生: SPEC.md's "Readings for real notices");
* a count's quote carries its field's trigger word or one of the synonyms
  the field registry lists (诫勉 for ``admonishment``, 反馈意见 for
  ``plan.problems``), so a real sentence quoted for the wrong field is
  refused.  A total implied by words (35件信访件已全部办结) reads as the
  handed-over count for ``*_closed``: its number and its 办结 are both in the
  quote;
* where the caller names the paragraph that states a field (``regions``: the
  summary paragraph for outcomes), its span lies inside it.

What is refused is left out, reported, and listed in the extraction's
``dropped`` (path → why), so the merge can tell a refused value (the rules
fill in) from a value the model left out (its null).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import cached_property
from typing import Any, Iterator

from .fields import BY_PATH, Kind, Region, of_kind, spec_of
from .record import Draft, Extraction
from .text import (DATE_RE, DAY_FIRST_RE, MONEY_UNIT, NUMBER, fold, norm_text, page_date, parse_money, parse_number,
                   resolve_date)


def find_quote(text: str, quote: str, near: int = 0) -> tuple[int, int] | None:
    """Offsets of ``quote`` in ``text``, the occurrence nearest ``near``.

    The project computes spans itself; offsets a model claims are never trusted.
    """
    if near == 0:  # the first occurrence is the nearest; no need to list the others
        at = text.find(quote) if quote else -1
        return None if at == -1 else (at, at + len(quote))
    positions = _positions(text, quote)
    if not positions:
        return None
    best = min(positions, key=lambda p: abs(p - near))
    return best, best + len(quote)


def _positions(hay: str, needle: str) -> list[int]:
    """Where ``needle`` starts in ``hay``, at most 200 places (none for an empty needle)."""
    found: list[int] = []
    at = hay.find(needle) if needle else -1
    while at != -1 and len(found) < 200:
        found.append(at)
        at = hay.find(needle, at + 1)
    return found


#: A count's quote must carry its field's own words or a synonym (from the field registry).
TRIGGERS: dict[str, str] = {f.path: f.triggers for f in BY_PATH.values() if f.triggers}
_TRIGGER_RES: dict[str, re.Pattern[str]] = {path: re.compile(words) for path, words in TRIGGERS.items()}
_TYPE_WORDS = {"follow_up": "回头看", "special": "专项", "mobile": "机动", "routine": "常规"}
_NUMBER_RE = re.compile(NUMBER)
_MONEY_RE = re.compile(rf"(?P<n>{NUMBER})\s*(?:余|多)?(?P<u>{MONEY_UNIT})")
#: A bracketed addition to a name: (简称…), (原…), (以下简称…), (含…), a second name, a pinyin gloss.
_BRACKETED = re.compile(r"\([^()]{0,40}\)|\[[^\[\]]{0,40}\]|【[^【】]{0,40}】|〔[^〔〕]{0,40}〕")
MONEY_PATHS = of_kind(Kind.money)
DATE_PATHS = of_kind(Kind.date)
LIST_PATHS = ("contact.phones", "contact.emails")


class Source:
    """The text an answer is grounded against, folded at most once however many quotes miss.

    One ``Source`` per answer keeps grounding linear in the text's length
    whatever the number of misquotes (each miss used to fold the whole text
    again).
    """

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def folded(self) -> str:
        return fold(self.text)

    def locate(self, quote: str, near: int = 0) -> tuple[int, int] | None:
        """Where ``quote`` stands in the text: exactly, else up to full/half-width and traditional forms."""
        quote = quote.strip()
        if not quote:
            return None
        found = find_quote(self.text, quote, near)
        if found is None:
            found = find_quote(self.folded, fold(quote), near)
        return found

    def occurrences(self, quote: str) -> list[int]:
        """Where ``quote`` starts in the text (exactly, else folded), at most 200 places."""
        quote = quote.strip()
        if not quote:
            return []
        return _positions(self.text, quote) or _positions(self.folded, fold(quote))

    def locate_heading(self, title: str, after: int) -> tuple[int, int] | None:
        """Where a finding's title stands: on a heading line if it is on one, after the finding before it.

        A title's words often recur in the notice's own headline or in a
        sentence of the body; the finding is the occurrence that opens its
        line (after at most its numbering and 关于“ / 在 wrappers).
        """
        places = self.occurrences(title)
        if not places:
            return None

        def rank(at: int) -> tuple[bool, bool, int]:
            prefix = self.folded[self.folded.rfind("\n", 0, at) + 1:at].strip()
            heading = len(prefix) <= 12 and not re.search(r"[,，。;；]", prefix)
            return not heading, at < after, at

        best = min(places, key=rank)
        return best, best + len(title.strip())


# --- reading a value from its quote ------------------------------------------


def _dates_in(quote: str, year: int) -> Iterator[tuple[date | None, bool]]:
    """Every date the quote writes, a missing year read as ``year`` (or the year after)."""
    for m in DATE_RE.finditer(quote):
        yield resolve_date(m, date(year, 1, 1))
    for m in DAY_FIRST_RE.finditer(quote):  # 26.08.2016: DATE_RE reads every other form
        day_first = page_date(m)
        if day_first is not None:
            yield day_first, True


def _value_in_quote(path: str, value: Any, quote: str) -> bool:
    """Whether ``value`` can be read from ``quote`` as a sum of money, a date or a number."""
    q = fold(quote)
    if path in MONEY_PATHS:
        for m in _MONEY_RE.finditer(q):
            yuan = parse_money(m.group("n"), m.group("u"))
            if yuan is not None and abs(float(yuan) - float(value)) <= 1:
                return True
        return False
    if path in DATE_PATHS:
        want = date.fromisoformat(value) if isinstance(value, str) else value
        for got, has_year in _dates_in(q, want.year):
            if got == want or (not has_year and got is not None and (got.month, got.day) == (want.month, want.day)):
                return True
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return any(float(n) == float(value) for _, _, n in numbers_in(q))
    return True


def numbers_in(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int, Any]]:
    """(start, end, value) of every number written in ``text[start:end]`` (Arabic or Chinese)."""
    for m in _NUMBER_RE.finditer(text, start, len(text) if end is None else end):
        n = parse_number(m.group(0))
        if n is not None:
            yield m.start(), m.end(), n


def without_brackets(quote: str) -> tuple[str, list[int]]:
    """The quote with bracketed additions removed, and for each kept character its offset in the quote."""
    folded = fold(quote)
    keep = [True] * len(quote)
    for m in _BRACKETED.finditer(folded):
        for i in range(m.start(), m.end()):
            keep[i] = False
    offsets = [i for i, k in enumerate(keep) if k]
    return "".join(quote[i] for i in offsets), offsets


def name_span(value: str, quote: str) -> tuple[int, int, str] | None:
    """Where the name ``value`` stands in ``quote``, and the name as the text writes it; else ``None``.

    Bracketed additions inside the name are allowed (雲嶺省衛(wèi)生健康委員會
    for 雲嶺省衛生健康委員會; 市卫健委(简称…) for 市卫健委): the span then covers
    them and the name is the quoted words without them.
    """
    want = fold(value)
    if not want:
        return None
    folded = fold(quote)
    at = folded.find(want)
    if at != -1:
        return at, at + len(want), quote[at:at + len(want)]
    stripped, offsets = without_brackets(quote)
    at = fold(stripped).find(want)
    if at == -1:
        return None
    a, b = offsets[at], offsets[at + len(want) - 1] + 1
    return a, b, without_brackets(quote[a:b])[0]


def name_in_quote(value: str, quote: str) -> bool:
    """Whether the name ``value`` can be read from ``quote``: its words, up to SPEC.md's string
    normal form (whitespace, quote marks, a title broken over two lines) and bracketed additions."""
    if name_span(value, quote) is not None:
        return True
    want = norm_text(value)
    return bool(want) and (want in norm_text(quote) or want in norm_text(without_brackets(quote)[0]))


# --- a field's trigger next to its number -------------------------------------

#: How far a trigger may stand from its figure: a count's words (给予党纪处分94人, 35件信访件已全部办结);
#: money's, further (清退违规发放的津补贴和课题经费46.72万元).
_WINDOW = {Kind.money: 20}
_DEFAULT_WINDOW = 12
#: An ordinal is next to its trigger inside a team's name: 第七提级交叉巡察组, 巡视五组.
_TEAM_AFTER = re.compile(r"[^,，、;；。\d]{0,6}?(?:巡视|巡察)[^,，、;；。\d]{0,2}?组")
_TEAM_BEFORE = re.compile(r"(?:巡视|巡察)$")
#: What ends a figure's neighbourhood: clause and sentence stops and brackets (党纪处分94人(党内警告53人:
#: 党内警告 belongs to 53, not to 94).
_STOPS = frozenset(",，、;；。.!?！？:：()（）[]【】\n")
#: Money is described by lists of nouns (清退违规发放津补贴、奖金等款项62.37万元): 、 does not end it.
_MONEY_STOPS = _STOPS - {"、"}
_CN_FIGURE = re.compile(r"(?P<n>[一二两三四五六七八九十百千万亿]+)\s*(?:个|项|条|人|件|名|家|次|批|起)")
#: Between two figures the words split where the second one's clause begins (48个具体问题|已整改到位45个),
#: else after the first one's measure word and a few words (3个方面|12个问题).
_HANDOFF = re.compile(r"已|均|全部|共|其中|累计|现已|目前")
_OWN_WORDS = 4
#: A short clause after a comma that completes a total: 21件问题线索，均已办结.
_COMPLETES = re.compile(r"(?:均|已|全部|都)[^\d,，、;；。()（）\n一二两三四五六七八九十百千]{0,6}")


def _split(between: str) -> int:
    """Where the words between two figures stop describing the first and start describing the second."""
    handoff = _HANDOFF.search(between)
    return handoff.start() if handoff else min(len(between), _OWN_WORDS)


def trigger_next_to(text: str, path: str, start: int, end: int, words: str | None = None) -> bool:
    """Whether ``path``'s trigger word stands next to the figure at ``text[start:end]``.

    Next to: within a few characters on either side, with no clause stop or
    bracket in between (给予党纪处分94人 for 94; 38件已全部办结 and
    21件问题线索，均已办结 for the closed counts; 省委第五巡视组 for 五), and on
    this figure's side of the words between it and the next figure (in
    3个方面12个问题, 方面 is 3's; in 48个具体问题已整改到位45个, 整改 is 45's).  A
    model that swaps a number for another of the same quoted sentence picks
    one that sits beside some *other* field's words, so the merge weighs this
    evidence.  Fields without triggers (dates, names) are never "next to"
    anything.  ``words`` asks about other words than the field's triggers
    (its label: 具体问题 rather than any 问题).
    """
    spec = BY_PATH.get(path)
    pattern = re.compile(words) if words else _TRIGGER_RES.get(path)
    if pattern is None or spec is None:
        return False
    window = _WINDOW.get(spec.kind, _DEFAULT_WINDOW)
    lo = max(0, start - window - 1)
    folded = fold(text[lo:end + 2 * window + 2])
    s, e = start - lo, end - lo
    if spec.kind is Kind.ordinal:
        return bool(_TEAM_AFTER.match(folded, e) or (_TEAM_BEFORE.search(folded, 0, s) and folded.startswith("组", e)))
    stops = _MONEY_STOPS if spec.kind is Kind.money else _STOPS
    left = s
    while left > 0 and s - left < window and folded[left - 1] not in stops and not folded[left - 1].isdigit():
        left -= 1
    bounded = left > 0 and folded[left - 1].isdigit()
    figures = list(_CN_FIGURE.finditer(folded, left, s))
    if figures:
        left, bounded = figures[-1].end("n"), True
    if bounded:
        left += _split(folded[left:s])
    right = e
    while right < len(folded) and right - e < window and folded[right] not in stops and not folded[right].isdigit():
        right += 1
    bounded = right < len(folded) and folded[right].isdigit()
    first = _CN_FIGURE.search(folded, e, right)
    if first:
        right, bounded = first.start(), True
    after_end = e + _split(folded[e:right]) if bounded else right
    if not bounded and right < len(folded) and folded[right] in ",，":
        more = _COMPLETES.match(folded, right + 1)
        if more and (more.end() == len(folded) or folded[more.end()] in _STOPS):
            after_end = more.end()
    # searched in place, so a look-behind sees the words before (严重 before 警告)
    return bool(pattern.search(folded, left, s) or pattern.search(folded, e, after_end))


def figure_spans(path: str, value: Any, text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Where inside ``text[start:end]`` the figure ``value`` of ``path`` is written (a number or an amount)."""
    if path in MONEY_PATHS:
        out = []
        for m in _MONEY_RE.finditer(fold(text[start:end])):
            yuan = parse_money(m.group("n"), m.group("u"))
            if yuan is not None and abs(float(yuan) - float(value)) <= 1:
                out.append((start + m.start(), start + m.end()))
        return out
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [(start + s, start + e) for s, e, n in numbers_in(fold(text[start:end])) if float(n) == float(value)]
    return []


def collective(path: str, quote: str) -> bool:
    """Whether ``quote`` says the field's words of all the figures it lists at once (…均已办结, 全部办结)."""
    words = TRIGGERS.get(path)
    return bool(words and re.search(rf"(?:均|都|全部)[已经]*(?:{words})", fold(quote)))


def other_figures(path: str, text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Every figure of the kind ``path`` holds (amounts for money, numbers otherwise) in ``text[start:end]``."""
    folded = fold(text[start:end])
    if path in MONEY_PATHS:
        return [(start + m.start(), start + m.end()) for m in _MONEY_RE.finditer(folded)]
    return [(start + s, start + e) for s, e, _ in numbers_in(folded)]


# --- the checks ----------------------------------------------------------------


def _check_scalar(path: str, value: Any, quote: str) -> str | None:
    """Why ``value`` is not supported by ``quote`` (which is in the text), or ``None``."""
    if path in _TRIGGER_RES and not _TRIGGER_RES[path].search(fold(quote)):
        return f"{path}: the quote {quote!r} does not mention what this field counts ({TRIGGERS[path]})"
    if path == "inspection_type":
        word = _TYPE_WORDS.get(str(value))
        if word and word not in fold(quote):
            return f"inspection_type: {value} needs the word {word} in its quote; the quote {quote!r} lacks it"
        return None
    if isinstance(value, str) and path not in DATE_PATHS:
        if not name_in_quote(value, quote):
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


def within(path: str, value: Any, text: str, span: tuple[int, int], bounds: tuple[int, int]) -> bool:
    """Whether a value read at ``span`` stands inside ``bounds``: its figure, for a number; else the whole span.

    A quote may run past the paragraph's end into the next heading; the figure it gives is what counts.
    """
    figures = figure_spans(path, value, text, *span) or [span]
    return any(bounds[0] <= s and e <= bounds[1] for s, e in figures)


def _outside(path: str, value: Any, text: str, span: tuple[int, int],
             regions: Mapping[Region, tuple[int, int]]) -> tuple[int, int] | None:
    """The region ``path`` must be quoted from when its value stands outside it, else ``None``.

    Only a region that itself names what the field counts holds its quotes:
    a summary paragraph that states 党纪政务处分163人 makes a 党纪政务处分25人
    of the body one measure's figure, but a notice whose summary says nothing
    of 制度 may state its 建立完善制度 figure in the next paragraph.
    """
    spec = spec_of(path)
    bounds = regions.get(spec.region) if spec is not None else None
    if bounds is None or within(path, value, text, span, bounds):
        return None
    pattern = _TRIGGER_RES.get(path)
    if pattern is not None and not pattern.search(fold(text[bounds[0]:bounds[1]])):
        return None
    return bounds


def ground(answer: dict[str, Any], text: str,
           regions: Mapping[Region, tuple[int, int]] | None = None) -> tuple[Extraction, list[str]]:
    """Turn an LLM answer into a grounded extraction; returns it and what was refused.

    ``regions`` maps a :class:`~llm_extract.fields.Region` to the offsets of
    that part of this notice: a field stated there must be quoted from there
    (the merge passes the summary paragraph, so an outcome figure of one
    sub-measure deep in the body is refused).  Refused values are left out of
    the extraction, never kept, and listed in its ``dropped``.
    """
    source = Source(text)
    draft = Draft(text)
    errors: list[tuple[str, str]] = []
    for path, val in _walk(answer):
        if path == "sections":
            _ground_sections(draft, val or [], source, errors)
        elif path in LIST_PATHS:
            _ground_list(draft, path, val or [], source, errors)
        else:
            _ground_scalar(draft, path, val, source, regions or {}, errors)
    extraction = draft.finish()
    messages = [why for _, why in errors] + [f"{path}: {msg}" for path, msg in extraction.dropped.items()]
    for path, why in errors:
        extraction.dropped.setdefault(path, why)
    return extraction, messages


def _ground_scalar(draft: Draft, path: str, val: dict[str, Any], source: Source,
                   regions: Mapping[Region, tuple[int, int]], errors: list[tuple[str, str]]) -> None:
    value, quote = val.get("value"), str(val.get("quote") or "")
    if value is None:
        return
    span = source.locate(quote)
    if span is None:
        errors.append((path, f"{path}: the quote {quote!r} does not occur in the notice"))
        return
    text = source.text
    problem = _check_scalar(path, value, text[span[0]:span[1]])
    if problem:
        errors.append((path, problem))
        return
    bounds = _outside(path, value, text, span, regions)
    if bounds is not None:
        head = text[bounds[0]:bounds[0] + 20]
        errors.append((path, f"{path}: the quote {quote!r} is not in the paragraph that states such figures; "
                             f"quote that paragraph (it begins {head!r}) or set null"))
        return
    if isinstance(value, str) and path not in DATE_PATHS and path != "inspection_type":
        inner = name_span(value, text[span[0]:span[1]])
        if inner is not None:  # the value's own words inside the quote
            span, value = (span[0] + inner[0], span[0] + inner[1]), inner[2]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    draft.put(path, value, *span)


def _ground_list(draft: Draft, path: str, items: list[Any], source: Source, errors: list[tuple[str, str]]) -> None:
    n = 0
    for item in items:
        span = source.locate(str(item))
        if span is None:
            errors.append((path, f"{path}: {item!r} is not in the notice"))
            continue
        draft.put(f"{path}.{n}", source.text[span[0]:span[1]], *span)
        n += 1


def _ground_sections(draft: Draft, sections: list[dict[str, Any]], source: Source,
                     errors: list[tuple[str, str]]) -> None:
    n, after = 0, 0
    for section in sections:
        title = str(section.get("title") or "")
        span = source.locate_heading(title, after)
        if span is None:
            errors.append(("sections", f"sections: the title {title!r} does not occur in the notice"))
            continue
        draft.put(f"sections.{n}.title", source.text[span[0]:span[1]], *span)
        after, k = span[1], 0
        for item in section.get("items") or []:
            ispan = source.locate(str(item), near=span[1])
            if ispan is None:
                errors.append(("sections", f"sections: the item {item!r} does not occur in the notice"))
                continue
            draft.put(f"sections.{n}.items.{k}", source.text[ispan[0]:ispan[1]], *ispan)
            k += 1
        if k == 0:
            draft.data["sections"][n].setdefault("items", [])
        n += 1
