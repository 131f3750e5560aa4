"""Header fields: who inspected whom, when, and who published the notice.

Each field is read by a small grammar of the genre, kept as a unit with its
own tests (tests/test_rules_header.py):

- the team name (:data:`TEAM_RE`): 省委第九巡视组, 市委巡视五组, 十三届市委第二巡察组,
  区委营商环境专项巡察组, 市委第七提级交叉巡察组;
- the opening clause (:func:`find_opening`): "对 X 开展了…巡视" with a team in
  the same sentence, wherever the paragraph stands;
- the inspected unit (:func:`clean_unit`, :func:`resolve_we`): bracketed
  additions dropped, 我市 / 我区 / 我局 read from the title or the paragraph;
- the title (:func:`find_title`), the round (:data:`ROUND_RE`), the signature
  (:func:`find_signature`) and the page's date line (:func:`find_page_date`).

Where a grammar does not match, the field stays ``None``: the model, when
there is one, fills it. Values that are fallbacks rather than the genre's own
pattern for a field are put with ``weak=True``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ..record import Draft
from ..text import DATE_ANY, DATE_RE, PAGE_DATE_RE, page_date, parse_int, resolve_date
from .layout import COMMITTEES, OFFICES, Layout, Line

if TYPE_CHECKING:
    from .landmarks import Landmarks

CN_ORD = "一二三四五六七八九十百零〇两"
ORDINAL = rf"(?:\d{{1,3}}|[{CN_ORD}]{{1,4}})"
_COMMITTEE = r"(?:中央|自治区党委|省委|市委|州委|县委|区委|旗委|盟委|地委|工委|党委|党组)"
_TERM = rf"(?:[{CN_ORD}\d]{{1,3}}届)"

# --- team names ----------------------------------------------------------

#: A character of a team name's topic (营商环境专项, 提级交叉): not a word that joins or lists teams.
_TOPIC_CHAR = r"(?:(?![第至和及与对向在的个各等委于])[\u4e00-\u9fff])"
#: One inspection team as the opening writes it: term, committee, ordinal before the word
#: or after it, a topic inside. 省委第九巡视组, 市委巡视五组, 十三届市委第二巡察组,
#: 区委营商环境专项巡察组, 市委第七提级交叉巡察组, 县委第三轮巡察第一巡察组.
TEAM_RE = re.compile(
    rf"(?P<body>{_TERM}?{_COMMITTEE}(?:第{ORDINAL}轮(?:巡视|巡察)?)?(?:第(?P<num>{ORDINAL}))?"
    rf"{_TOPIC_CHAR}{{0,10}}?(?:巡视|巡察)(?P<num2>{ORDINAL})?(?:工作)?组)"
)
#: Several teams at once: 区委4个巡察组, 市委第一、第二巡察组, 县委第一至第四巡察组, 各巡视组.
PLURAL_TEAMS_RE = re.compile(
    rf"{ORDINAL}个(?:巡视|巡察)(?:工作)?组|第{ORDINAL}(?:[、,和及至到]第?{ORDINAL})+(?:巡视|巡察)组|各(?:巡视|巡察)组"
)
#: Any word for a team, bare or numbered (巡视组, 巡察三组): what makes a clause an opening.
_TEAM_WORD = re.compile(rf"巡[视察](?:{ORDINAL})?(?:工作)?组")


@dataclass(frozen=True)
class Team:
    """One team name: its span in the text and its ordinal, if it has one."""

    start: int
    end: int
    number: int | None
    number_span: tuple[int, int] | None


def team_at(match: re.Match[str]) -> Team:
    """The :class:`Team` a :data:`TEAM_RE` match names (五组 and 第五 both give 5)."""
    group = "num" if match.group("num") else "num2" if match.group("num2") else None
    number = parse_int(match.group(group)) if group else None
    span = (match.start(group), match.end(group)) if group and number is not None else None
    return Team(match.start("body"), match.end("body"), number, span)


def last_team(folded: str, lo: int, hi: int) -> Team | None:
    """The team named last in ``folded[lo:hi]`` (the one nearest before 对 X), else ``None``."""
    found = None
    for found in TEAM_RE.finditer(folded, lo, hi):
        pass
    return team_at(found) if found else None


# --- the opening clause ------------------------------------------------------

#: "... 对 X 开展了/进行了 ... 巡视" – the inspected unit and the kind of inspection.
TARGET_RE = re.compile(
    r"(?:对|进驻)(?P<target>[^,。;:!?]{1,50}?)(?:\([^()]{0,30}\))?,?"
    r"(?:开展了?|进行了?|实施了?|展开了?)(?P<kind>[^,。;]{0,24}?)(?:巡视|巡察)"
    r"(?P<after>[^,。;]{0,12})"
)
#: A clause that names a kind of inspection, for the types of every clause of the opening sentence.
_KIND_CLAUSE = re.compile(r"(?:开展了?|进行了?|实施了?|展开了?)(?P<kind>[^,。;]{0,24}?)(?:巡视|巡察)(?P<after>[^,。;]{0,12})")


def find_opening(layout: Layout) -> re.Match[str] | None:
    """The opening sentence's "对 X 开展了巡视" clause: the first with a team, or a later one of its
    paragraph that reports this notice's inspection (see :func:`_this_inspection`). Memoised on the layout."""
    if "opening" not in layout.memo:
        layout.memo["opening"] = _find_opening(layout)
    return layout.memo["opening"]  # type: ignore[return-value]


def _find_opening(layout: Layout) -> re.Match[str] | None:
    """The first "对 X 开展了巡视" whose sentence names a team before it.

    A preface ("根据…要求,现将巡视整改进展情况予以公布") and a part heading may
    come first: the clause is searched wherever it stands, and the team
    (巡视组, 巡察三组, 4个巡察组) is what tells the opening from other sentences.
    """
    for i, m in enumerate(TARGET_RE.finditer(layout.folded)):
        if i >= 200:
            break  # an opening sentence comes early; do not scan a pathological text quadratically
        start, _ = layout.sentence_bounds(m.start())
        start = max(start, m.start() - 300)  # the team is named in the same clause, close before "对"
        if _TEAM_WORD.search(layout.folded, start, m.end()):
            return _this_inspection(layout, m)
    return None


def _this_inspection(layout: Layout, first: re.Match[str]) -> re.Match[str]:
    """Of the openings in one paragraph, the one this notice reports.

    A follow-up's notice may recall the first inspection before its own
    ("2016年,省委第三巡视组对我县开展了巡视。2018年10月16日至12月20日,省委第五巡视组
    对我县开展了巡视“回头看”"): a later sentence of the paragraph replaces the
    first when it names its team and an on-site period and is a 回头看, or
    when the first has no on-site period.
    """
    folded = layout.folded
    line = layout.line_at(first.start())
    if line is None:
        return first
    lo, hi = layout.sentence_bounds(first.start())
    chosen, has_range = first, _RANGE_RE.search(folded, lo, hi) is not None
    for i, m in enumerate(TARGET_RE.finditer(folded, hi, line.end)):
        if i >= 20:
            break
        s_lo, s_hi = layout.sentence_bounds(m.start())
        if s_lo < hi or TEAM_RE.search(folded, s_lo, m.start()) is None:
            continue
        if _RANGE_RE.search(folded, s_lo, s_hi) and (not has_range or "回头看" in m.group("kind") + m.group("after")):
            chosen, hi, has_range = m, s_hi, True
    return chosen


def type_of(words: str) -> str | None:
    """The inspection type one clause's words name; ``None`` for 专项+常规 in one clause.

    提级, 交叉, 联动 and 专题 are not types: without 常规, 专项, 回头看 or 机动 the
    type is ``unspecified``.
    """
    if "回头看" in words:
        return "follow_up"
    kinds = {kind for word, kind in (("专项", "special"), ("机动", "mobile"), ("常规", "routine")) if word in words}
    if len(kinds) > 1:
        return None
    return kinds.pop() if kinds else "unspecified"


_TYPE_WORD = {"follow_up": "回头看", "special": "专项", "mobile": "机动", "routine": "常规"}


def opening_type(folded: str, opening: re.Match[str], s_end: int) -> tuple[str | None, int, int]:
    """The type of the inspection(s) the opening sentence reports, with the span that names it.

    Every clause from the opening to the sentence's end counts: "开展了常规巡视,
    同步开展了…专项巡视" reports two types, and then the type is ``None``.
    """
    named: dict[str, tuple[int, int]] = {}
    for m in _KIND_CLAUSE.finditer(folded, opening.start("target"), s_end):
        words = m.group("kind") + m.group("after")
        kind = type_of(words)
        if kind is None:
            return None, 0, 0
        if kind != "unspecified":
            k = folded.index(_TYPE_WORD[kind], m.start("kind"), m.end("after"))
            named.setdefault(kind, (k, k + len(_TYPE_WORD[kind])))
    if len(named) > 1:
        return None, 0, 0
    if named:
        kind, (lo, hi) = named.popitem()
        return kind, lo, hi
    return "unspecified", opening.start(), opening.end()


# --- the inspected unit --------------------------------------------------------

#: A bracketed addition at the end of a unit's name: (简称…), (原…), (以下简称…), (含…), a second name.
_TRAILING_BRACKET = re.compile(r"\s*\([^()]*\)\s*$")
#: A pinyin gloss a converter site left inside a name: 衛(wèi)生.
_PINYIN_GLOSS = re.compile(r"\([a-zA-Z\u00c0-\u024f\u01cd-\u01dc]{1,8}\)")
#: A list of units: 区发展和改革局、区教育局…等40家单位, 12个市直单位.
_SEVERAL_UNITS = re.compile(
    rf"、|等(?:{ORDINAL})(?:个|家|所)|(?:{ORDINAL})(?:个|家|所)[^,。;]{{0,6}}"
    r"(?:单位|部门|党组织|党委|党组|县|区|市|镇|乡|街道|村|社区|企业|学校|医院)"
)
#: A unit named from inside: 我市, 我区, 我局, 我单位.
WE_RE = re.compile(r"我(?P<kind>省|自治区|市|区|县|州|盟|旗|镇|乡|街道|厅|局|委|办|院|校|所|中心|公司|集团|单位|部|站|行)"
                   r"(?P<org>党组|党委|党总支|党工委)?")


def clean_unit(folded: str, start: int, end: int) -> tuple[str, int, int] | None:
    """A unit's name from ``folded[start:end]`` without what SPEC.md leaves out: (folded name, start, end).

    Bracketed additions at its end ((简称…), (原…), (以下简称…), (含…), a second
    name) and a gloss left before it are cut; glosses inside stay in the span
    and :func:`strip_glosses` removes them from the value, which is read from
    the source text so that it keeps its characters (traditional ones too).
    """
    raw = folded[start:end]
    while True:
        m = _TRAILING_BRACKET.search(raw)
        if not m or m.start() == 0:
            break
        raw = raw[: m.start()]
    gloss = _PINYIN_GLOSS.match(raw.lstrip())  # 對(duì)X: the gloss of 对 is not the unit's
    lead = len(raw) - len(raw.lstrip()) + (gloss.end() if gloss else 0)
    raw = raw[lead:].strip()
    if not raw:
        return None
    return raw, start + lead, start + lead + len(raw)


def strip_glosses(text: str, folded: str) -> str:
    """``text`` without the pinyin glosses found in its folded twin (衛(wèi)生 is 衛生)."""
    out, pos = [], 0
    for m in _PINYIN_GLOSS.finditer(folded):
        out.append(text[pos:m.start()])
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def is_several_units(name: str) -> bool:
    """Whether a target names several units (one report for many: no single target)."""
    return bool(_SEVERAL_UNITS.search(name))


_PARTY_SUFFIX = re.compile(r"(?:总支部委员会|党总支|党工委|党组|党委|委员会|工委)$")
_COMMITTEE_OF_PLACE = re.compile(r"(?<=[省市县区州旗盟])委$")


def subject_unit(subject: str) -> str:
    """The unit a party body's name stands for: 中共南湖市委 is 南湖市, 中共XX局党组 is XX局."""
    name = re.sub(r"^(?:中共|中国共产党)", "", subject)
    name = _COMMITTEE_OF_PLACE.sub("", name)
    return _PARTY_SUFFIX.sub("", name)


def _fits(kind: str, name: str) -> bool:
    """Whether ``name`` can be what 我<kind> refers to (我区 a name ending in 区)."""
    if kind == "单位":
        return len(name) >= 4
    if kind == "委":
        return name.endswith(("委", "委员会"))
    return name.endswith(kind)


_DEFINED_NAME = re.compile(r"(?:^|(?<=[,。;:!?\s]))(?P<name>[\u4e00-\u9fff]{4,30})\((?:以下)?简称")


def resolve_we(layout: Layout, kind: str, paragraph: Line | None, title: tuple[int, int] | None,
               signature: Line | None = None, org: str = "") -> tuple[str, int, int] | None:
    """The unit 我<kind> stands for: a name the same paragraph defines ("X(以下简称…)"), else the
    title's subject, else the signature's (中共南湖市委 under a notice that says 我市 is 南湖市).

    The name must fit the word (我区 a name ending in 区, 我局 one in 局);
    what does not fit is no answer, so the target stays null. 我局党组 (``org``)
    is the subject's own body, 中共 dropped: 中共X局党组 gives X局党组.
    """
    folded = layout.folded
    if org:
        return _our_body(layout, kind, org, [title_subject(folded, *title) if title is not None else None,
                                             (signature.start, signature.end) if signature is not None else None])
    if paragraph is not None:
        for m in _DEFINED_NAME.finditer(folded, paragraph.start, paragraph.end):
            if _fits(kind, m.group("name")):
                return layout.text[m.start("name"):m.end("name")], m.start("name"), m.end("name")
    subjects = [title_subject(folded, *title) if title is not None else None,
                (signature.start, signature.end) if signature is not None else None]
    for subject in subjects:
        if subject is not None:
            s_start, s_end = subject
            raw = folded[s_start:s_end]
            unit = subject_unit(raw)
            if unit and _fits(kind, unit):
                u_start = s_start + raw.index(unit)
                return layout.text[u_start:u_start + len(unit)], u_start, u_start + len(unit)
    return None


def _our_body(layout: Layout, kind: str, org: str, subjects: list[tuple[int, int] | None]
              ) -> tuple[str, int, int] | None:
    """The party body 我<kind><org> names (我局党组 under 中共X局党组…): the subject without 中共."""
    for subject in subjects:
        if subject is None:
            continue
        raw = layout.folded[subject[0]:subject[1]]
        lead = len(raw) - len(re.sub(r"^(?:中共|中国共产党)", "", raw))
        name = raw[lead:]
        if name.endswith(org) and len(name) > len(org) + 1 and _fits(kind, name[:-len(org)]):
            start = subject[0] + lead
            return layout.text[start:subject[1]], start, subject[1]
    return None


# --- title ---------------------------------------------------------------------

_TITLE_WORDS = re.compile(r"(?:巡视|巡察).{0,30}(?:整改|反馈).{0,30}(?:通报|情况|公告|公示)")
_TITLE_END = re.compile(r"通报|公告|公示")
_NOT_A_TITLE = re.compile(r"^(?:上一篇|下一篇|上一条|下一条|相关|根据|按照|今天是)")
_CRUMB = re.compile(r"[>»›]")
_TAG = re.compile(r"\s*(?:【[^】]{0,12}】\s*)?")
#: What may follow a headline on its line: nothing, a blank, or a separator before page chrome.
_AFTER_TITLE = re.compile(r"$|[\s_\-|—(【\[]")


def _after_crumb(text: str) -> int:
    """Where a line's text starts after a breadcrumb ("首页 > 巡视巡察 > 中共…") or a tag ("【巡视整改】")."""
    offset = 0
    for m in _CRUMB.finditer(text):
        offset = m.end()
    tag = _TAG.match(text, offset)
    return tag.end() if tag else offset


def _title_in(text: str) -> tuple[int, int] | None:
    """Where a headline sits in one line (offsets into it): after a breadcrumb, up to its last 通报/公告/公示.

    What follows the word (a date, "_岚溪县人民政府", "——南湖清风网") is page chrome.
    """
    offset = _after_crumb(text)
    end = None
    for end_match in _TITLE_END.finditer(text, offset):
        end = end_match.end()
    if end is None or not _AFTER_TITLE.match(text, end):
        return None  # "…整改情况通报汇总", "…通报如下": the word does not end a headline
    return offset, end


def _is_title(title: str) -> bool:
    """A notice's headline: names 巡视/巡察 and 整改/反馈, and is "…关于…" or "…通报".

    A label or a date inside ("热点:2023-12-30 中共…的通报") makes it an entry of
    a list of other pages.
    """
    return (12 <= len(title) <= 120 and bool(_TITLE_WORDS.search(title))
            and ("关于" in title or title.endswith(("通报", "公告", "公示")))
            and ":" not in title and PAGE_DATE_RE.search(title) is None)


def find_title(layout: Layout, body_start: int) -> tuple[int, int, str] | None:
    """The headline nearest before the opening: (start, end, value).

    A line may carry chrome before (a breadcrumb) or after (a date, the site's
    name); a headline split over two lines by the page is joined (the value
    has no line break). A collection page's "…全部公布" and a menu entry such as
    "巡视整改情况" are not titles.
    """
    lines = layout.lines[:200]  # a page may carry long menus above its headline
    if not body_start:  # no opening found: only the lines before the first paragraph
        stop = next((i for i, line in enumerate(lines) if line.text.endswith("。") or len(line.text) > 150), 15)
        lines = lines[:min(stop, 15)]
    found = None
    for i, line in enumerate(lines):
        if body_start and line.start >= body_start:
            break
        text = line.text
        if len(text) > 200 or text.endswith("。") or _NOT_A_TITLE.match(text):
            continue
        spot = _title_in(text)
        if spot is not None and _is_title(text[spot[0]:spot[1]]):
            start, end = line.start + spot[0], line.start + spot[1]
            found = (start, end, layout.text[start:end])
            prev = lines[i - 1] if i > 0 else None
            if text[spot[0]:].startswith("关于") and prev is not None and _SIGNATURE_RE.match(prev.text):
                found = (prev.start, end, layout.text[prev.start:prev.end] + layout.text[start:end])  # "中共X县委" / "关于…"
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if spot is None and nxt is not None and "关于" in text and (not body_start or nxt.start < body_start):
            tail = _title_in(nxt.text)  # "中共桐溪县委关于省委巡视“回头看”" / "整改进展情况的通报"
            if tail is not None and tail[0] == 0 and len(text) + tail[1] <= 120:
                head = _after_crumb(text)
                joined = text[head:] + nxt.text[:tail[1]]
                if _is_title(joined):
                    start, end = line.start + head, nxt.start + tail[1]
                    found = (start, end, layout.text[start:line.end] + layout.text[nxt.start:end])
    if found is None and not body_start and layout.lines:
        found = _title_at_head(layout, layout.lines[0])
    return found


_SEGMENT = re.compile(r"\S+")


def _title_at_head(layout: Layout, line: Line) -> tuple[int, int, str] | None:
    """A headline in the head of a text scraped without line breaks
    ("首页 > 巡视整改 中共X县委关于…的通报 发布时间:… 根据省委统一部署…"): the last
    blank-separated piece before the first sentence that is a headline.
    """
    stop = layout.folded.find("。", line.start, line.end)
    stop = min(line.end if stop == -1 else stop, line.start + 600)
    found = None
    for piece in _SEGMENT.finditer(layout.folded, line.start, stop):
        spot = _title_in(piece.group())
        if spot is not None and _is_title(piece.group()[spot[0]:spot[1]]) and piece.end() < stop:
            start, end = piece.start() + spot[0], piece.start() + spot[1]
            found = (start, end, layout.text[start:end])
    return found


_SUBJECT = re.compile(r"(?P<s>[\u4e00-\u9fff()]{2,40}?)关于")


def title_subject(folded: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of a title's subject, the words before 关于 (中共南湖市委, 滨海新区), else ``None``."""
    m = _SUBJECT.match(folded, start, end)
    return (m.start("s"), m.end("s")) if m else None


# --- round ---------------------------------------------------------------------

#: The inspection round as written, a batch included: 十四届省委第十轮, 十一届市委第三轮第一批.
ROUND_RE = re.compile(rf"{_TERM}?{_COMMITTEE}?第{ORDINAL}轮(?:第{ORDINAL}批)?")
_OF_INSPECTION = re.compile(r"[\s\u201c\u201d\"]*(?:巡视|巡察)")
_PUBLISHING = re.compile(r"现将|予以公布|公布如下|予以通报")


def _round_spans(layout: Layout, draft: Draft, opening: re.Match[str] | None) -> list[tuple[int, int]]:
    """Where a round belongs to this notice, in order: its title, the preface sentences above the
    opening, and the opening paragraph up to the sentence that says what is published (现将…予以公布).

    A round named deeper in the body (上轮…, a report studied) is not this notice's.
    """
    spans = []
    title_end = 0
    if draft.has("title"):
        t = draft.evidence["title"]
        spans.append((t.start, t.end))
        title_end = t.end
    if opening is None:
        return spans
    para = layout.line_at(opening.start())
    if para is None:
        return spans
    spans += [(line.start, line.end) for line in layout.lines
              if title_end <= line.start < para.start and line.text.endswith("。")]
    end = para.end
    for lo, hi in layout.sentences(para):
        if hi <= opening.start():
            continue
        end = hi
        if _PUBLISHING.search(layout.folded, lo, hi):
            break
    else:
        _, end = layout.sentence_bounds(opening.start())
    spans.append((para.start, end))
    return spans


# --- signature and page date -----------------------------------------------------

_SIGNATURE_RE = re.compile(rf"^(?:中共|中国共产党)?[\u4e00-\u9fff()]{{2,40}}?(?:{COMMITTEES}|{OFFICES})$")
_SIGNED_DATE = (r"(?P<date>(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
                r"|[一二][〇零○九][〇零○一二三四五六七八九]{2}\s*年\s*[一二三四五六七八九十]{1,2}\s*月\s*[一二三四五六七八九十]{1,3}\s*日)")
_SIGNED_RE = re.compile(rf"(?P<sig>[^\s\d]{{2,40}}?)\s+{_SIGNED_DATE}")
#: A signature and its date inside a long line ("…请及时向我们反映。 中共松江县委 2016年9月28日 【打印】").
_SIGNED_INSIDE = re.compile(rf"(?<=[。.!?\s])(?P<sig>[^\s\d。.!?]{{2,40}}?)\s*{_SIGNED_DATE}(?=\s|$)")


def _signed_near_end(text: str) -> re.Match[str] | None:
    """The last signature-and-date in the last 300 characters of a text scraped without line breaks."""
    found = None
    for m in _SIGNED_INSIDE.finditer(text, max(0, len(text) - 300)):
        if _SIGNATURE_RE.match(m.group("sig")):
            found = m
    return found
#: A label of the page's own date: 发布日期:, 发布时间:, 时间:, 更新时间:, 日期:, in brackets too (【发布日期】, [发布时间]).
_PAGE_DATE_LABEL = re.compile(r"(?:发布|发表|更新|录入|上传|成文|发文|发稿|公开)?(?:时间|日期)\s*[:】\]]?\s*$")
#: A site clock, never the notice's date: 今天是2019年10月31日.
#: A weekday after a date: a site clock (2019年10月31日 星期四), not a page's date line.
_WEEKDAY = re.compile(r"\s*(?:星期|周|礼拜)[一二三四五六日天]")
#: What follows a date that opens a sentence of the text rather than a page's date line.
_SENTENCE_AFTER = re.compile(r"\s*(?:[,;。至到起~]|以来|前后)")
_CLOCK = re.compile(r"(?:今天是|今日|今天|现在是|当前时间|当前日期)\s*:?\s*$")


def find_signature(layout: Layout, body_start: int = 0) -> tuple[Line | None, Line | None]:
    """The signature line and the date line under it, searched from the end.

    Only lines after the opening sentence count: a page's own date above the
    notice is not its signature.
    """
    lines = [line for line in layout.lines if line.start > body_start] if body_start else layout.lines
    from .contact import find_contact_line  # the signature stands under the contact line

    contact = find_contact_line(layout, body_start)
    if contact is not None:
        after = [line for line in lines if line.start >= contact[1]][:8]
        tail = [line for line in lines if line.start >= contact[0]][:1] + after
    else:
        tail = lines[-15:]
    for line in reversed(tail):  # "中共南山县委 2022年12月19日" on one line, or ending a text without line breaks
        both = _SIGNED_RE.fullmatch(line.text) or _signed_near_end(line.text)
        if both and _SIGNATURE_RE.match(both.group("sig")):
            sig = Line(line.start + both.start("sig"), line.start + both.end("sig"), both.group("sig"))
            return sig, Line(line.start + both.start("date"), line.start + both.end("date"), both.group("date"))
    for i in range(len(tail) - 1, -1, -1):
        line = tail[i]
        m = DATE_RE.fullmatch(line.text)
        if not m or not (m.group("y") or m.group("packed") or m.group("cy")):
            continue
        prev = tail[i - 1] if i > 0 else None
        if prev is not None and _SIGNATURE_RE.match(prev.text) and len(prev.text) <= 40:
            return prev, line
        first = tail[i - 2] if i > 1 else None  # "中共乐安县委巡察工作" / "领导小组办公室": one name over two lines
        if (prev is not None and first is not None and len(first.text) + len(prev.text) <= 40
                and not _SIGNATURE_RE.match(first.text) and _SIGNATURE_RE.match(first.text + prev.text)):
            return Line(first.start, prev.end, first.text + prev.text), line
        return None, line
    for line in reversed(tail):
        if _SIGNATURE_RE.match(line.text) and len(line.text) <= 30:
            return line, None
    return None, None


def _is_listed(layout: Layout, line: Line | None) -> bool:
    """Whether a date's line is an entry of a list of pages ("2021-05-01 中共南海县委关于…的通报")."""
    return line is not None and bool(_TITLE_WORDS.search(layout.folded, line.start, min(line.end, line.start + 200)))


def page_head(layout: Layout, opening: re.Match[str] | None) -> tuple[int, int]:
    """Where the head of the page ends: (for a bare date, for a labelled one).

    With an opening: its sentence, and for a labelled date its clause (in a
    text without line breaks "发布时间:…" stands in the opening's sentence);
    without: the first sentence, at most 8 lines in.
    """
    if opening is not None:
        return layout.sentence_bounds(opening.start())[0], opening.start()
    first = next((line.start for line in layout.lines[:8] if line.text.endswith("。")), None)
    if first is None:
        first = layout.lines[8].start if len(layout.lines) > 8 else len(layout.folded)
    return first, first


def find_page_date(layout: Layout, head: tuple[int, int], body_end: int) -> tuple[date, int, int] | None:
    """The page's own date line: (date, start, end), else ``None``.

    A labelled date (发布日期: 2022-08-04, 时间:2022-09-21 17:21, 更新时间) above the
    notice (``head``, see :func:`page_head`) or below its body (from ``body_end``); an
    unlabelled one (2022-12-20 14:30, 26.08.2016 22:04) only above the notice,
    standing at a line's start, not opening a sentence (2021年7月1日,…), on a
    line that is not an entry of a list of other pages. A site clock
    (今天是…, …星期四) is never the page's date.
    """
    folded = layout.folded
    bare_end, label_end = head
    regions = [(0, label_end), (max(body_end, label_end), len(folded))]
    bare = None
    for lo, hi in regions:
        for m in PAGE_DATE_RE.finditer(folded, lo, hi):
            line = layout.line_at(m.start())
            line_start = line.start if line else lo
            before = folded[max(line_start, m.start() - 8):m.start()]  # bounded: no rescans of a long line
            if _CLOCK.search(before):
                continue
            value = page_date(m)
            if value is None:
                continue
            if _PAGE_DATE_LABEL.search(before):
                return value, m.start(), m.end()
            if (bare is None and m.end() <= bare_end and m.start() - line_start <= 8 and not before.strip(" \t[(【")
                    and not _WEEKDAY.match(folded, m.end()) and not _SENTENCE_AFTER.match(folded, m.end())
                    and not _is_listed(layout, line)):
                bare = (value, m.start(), m.end())
    return bare


# --- the header ------------------------------------------------------------------------


def extract_title(layout: Layout, draft: Draft, body_start: int) -> None:
    """The headline (see :func:`find_title`)."""
    found = find_title(layout, body_start)
    if found is not None:
        start, end, value = found
        draft.put("title", value, start, end)


def extract_issuer(layout: Layout, draft: Draft, signature: Line | None) -> None:
    """The signature line; else the title's subject (中共东阳市委, or 滨海新区 of "滨海新区关于…"), weak."""
    if signature is not None:
        name = re.sub(r"\s*\n\s*", "", layout.text[signature.start:signature.end])  # a name over two lines
        draft.put("issuer", name, signature.start, signature.end)
        return
    if draft.has("title"):
        span = draft.evidence["title"]
        subject = title_subject(layout.folded, span.start, span.end)
        if subject is not None:
            draft.put("issuer", layout.text[subject[0]:subject[1]], *subject, weak=True)


def extract_header(layout: Layout, draft: Draft, marks: "Landmarks | _HeaderMarks") -> None:
    """Fill the header fields from the opening sentence, the head of the page and the signature.

    A page from a converter site that glossed characters with pinyin
    (進(jìn)行(xíng)了, 區(qū)委) is read without its glosses (see :func:`_extract_unglossed`).
    """
    if _TONED_GLOSS.search(layout.folded):
        _extract_unglossed(layout, draft)
        return
    opening = marks.opening
    extract_title(layout, draft, marks.body_start)
    if opening is not None:
        _extract_opening(layout, draft, opening, marks.signature)
    _extract_round(layout, draft, opening)
    extract_issuer(layout, draft, marks.signature)
    _extract_publish_date(layout, draft, marks)


#: A pinyin gloss with a tone mark after a CJK character: what converter sites leave (衛(wèi)).
_TONED_GLOSS = re.compile(r"\((?<=[\u4e00-\u9fff]\()[a-z]{0,5}[\u00e0-\u00fc\u0101-\u01dc][a-z]{0,5}\)")  # "(" first: fast scan


@dataclass(frozen=True)
class _HeaderMarks:
    """The landmarks the header reads, for a text the landmarks module did not see (one without glosses)."""

    opening: re.Match[str] | None
    body_start: int
    body_end: int
    signature: Line | None
    signature_date: Line | None


def _header_marks(layout: Layout) -> _HeaderMarks:
    """Opening, body bounds and signature of ``layout``, found as the landmarks module finds them."""
    from .contact import find_contact_line  # the contact module reads no header

    opening = find_opening(layout)
    line = layout.line_at(opening.start()) if opening is not None else None
    body_start = line.start if line is not None else 0
    contact = find_contact_line(layout, body_start)
    signature, signature_date = find_signature(layout, body_start)
    found = [x.start for x in (signature, signature_date) if x is not None]
    body_end = contact[0] if contact is not None else (found[0] if found else len(layout.text))
    return _HeaderMarks(opening, body_start, body_end, signature, signature_date)


def _extract_unglossed(layout: Layout, draft: Draft) -> None:
    """The header of the text with its pinyin glosses cut, spans mapped back to the text as read.

    Values come from the text without glosses (衛(wèi)生 is 衛生), as SPEC.md
    reads names; each span covers the glossed original.
    """
    kept: list[int] = []  # offset in the text of each character kept
    pos = 0
    for m in _PINYIN_GLOSS.finditer(layout.folded):
        kept.extend(range(pos, m.start()))
        pos = m.end()
    kept.extend(range(pos, len(layout.text)))
    clean = "".join(layout.text[i] for i in kept)
    if _TONED_GLOSS.search(clean):  # a gloss of a gloss: give up rather than loop
        return
    sub_layout = Layout(clean)
    sub = Draft(clean)
    extract_header(sub_layout, sub, _header_marks(sub_layout))
    for path, span in sub.evidence.items():
        start, end = kept[span.start], kept[span.end - 1] + 1
        draft.put(path, sub.data[path], start, end, weak=sub.confidence[path] == "weak")


def _extract_opening(layout: Layout, draft: Draft, opening: re.Match[str], signature: Line | None) -> None:
    """Team, target, type and dates from the opening sentence."""
    folded = layout.folded
    s_start, s_end = layout.sentence_bounds(opening.start())
    several = is_several_units(opening.group("target"))
    plural = PLURAL_TEAMS_RE.search(folded, s_start, opening.start()) is not None
    team = last_team(folded, s_start, opening.start())
    if team is not None and not several and not plural:
        draft.put("inspection_body", layout.text[team.start:team.end], team.start, team.end)
        if team.number_span is not None:
            draft.put("team_number", team.number, *team.number_span)
    if not several:
        _extract_target(layout, draft, opening, signature)
    kind, k_start, k_end = opening_type(folded, opening, _period_end(layout, opening.end()))
    weak = False
    if kind == "unspecified" and draft.has("title"):  # "关于省委专项巡视整改…" under "开展了巡视"
        titled = _title_type(folded, draft.evidence["title"].start, draft.evidence["title"].end)
        if titled is not None:
            kind, k_start, k_end = titled
            weak = True
    if kind is not None:
        draft.put("inspection_type", kind, k_start, k_end, weak=weak)
    _extract_dates(layout, draft, s_start, s_end, opening)


def _title_type(folded: str, start: int, end: int) -> tuple[str, int, int] | None:
    """The one type a title names (关于省委巡视“回头看”整改…), with its span; ``None`` for none or several."""
    named = [(kind, folded.find(word, start, end)) for kind, word in _TYPE_WORD.items() if word in folded[start:end]]
    if len(named) != 1:
        return None
    kind, k = named[0]
    return kind, k, k + len(_TYPE_WORD[kind])


def _period_end(layout: Layout, pos: int) -> int:
    """Where the statement around ``pos`` ends: after its 。 (clauses joined by ; belong to it), else its line's end."""
    line = layout.line_at(pos)
    hi = line.end if line is not None else len(layout.folded)
    stop = layout.folded.find("。", pos, hi)
    return stop + 1 if stop != -1 else hi


def _extract_target(layout: Layout, draft: Draft, opening: re.Match[str], signature: Line | None) -> None:
    """The unit after 对, without bracketed additions; 我市/我区/… resolved from the paragraph or title (weak)."""
    unit = clean_unit(layout.folded, opening.start("target"), opening.end("target"))
    if unit is None:
        return
    name, start, end = unit
    we = WE_RE.fullmatch(_PINYIN_GLOSS.sub("", name))
    if we is not None:
        title = (draft.evidence["title"].start, draft.evidence["title"].end) if draft.has("title") else None
        resolved = resolve_we(layout, we.group("kind"), layout.line_at(opening.start()), title, signature,
                              org=we.group("org") or "")
        if resolved is not None:
            draft.put("target", resolved[0], resolved[1], resolved[2], weak=True)
        return
    draft.put("target", strip_glosses(layout.text[start:end], name), start, end)


_RANGE_RE = re.compile(rf"(?P<a>{DATE_ANY})\s*起?\s*(?:至|到|—|-|~|–)\s*(?P<b>{DATE_ANY}|\d{{1,2}}日)")
_ONE_DATE_RE = re.compile(rf"(?P<a>{DATE_ANY})")
_FEEDBACK_RE = re.compile(r"反馈")


def _range_end(folded: str, rng: re.Match[str], a: re.Match[str], b: re.Match[str] | None, start: date
               ) -> date | None:
    """The end of an on-site period: a date, or a bare day in the start's month ("4月1日至30日").

    A bare day counts only after a start written with 月: after one that lost
    its 年 and 月 (2020810日至929日), "929日" is a month and a day.
    """
    raw = folded[rng.start("b"):rng.end("b")]
    day = re.fullmatch(r"(\d{1,2})日", raw)
    if day and (a.group("m") or a.group("m2")):
        try:
            end = start.replace(day=int(day.group(1)))
        except ValueError:
            return None
        return end if end >= start else None
    return resolve_date(b, start)[0] if b else None


def _extract_dates(layout: Layout, draft: Draft, s_start: int, s_end: int, opening: re.Match[str]) -> None:
    """On-site period from the opening sentence (else its paragraph before it); feedback from the 反馈 after it."""
    folded = layout.folded
    line = layout.line_at(s_start)
    anchor: date | None = None
    first = _RANGE_RE.search(folded, s_start, s_end) or (
        _RANGE_RE.search(folded, line.start, s_end) if line is not None else None)
    if first is not None:
        a = DATE_RE.fullmatch(folded, first.start("a"), first.end("a"))
        b = DATE_RE.fullmatch(folded, first.start("b"), first.end("b"))
        start, _ = resolve_date(a, None) if a else (None, False)
        if start is not None:
            draft.put("inspection_start", start, first.start("a"), first.end("a"))
            end = _range_end(folded, first, a, b, start)
            if end is not None:
                draft.put("inspection_end", end, first.start("b"), first.end("b"))
            anchor = end or start
    else:  # "于2021年3月1日进驻": one date before the clause, not the feedback's
        single = _ONE_DATE_RE.search(folded, s_start, opening.start())
        if single and "反馈" not in folded[single.end():opening.start()]:
            m = DATE_RE.fullmatch(folded, single.start("a"), single.end("a"))
            start, _ = resolve_date(m, None) if m else (None, False)
            if start:
                draft.put("inspection_start", start, single.start("a"), single.end("a"))
                anchor = start
    _extract_feedback(layout, draft, opening.end(), s_end, anchor)


def _extract_feedback(layout: Layout, draft: Draft, pos: int, s_end: int, anchor: date | None) -> None:
    """The feedback date: in the rest of the opening sentence or the two sentences after it.

    The first 反馈 there with a date before it in its sentence ("7月6日向县委反馈"),
    else after it ("反馈会于7月6日召开"). Further on, 反馈 is what the
    rectification did with the findings, and its dates are not the feedback's.
    """
    folded = layout.folded
    limit = s_end
    for _ in range(2):
        if limit >= len(folded):
            break
        limit = layout.sentence_bounds(limit + 1 if folded[limit:limit + 1].isspace() else limit)[1]
    for m in _FEEDBACK_RE.finditer(folded, pos, limit):
        sent_start, sent_end = layout.sentence_bounds(m.start())
        dates = list(DATE_RE.finditer(folded, max(sent_start, pos), m.start()))
        d = dates[-1] if dates else DATE_RE.search(folded, m.end(), min(sent_end, m.end() + 12))
        if d is None:
            continue
        value, _ = resolve_date(d, anchor)
        if value is not None:
            draft.put("feedback_date", value, d.start(), d.end())
        return


def _extract_round(layout: Layout, draft: Draft, opening: re.Match[str] | None) -> None:
    """The round as written, only where the title or the opening ties it to this inspection."""
    for lo, hi in _round_spans(layout, draft, opening):
        for m in ROUND_RE.finditer(layout.folded, lo, hi):
            if _OF_INSPECTION.match(layout.folded, m.end()):  # 第二轮巡视, not 第二轮整改
                draft.put("round", layout.text[m.start():m.end()], m.start(), m.end())
                return


def _extract_publish_date(layout: Layout, draft: Draft, marks: "Landmarks") -> None:
    """The date under the signature; else the page's date line (weak)."""
    sig_date = marks.signature_date
    if sig_date is not None:
        m = DATE_RE.fullmatch(layout.folded, sig_date.start, sig_date.end)
        if m:
            value, _ = resolve_date(m, None)
            draft.put("publish_date", value, sig_date.start, sig_date.end)
            return
    found = find_page_date(layout, page_head(layout, marks.opening), marks.body_end)
    if found is not None:
        draft.put("publish_date", found[0], found[1], found[2], weak=True)
