"""Findings: the problems the team fed back, as titled sections with items.

Notices number their parts 一、 / (一) / 1. (and (1)).  Findings are either
the top-level parts themselves (Zhejiang: 一、关于“…”问题的整改情况) or the
parts inside one wrapper (Hunan, Shandong: 二、巡视反馈问题整改进展情况 with
(一)…方面 inside).  Parts on how the rectification was organised and the
closing 下一步 part are not findings.
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
NOT_FINDING = re.compile(
    r"基本情况|总体情况|组织(?:整改|领导|实施)|整改工作(?:开展|推进)?情况$|工作开展情况|主要做法|(?:提高|强化|加强)(?:政治)?站位"
    r"|下一步|今后|后续|打算|继续(?:深化|推进|抓好|巩固)|工作安排|^(?:关于)?(?:巡视|巡察)?移交"
)
WRAPPER = re.compile(r"反馈.{0,12}(?:整改|落实).{0,6}(?:情况|进展)|(?:巡视|巡察)(?:整改|问题整改)(?:落实)?(?:情况|进展)")
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


def clean_title(layout: Layout, start: int, end: int, *, item: bool = False) -> tuple[int, int]:
    """Strip the SPEC's wrappers: 关于, “ ”, 问题的整改情况, 方面, 方面问题; for items 关于…的问题."""
    folded = layout.folded
    while start < end and folded[end - 1] in "。,;:!? ":
        end -= 1
    if folded.startswith("在", start) and folded[start + 1:start + 2] in _OPEN_QUOTES:
        start += 1  # 在“…”方面
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
            if item and s.endswith(suffix) and len(s) > len(suffix):
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


def _is_finding(layout: Layout, h: Heading) -> bool:
    s, e = _headline(layout, h)
    text = layout.folded[s:e]
    return not NOT_FINDING.search(text)


def _is_wrapper(layout: Layout, h: Heading) -> bool:
    """A part that holds the findings: about the feedback as a whole (反馈…整改), quoting no finding."""
    s, e = _headline(layout, h)
    text = layout.folded[s:e]
    return bool(h.children) and "“" not in text and len(text) < 40 and bool(WRAPPER.search(text))


def extract_sections(layout: Layout, draft: Draft, body_start: int, body_end: int) -> None:
    roots = _tree(_headings(layout, body_start, body_end))
    top = [h for h in roots if h.level == 0]
    findings: list[Heading] = []
    if top:
        for h in top:
            if not _is_finding(layout, h):
                continue  # how the rectification was organised, or what comes next
            if _is_wrapper(layout, h):
                findings.extend(c for c in h.children if _is_finding(layout, c))
            else:
                findings.append(h)
    else:
        findings = [h for h in roots if _is_finding(layout, h)]
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
