"""Normalisers for the values notices write loosely: numerals, money, dates, strings.

Every function here is total over its input type: it returns ``None`` for
what it cannot read rather than raising, so that a rule over scraped text
never crashes a batch.
"""

from __future__ import annotations

import itertools
import re
import threading
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Callable


CN_DIGITS = "〇零一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟"
#: A number as notices write it: Arabic (with thousands separators or a
#: decimal part) or Chinese numerals.
NUMBER = rf"(?:\d+(?:,\d{{3}})*(?:\.\d+)?|[{CN_DIGITS}]+)"


def _t2s() -> Callable[[str], str]:
    try:
        import opencc

        return opencc.OpenCC("t2s").convert
    except Exception:  # noqa: BLE001 - without OpenCC, traditional text is matched as it is
        return lambda s: s


class _FoldTable(dict):
    """``str.translate`` table computing each code point's fold once, on first sight.

    NFKC (full-width forms to ASCII), then OpenCC's traditional-to-simplified
    mapping for a single CJK character, so pages from Big5 mirrors (巡視組)
    match the same rules as the simplified originals (巡视组).
    """

    t2s = staticmethod(_t2s())

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        folded = unicodedata.normalize("NFKC", ch)
        value = folded if len(folded) == 1 else ch
        if _is_cjk(value):
            simple = self.t2s(value)
            if len(simple) == 1:
                value = simple
        self[code] = value
        return value


_FOLD = _FoldTable()
#: Texts this long are whole documents (or large parts of them), folded by several steps in turn.
_WHOLE_TEXT = 1024


def fold(text: str) -> str:
    """Length-preserving NFKC (and traditional to simplified): full-width punctuation and digits to ASCII.

    Offsets into the folded text are offsets into the original, so rules can
    match one shape of ``(一)`` or ``:`` and still ground spans exactly.
    Characters whose NFKC form is longer than one are kept as they are.
    """
    if text.isascii():
        return text
    if len(text) >= _WHOLE_TEXT:
        return _fold_whole(text)
    return text.translate(_FOLD)


@lru_cache(maxsize=8)
def _fold_whole(text: str) -> str:
    """A document's fold, kept for the next step that asks: the not-a-notice check, the layout and
    grounding each fold the same text.

    Only the characters the fold can change are visited: a regular
    expression finds them (~7 ns a character; ``str.translate`` makes an int
    for every character, ~65 ns) and the table folds each.  A notice has few
    (full-width punctuation and digits, a traditional character or two).  A
    few entries cover the documents one process has in hand at once (a
    worker lane holds two at a time).  The class is built after a process's
    first 128 whole-text folds, which are translated whole, so a process
    that reads few documents never pays for it.
    """
    changing = _CLASS
    if changing is None:
        if next(_whole_folds) < _FOLDS_BEFORE_CLASS or not _BUILDING.acquire(blocking=False):
            return text.translate(_FOLD)  # early, or another thread is building the class
        try:
            changing = _changing()
        finally:
            _BUILDING.release()
    return changing.sub(_fold_match, text)


#: Whole texts a process folds with the table alone before it builds the class of changing characters.
#: The class costs ~55 ms, what it saves on ~120 notices of 8,000 characters: building it after that
#: many folds never costs a process more than twice what the best choice in hindsight would have
#: (the ski-rental rule).  A run's own process, which opens the first documents while its lanes start,
#: stays below it; the lanes' fork server builds the class before it forks them.
_FOLDS_BEFORE_CLASS = 128
_whole_folds = itertools.count()
_CLASS: re.Pattern[str] | None = None  # the class, once built
#: Held while one thread builds the class; the others fold with the table meanwhile (several request
#: threads of a run fold documents at once, and each built its own class before this lock).
_BUILDING = threading.Lock()


def _fold_match(m: re.Match[str]) -> str:
    return _FOLD[ord(m.group())]


def _changing() -> re.Pattern[str]:
    """Every character of the Basic Multilingual Plane that the fold changes, and every one beyond it
    and every lone surrogate (left to the table to decide), as one character class.

    Built once per process, after its first 128 whole-text folds, or in a
    fork server before it forks the workers (:func:`prepare`), in ~55 ms: NFKC
    over the whole plane in one call (its characters between NULs, which
    compose with nothing), then OpenCC over its CJK ideographs in one call
    (one a line, so no phrase spans two); asking the table character by
    character takes ~0.3 s.  Only where to look comes from here; what a
    character folds to is still the table's, so the class must hold every
    changing character and may hold more (a test checks every code point).
    Called with ``_BUILDING`` held, so one thread builds it.
    """
    global _CLASS
    if _CLASS is not None:
        return _CLASS
    chars = "".join(map(chr, range(1, 0xD800))) + "".join(map(chr, range(0xE000, 0x10000)))  # NUL folds to itself
    parts = unicodedata.normalize("NFKC", "\0".join(chars)).split("\0")
    if len(parts) != len(chars):  # pragma: no cover - a NUL never composes or decomposes
        raise RuntimeError("NFKC of the plane did not keep one part per character")
    folded = "".join([n if len(n) == 1 else c for c, n in zip(chars, parts)])
    cjk = "".join(_CJK.findall(folded))
    simple = _FoldTable.t2s("\n".join(cjk)).split("\n")
    if len(simple) != len(cjk):  # pragma: no cover - OpenCC keeps lines apart; else ask it one by one
        simple = [_FOLD[ord(c)] for c in cjk]
    final = folded.translate({ord(c): s for c, s in zip(cjk, simple) if len(s) == 1 and s != c})
    changed = [ord(c) for c, f in zip(chars, final) if c != f]
    _CLASS = re.compile(f"[{_ranges(changed)}\ud800-\udfff\U00010000-\U0010ffff]")
    return _CLASS


_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")  # where the table asks OpenCC


def _ranges(codes: list[int]) -> str:
    """A character class's body for sorted code points, runs written as ranges (fewer items to compile)."""
    out: list[str] = []
    start = prev = None
    for c in [*codes, None]:
        if c is not None and prev is not None and c == prev + 1:
            prev = c
            continue
        if start is not None:
            out.append(re.escape(chr(start)) if start == prev else f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
        start = prev = c
    return "".join(out)


def prepare() -> None:
    """Build what folding a whole document needs now, not on the first document (a fork server calls
    this before it forks the workers, so each starts with it)."""
    with _BUILDING:
        _changing()


def _is_cjk(ch: str) -> bool:
    return 0x3400 <= ord(ch) <= 0x9FFF or 0xF900 <= ord(ch) <= 0xFAFF


def parse_number(raw: str) -> Decimal | None:
    """Read an Arabic or Chinese numeral: ``'116'``, ``'1,234'``, ``'四'``, ``'一百一十六'``, ``'两'``.

    A short numeral's reading is kept: grounding reads every number of each
    quote and paragraph it checks (~70 a document) and the same few recur (a
    ``Decimal`` is immutable).  A long run of digits is read, not kept.
    """
    return _short_number(raw) if len(raw) <= 32 else _read_number(raw)


def _read_number(raw: str) -> Decimal | None:
    s = fold(raw).strip().replace(",", "")
    if not s:
        return None
    try:
        if re.fullmatch(r"\d+(?:\.\d+)?", s):
            return Decimal(s)
    except InvalidOperation:  # pragma: no cover - regex guarantees a decimal
        return None
    if not re.fullmatch(rf"[{CN_DIGITS}]+", s):
        return None
    s = s.replace("两", "二")
    if re.fullmatch(r"[〇零一二三四五六七八九]{2,}", s):  # digit-by-digit: 二〇二二
        return Decimal("".join(str("〇一二三四五六七八九".index(c) if c != "零" else 0) for c in s))
    plain = chinese_integer(s)
    if plain is not None:
        return Decimal(plain)
    import cn2an  # the rare loose form (一百五, 一万五): its import costs each process 0.13 s

    try:
        return Decimal(str(cn2an.cn2an(s, "smart")))
    except (ValueError, KeyError, IndexError, TypeError):
        return None


_short_number = lru_cache(maxsize=4096)(_read_number)


_CN_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")} | {c: i + 1 for i, c in enumerate("壹贰叁肆伍陆柒捌玖")}
_CN_UNIT = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG = (("亿", 10**8), ("万", 10**4))


def chinese_integer(s: str) -> int | None:
    """A Chinese numeral in its written standard form (一百一十六, 十二, 三千零五, 一亿二千万); else ``None``.

    Only the standard forms, where each unit is named once, in falling order,
    and 零 stands exactly where a place is skipped.  What it refuses, loose
    speech (一百五 for 150) or nonsense (十十), is left to ``cn2an``, which
    reads loose forms too; for every form read here both give the same number
    (a test compares them over every string of up to three numeral characters).
    """
    if s in ("零", "〇"):
        return 0
    return _cn_number(s, _CN_BIG, first=True)


def _cn_number(s: str, bigs: tuple[tuple[str, int], ...], first: bool) -> int | None:
    for i, (word, size) in enumerate(bigs):
        if word not in s:
            continue
        high, _, low = s.partition(word)
        if word in low:
            return None
        top = _cn_number(high, bigs[i + 1:], first) if high else None
        if not top:
            return None
        if not low:
            return top * size
        skipped = low.startswith("零")
        rest = _cn_number(low[1:] if skipped else low, bigs[i + 1:], first=False)
        if not rest or skipped != (rest < size // 10):
            return None
        return top * size + rest
    return _cn_section(s, first)


def _cn_section(s: str, first: bool) -> int | None:
    """A number below 万: digit-unit pairs (十 alone may open the whole numeral), then a units digit."""
    value, last, skipped, at = 0, 10_000, False, 0
    while at < len(s):
        ch = s[at]
        if ch == "零":
            if value == 0 or skipped:
                return None
            skipped, at = True, at + 1
            continue
        if ch in ("十", "拾") and at == 0 and first:  # 十二: a ten without its digit
            value, last, at = 10, 10, 1
            continue
        digit = _CN_DIGIT.get(ch)
        if not digit:
            return None
        unit = _CN_UNIT.get(s[at + 1]) if at + 1 < len(s) else None
        if unit is None:  # the units digit ends the numeral, right after 十 or after a 零
            if at + 1 != len(s) or (value and not (last == 10 and not skipped or skipped and last >= 100)):
                return None
            return value + digit
        if unit >= last or (value and skipped != (last // unit >= 100)):
            return None
        value, last, skipped, at = value + digit * unit, unit, False, at + 2
    return value if value and not skipped else None


def parse_int(raw: str) -> int | None:
    """A count: a whole, non-negative number, else ``None``."""
    value = parse_number(raw)
    if value is None or value != value.to_integral_value() or value < 0:
        return None
    return int(value)


_MONEY_UNITS = {"元": Decimal(1), "千元": Decimal(1000), "万元": Decimal(10_000), "亿元": Decimal(100_000_000),
                "万": Decimal(10_000), "亿": Decimal(100_000_000)}
MONEY_UNIT = r"(?:万元|亿元|千元|元|万|亿)"


def parse_money(number: str, unit: str) -> int | float | None:
    """Money to yuan: ``('31.77', '万元')`` is 317700, ``('1.56', '亿元')`` is 156000000.

    Decimal arithmetic, so 31.77万 is exactly 317700 and not 317699.99999.
    """
    value = parse_number(number)
    factor = _MONEY_UNITS.get(fold(unit).strip())
    if value is None or factor is None:
        return None
    yuan = value * factor
    if yuan == yuan.to_integral_value():
        return int(yuan)
    return float(yuan)


# --- dates -----------------------------------------------------------------

#: One date as notices write it.  Groups: y, m, d for the full forms, or
#: ``packed`` for the form that lost 年 and 月 (``2020810日``), or m, d alone, or
#: cy, cm, cd for a date in Chinese numerals under a signature (二〇二一年六月十八日).
DATE = (
    r"(?:(?P<y>(?:19|20)\d{2})\s*[年.\-/]\s*(?P<m>\d{1,2})\s*[月.\-/]\s*(?P<d>\d{1,2})\s*日?"
    r"|(?P<packed>(?:19|20)\d{2}\d{2,4})日"
    r"|(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*日"
    r"|(?P<md>\d{2,4})日"
    r"|(?P<cy>[一二][〇零○九][〇零○一二三四五六七八九]{2})\s*年\s*(?P<cm>[一二三四五六七八九十]{1,2})\s*月"
    r"\s*(?P<cd>[一二三四五六七八九十]{1,3})\s*日)"
)
DATE_RE = re.compile(DATE)
#: The same shapes without group names, for embedding in larger patterns.
DATE_ANY = re.sub(r"\(\?P<\w+>", "(?:", DATE)


def _valid(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _split_month_day(digits: str) -> list[tuple[int, int]]:
    """All readings of ``'810'`` or ``'1027'`` as (month, day), one-digit month first."""
    out = []
    for cut in (1, 2):
        m, d = digits[:cut], digits[cut:]
        if 1 <= len(d) <= 2 and 1 <= int(m) <= 12 and 1 <= int(d) <= 31:
            out.append((int(m), int(d)))
    return out


def resolve_date(match: re.Match[str], anchor: date | None) -> tuple[date | None, bool]:
    """Turn a :data:`DATE_RE` match into a date, inferring a missing year.

    A date without a year takes the year of ``anchor`` (the nearest preceding
    full date), moved forward a year when it would fall before it.  Returns
    the date and whether the text carried its year.
    """
    g = match.groupdict()
    if g.get("y"):
        return _valid(int(g["y"]), int(g["m"]), int(g["d"])), True
    if g.get("cy"):
        year = parse_int(g["cy"].replace("○", "〇"))
        month, day = parse_int(g["cm"]), parse_int(g["cd"])
        return (_valid(year, month, day) if year and month and day else None), True
    if g.get("packed"):
        digits = g["packed"]
        year = int(digits[:4])
        for m, d in _split_month_day(digits[4:]):
            candidate = _valid(year, m, d)
            if candidate and (anchor is None or candidate >= anchor):
                return candidate, True
        readings = _split_month_day(digits[4:])
        return (_valid(year, *readings[0]) if readings else None), True
    if g.get("m2"):
        readings = [(int(g["m2"]), int(g["d2"]))]
    else:
        readings = _split_month_day(g["md"])
    if anchor is None:
        return None, False
    for m, d in readings:
        for year in (anchor.year, anchor.year + 1):
            candidate = _valid(year, m, d)
            if candidate and candidate >= anchor:
                return candidate, False
    return None, False


def parse_date(text: str, anchor: date | None = None) -> date | None:
    """Parse one date string; convenience over :func:`resolve_date`."""
    match = DATE_RE.fullmatch(fold(text).strip())
    if not match:
        return None
    return resolve_date(match, anchor)[0]


#: A date as a page's date line writes it, with or without a label and a time:
#: ``2022-08-04 06:51``, ``2022/8/4``, ``2022.08.04``, ``2022年8月4日``, or day first ``26.08.2016 22:04``.
_DAY_FIRST = r"(?P<d2>\d{1,2})\.(?P<m2>\d{1,2})\.(?P<y2>(?:19|20)\d{2})"
PAGE_DATE_RE = re.compile(
    r"(?<!\d)(?:(?P<y>(?:19|20)\d{2})\s*(?P<s>[-/.年])\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    rf"|{_DAY_FIRST})(?!\d)"
)
#: Day first alone (26.08.2016), which :data:`DATE_RE` does not read: :func:`page_date` names its date.
DAY_FIRST_RE = re.compile(rf"(?<!\d){_DAY_FIRST}(?!\d)")


def page_date(match: re.Match[str]) -> date | None:
    """The date a :data:`PAGE_DATE_RE` match names, ``None`` when no calendar has it (2022-13-40)."""
    g = match.groupdict()
    if g.get("y"):
        return _valid(int(g["y"]), int(g["m"]), int(g["d"]))
    return _valid(int(g["y2"]), int(g["m2"]), int(g["d2"]))


def parse_page_date(text: str) -> date | None:
    """The first page-style date in ``text`` (``'发布日期: 2022-08-04'`` is 2022-08-04), else ``None``."""
    match = PAGE_DATE_RE.search(fold(text))
    return page_date(match) if match else None


# --- strings ---------------------------------------------------------------

_QUOTE_MARKS = dict.fromkeys(map(ord, "\"'“”‘’「」『』〝〞‟„"), None)


def norm_text(value: object) -> str:
    """NFKC, no whitespace, no quote marks: the one string normal form SPEC.md compares by.

    Scoring and grounding both use it, so a value grounding accepts is one
    scoring can match.
    """
    s = unicodedata.normalize("NFKC", str(value))
    return "".join(s.split()).translate(_QUOTE_MARKS)
