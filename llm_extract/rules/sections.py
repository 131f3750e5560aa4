"""Findings: the problems the team fed back, as titled sections with items.

Notices number their parts 一、 / (一) / 1. (and (1)).  Findings are either
the top-level parts themselves (Zhejiang: 一、关于“…”问题的整改情况) or the
parts inside one wrapper (Hunan, Shandong: 二、巡视反馈问题整改进展情况 with
(一)…方面 inside).  Which is which is decided by a criterion for the genre,
not a list of titles: a finding names a shortcoming (不到位, 不够, 薄弱,
存在…) or takes a finding's form (关于…问题, “…”问题, 反馈问题:…, 在…方面);
a wrapper is named as one or holds mostly findings, and under it a part is a
finding by its place; everything else is organisation (how the
rectification was organised, in whatever wording) or the closing part
(下一步, 持续巩固…).  A page cut off before its findings has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..record import Draft
from .layout import Layout, Line

CN = "一二三四五六七八九十"
LEVEL_RES = (
    re.compile(rf"^(?P<num>[{CN}]{{1,3}})\s*[、.]\s*"),
    re.compile(rf"^\((?P<num>[{CN}]{{1,3}})\)\s*[、.]?\s*"),
    re.compile(r"^(?P<num>\d{1,2})\s*[.、](?!\d)\s*"),
    re.compile(r"^\((?P<num>\d{1,2})\)\s*[、.]?\s*"),
)
#: The wording of a shortcoming the team fed back: what findings say and organisational parts do not.
SHORTCOMING = re.compile(
    r"不到位|不够|有差距|差距|薄弱|不力|缺乏|缺失|不足|不严|不实|不强|不高|不规范|不充分|不彻底|不精准|不完善|不健全|不及时"
    r"|不扎实|不深入|不紧|不细|不准|不明显|不平衡|不适应|不落实|未落实|未能|没有|偏差|偏离|短板|弱化|虚化|淡化|边缘化|滞后|缓慢"
    r"|较多|多发|易发|频发|突出|风险|隐患|乏力|欠缺|松懈|松弛|宽松软|有待|亟待|亟需|禁而未绝|时有发生|仍然存在|仍有|存在|违规"
    r"|违纪|腐败|漏洞|软弱涣散|不正之风|问题较|问题仍|不作为|乱作为|形式主义|官僚主义"
)
#: The forms a finding's title takes in the genre: 关于…问题 / 关于…方面, a quoted finding “…”, 反馈问题:…,
#: 在…方面, …方面问题.
FINDING_FORM = re.compile(r"^关于.{2,}(?:问题|方面)|[“\"「『].{2,}[”\"」』](?:等)?(?:方面)?(?:的)?(?:问题|方面)|^(?:反馈|巡视|巡察|存在)?问题\s*[:]"
                          r"|^在.{2,}方面|方面(?:的)?问题|.{2,}方面$")
#: The title of a part that wraps the findings: about the fed-back problems as a whole.
WRAPPER = re.compile(r"(?:反馈|发现|交办|指出)(?:的)?(?:问题|意见).{0,8}(?:整改|落实)|(?:巡视|巡察)(?:整改|问题整改)(?:落实)?(?:情况|进展)"
                     r"|整改(?:落实)?进展情况")
#: What parts on how the rectification was organised say.
ORGANISATION = re.compile(
    r"高度重视|部署|压实|压紧|加强(?:组织)?领导|担当|政治站位|政治任务|政治责任|总体情况|基本情况|工作开展|推进情况|组织(?:整改|领导|实施|保障)"
    r"|领导小组|高位推动|统筹|抓紧抓实|抓紧抓好|抓实抓细|扛起|扛牢|扛实|主要做法|主要成效|整改成效|问题导向|标本兼治|建章立制|督查问效"
    r"|传达|认识|坚持|聚焦|狠抓|抓好|细化|强化督|确保"
)
#: The closing part: what comes next, keeping the results.
CLOSING = re.compile(r"下一步|今后|后续|打算|(?:持续|继续)(?:深化|推进|抓好|巩固|用力|发力|加强)|巩固(?:整改)?成果|工作安排|长效常治")
#: A part on how the handed-over clues and petitions were dealt with reports, it is not a finding.
HANDOVER_PART = re.compile(r"^(?:关于)?(?:巡视|巡察)?(?:组)?移交")
_CN_VALUE = {c: i + 1 for i, c in enumerate(CN)}


def _cn_to_int(num: str) -> int:
    if num.isdigit():
        return int(num)
    if num == "十":
        return 10
    if num.startswith("十"):
        return 10 + _CN_VALUE.get(num[1:], 0)
    if num.endswith("十"):
        return _CN_VALUE.get(num[0], 0) * 10
    if "十" in num:
        a, b = num.split("十", 1)
        return _CN_VALUE.get(a, 0) * 10 + _CN_VALUE.get(b, 0)
    return _CN_VALUE.get(num, 0)


@dataclass
class Heading:
    level: int  # 0: 一、  1: (一)  2: 1.  3: (1)
    number: int
    line: Line
    head_start: int  # offset just after the numbering
    children: list["Heading"] = field(default_factory=list)


def _headings(layout: Layout, lo: int, hi: int) -> list[Heading]:
    out = []
    for line in layout.lines:
        if line.start < lo or line.start >= hi:
            continue
        for level, r in enumerate(LEVEL_RES):
            m = r.match(line.text)
            if m:
                out.append(Heading(level, _cn_to_int(m.group("num")), line, line.start + m.end()))
                break
    return out


def _tree(headings: list[Heading]) -> list[Heading]:
    """Nest headings by level.  A heading numbered no higher than its previous
    sibling is a numbered list inside prose and is passed over; numbers may
    skip (scraped pages lose entries) and a part's first child may start
    anywhere (some notices count 1. 2. ... on across parts)."""
    roots: list[Heading] = []
    stack: list[Heading] = []
    last: dict[tuple[int, int], int] = {}  # (id of the parent list, level) -> number of the last sibling kept
    for h in headings:
        while stack and stack[-1].level >= h.level:
            stack.pop()
        siblings = stack[-1].children if stack else roots
        key = (id(siblings), h.level)
        if key in last and h.number <= last[key]:
            continue
        last[key] = h.number
        siblings.append(h)
        stack.append(h)
    return roots


def _headline(layout: Layout, h: Heading) -> tuple[int, int]:
    """The heading's own words: from after the numbering to the first 。 (or line end)."""
    m = re.compile("。").search(layout.folded, h.head_start, h.line.end)
    return h.head_start, (m.start() if m else h.line.end)


_OPEN_QUOTES = "“\"「『"
_CLOSE_QUOTES = "”\"」』"
_TITLE_SUFFIXES = ("问题的整改情况", "问题整改情况", "问题整改进展情况", "问题的整改", "的整改情况", "整改进展情况", "整改情况",
                   "方面问题", "方面")


_FINDING_LABEL = re.compile(r"(?:巡视|巡察)?反馈问题\s{0,3}[:]\s{0,3}")


def clean_title(layout: Layout, start: int, end: int, *, item: bool = False) -> tuple[int, int]:
    """Strip the SPEC's wrappers: 关于, “ ”, 问题的整改情况, 方面, 方面问题; for items 关于…的问题."""
    folded = layout.folded
    while start < end and folded[end - 1] in "。,;:!? ":
        end -= 1
    label = _FINDING_LABEL.match(folded, start, end)
    if label:
        start = label.end()  # (一)反馈问题:党建工作薄弱
    if folded.startswith("在", start) and (folded[start + 1:start + 2] in _OPEN_QUOTES
                                          or folded[start:end].endswith(("方面", "方面问题"))):
        start += 1  # 在“…”方面, 1.在落实主体责任方面
    about = folded.startswith("关于", start)
    if about:
        start += 2
    for _ in range(4):
        s = folded[start:end]
        before = (start, end)
        if not item:
            for suffix in _TITLE_SUFFIXES:
                if s.endswith(suffix) and len(s) > len(suffix):
                    end -= len(suffix)
                    break
        s = folded[start:end]
        for suffix in ("问题的整改情况", "问题的整改", "问题整改"):
            if item and about and s.endswith(suffix) and len(s) > len(suffix):
                end -= len(suffix)
                break
        s = folded[start:end]
        if (about or item) and s.endswith("的问题") and len(s) > 3:
            end -= 3
        elif s.endswith("问题") and len(s) > 3 and s[-3] in _CLOSE_QUOTES:
            end -= 2
        s = folded[start:end]
        if len(s) > 2 and s[0] in _OPEN_QUOTES and s[-1] in _CLOSE_QUOTES and s.count("“") <= 1:
            start, end = start + 1, end - 1
        if (start, end) == before:
            break
    return start, end


def _title_text(layout: Layout, h: Heading) -> str:
    s, e = _headline(layout, h)
    return layout.folded[s:e]


def _finding_like(text: str) -> bool:
    """A title that names a shortcoming: in a finding's form, or with more shortcoming than organisation wording."""
    if HANDOVER_PART.search(text):
        return False
    if FINDING_FORM.search(text):
        return True
    short = len(SHORTCOMING.findall(text))
    return short > 0 and short > len(ORGANISATION.findall(text))


def _closing(text: str) -> bool:
    return bool(CLOSING.search(text)) and not SHORTCOMING.search(text)


def _wrapper_children(layout: Layout, h: Heading) -> list[Heading]:
    """The findings inside ``h`` when ``h`` wraps them (巡视反馈问题整改落实情况, 集中整改期内整改进展情况,
    巡察发现问题整改落实情况), else []: its own title names no shortcoming and most of its parts do.

    Under a wrapper a part is a finding by its place, unless it is a closing
    or handed-over-matters part or reads as organisation.
    """
    if not h.children:
        return []
    title = _title_text(layout, h)
    texts = [_title_text(layout, c) for c in h.children]
    named = bool(WRAPPER.search(title)) and not any(q in title for q in _OPEN_QUOTES)
    liked = sum(map(_finding_like, texts))
    if not liked or not named and (_finding_like(title) or 2 * liked < len(texts)):
        return []  # 整改工作基本情况 with (一)迅速传达精神… inside: organisation, not a wrapper
    return [c for c, t in zip(h.children, texts)
            if not _closing(t) and not HANDOVER_PART.search(t) and (_finding_like(t) or not ORGANISATION.search(t))]


def find_findings(layout: Layout, body_start: int, body_end: int) -> tuple[list[Heading], int | None]:
    """The top-level findings of the notice, in order, and where the part holding the first begins
    (memoised on the layout; the landmarks use the start to place the summary before it).

    Each top-level part is a finding (its title names a shortcoming), a
    wrapper holding findings, or neither: organisation (how the
    rectification was organised, in whatever wording) or the closing part.
    A page cut before its findings has none.
    """
    key = f"findings:{body_start}:{body_end}"
    if key not in layout.memo:
        roots = _tree(_headings(layout, body_start, body_end))
        top = [h for h in roots if h.level == 0] or roots
        findings: list[Heading] = []
        start: int | None = None
        for h in top:
            text = _title_text(layout, h)
            if _closing(text):
                continue
            found = _wrapper_children(layout, h) or ([h] if _finding_like(text) else [])
            if found and start is None:
                start = h.line.start
            findings.extend(found)
        layout.memo[key] = (findings, start)
    return layout.memo[key]  # type: ignore[return-value]


def extract_sections(layout: Layout, draft: Draft, body_start: int, body_end: int) -> None:
    """Each finding's title and its numbered items (SPEC's wrappers stripped)."""
    findings, _ = find_findings(layout, body_start, body_end)
    for i, h in enumerate(findings):
        s, e = clean_title(layout, *_headline(layout, h))
        if e <= s:
            continue
        draft.put(f"sections.{i}.title", layout.text[s:e], s, e)
        n = 0
        for child in h.children:
            cs, ce = clean_title(layout, *_headline(layout, child), item=True)
            if ce <= cs:
                continue
            draft.put(f"sections.{i}.items.{n}", layout.text[cs:ce], cs, ce)
            n += 1
        if n == 0:
            draft.data["sections"][i].setdefault("items", [])
