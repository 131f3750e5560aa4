"""Header fields: who inspected whom, when, and who published the notice."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from ..record import Draft
from ..text import DATE_ANY, DATE_RE, fold, parse_int, resolve_date
from .layout import Layout, Line

if TYPE_CHECKING:
    from .landmarks import Landmarks

CN_ORD = "一二三四五六七八九十百零〇两"
ORDINAL = rf"(?:\d+|[{CN_ORD}]+)"
_COMMITTEE = r"(?:中央|自治区党委|省委|市委|州委|县委|区委|旗委|盟委|地委|工委|党委|党组)"

#: The inspection team: 省委第九巡视组, 县委第二巡察组, 十四届县委第三轮巡察第一巡察组.
TEAM_RE = re.compile(
    rf"(?P<body>[\u4e00-\u9fff]{{0,16}}?{_COMMITTEE}?(?:第(?P<num>{ORDINAL}))?(?:巡视|巡察)(?:组|工作组|小组))"
)
#: "... 对 X 开展了/进行了 ... 巡视" – the inspected unit and the kind of inspection.
TARGET_RE = re.compile(
    r"(?:对|进驻)(?P<target>[^,。;:!?]{1,50}?)(?:\([^()]{0,30}\))?"
    r"(?:开展了?|进行了?|实施了?|展开了?)(?P<kind>[^,。;]{0,24}?)(?:巡视|巡察)"
    r"(?P<after>[^,。;]{0,12})"
)
ROUND_RE = re.compile(
    rf"(?:[{CN_ORD}\d]+届)?{_COMMITTEE}?第{ORDINAL}轮"
)
_TITLE_WORDS = re.compile(r"(?:巡视|巡察).{0,30}(?:整改|反馈).{0,30}(?:通报|情况|公告|公示)")
_SIGNATURE_RE = re.compile(
    r"^(?:中共|中国共产党)?[\u4e00-\u9fff()]{2,40}?(?:委员会|党委|党组|党工委|工委|市委|县委|区委|州委|旗委|省委)$"
)
_SIGNED_RE = re.compile(r"(?P<sig>[^\s\d]{2,40}?)\s+(?P<date>(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)")
_ISO_DATE_RE = re.compile(r"(?<!\d)(?P<date>(?:19|20)\d{2}-\d{1,2}-\d{1,2})(?!\d)")
_PAGE_DATE_RE = re.compile(r"(?:发布|发表|更新)?(?:时间|日期)\s*[:]?\s*(?P<date>(?:19|20)\d{2}[-./年]\d{1,2}[-./月]\d{1,2}日?)")
_ALIAS_RE = re.compile(r"\((?:原|简称|以下简称)[^()]*\)$")


def _type_of(words: str) -> str:
    if "回头看" in words:
        return "follow_up"
    if "专项" in words:
        return "special"
    if "机动" in words:
        return "mobile"
    if "常规" in words:
        return "routine"
    return "unspecified"


def find_opening(layout: Layout) -> re.Match[str] | None:
    """The opening sentence's "对 X 开展了巡视" clause, first in the text."""
    if "opening" not in layout.memo:
        layout.memo["opening"] = _find_opening(layout)
    return layout.memo["opening"]  # type: ignore[return-value]


_TEAM_WORD = re.compile(r"巡视组|巡察组|巡视工作组|巡察工作组")


def _find_opening(layout: Layout) -> re.Match[str] | None:
    for i, m in enumerate(TARGET_RE.finditer(layout.folded)):
        if i >= 200:
            break  # an opening sentence comes early; do not scan a pathological text quadratically
        start, _ = layout.sentence_bounds(m.start())
        start = max(start, m.start() - 300)  # the team is named in the same clause, close before "对"
        if _TEAM_WORD.search(layout.folded, start, m.end()):
            return m
    return None


def extract_title(layout: Layout, draft: Draft, body_start: int) -> None:
    """The headline: a line before the opening sentence naming 巡视…整改…通报."""
    for line in layout.lines[:60]:
        if line.start >= body_start:
            break
        text = line.text
        if len(text) > 120 or text.endswith("。") or text.startswith("根据") or not _TITLE_WORDS.search(text):
            continue
        crumb = max(text.rfind(">"), text.rfind("»"), text.rfind("›"))
        offset = crumb + 1 if crumb != -1 else 0  # "当前位置:首页 > 巡视巡察 > 中共…的通报"
        cut = re.search(r"\s*(?:[-_|]|——)\s*[^-_|]*$", text[offset:])
        end = line.start + offset + (cut.start() if cut and cut.start() > 10 else len(text) - offset)
        start = line.start + offset
        title = layout.text[start:end].strip()
        folded_title = fold(title)
        if not _TITLE_WORDS.search(folded_title) or len(title) < 12 or not (
                "关于" in folded_title or folded_title.endswith(("通报", "公告", "公示"))):
            continue  # a menu entry such as "巡视整改情况" is not the notice's headline
        start += len(layout.text[start:end]) - len(layout.text[start:end].lstrip())
        draft.put("title", title, start, start + len(title))
        return


def extract_issuer(layout: Layout, draft: Draft, signature: Line | None) -> None:
    if signature is not None:
        draft.put("issuer", layout.text[signature.start:signature.end], signature.start, signature.end)
        return
    if draft.has("title"):
        span = draft.evidence["title"]
        m = re.match(rf"^((?:中共|中国共产党)?[\u4e00-\u9fff()]{{2,40}}?(?:委员会|党委|党组|工委|{_COMMITTEE}))关于", layout.folded[span.start:span.end])
        if m:
            draft.put("issuer", layout.text[span.start:span.start + m.end(1)], span.start, span.start + m.end(1))


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
    for line in reversed(tail):  # "中共南山县委 2022年12月19日" on one line
        both = _SIGNED_RE.fullmatch(line.text)
        if both and _SIGNATURE_RE.match(both.group("sig")):
            sig_end = line.start + both.end("sig")
            return Line(line.start, sig_end, both.group("sig")), Line(line.start + both.start("date"), line.end,
                                                                       both.group("date"))
    for i in range(len(tail) - 1, -1, -1):
        line = tail[i]
        m = DATE_RE.fullmatch(line.text)
        if not m or not m.group("y") and not m.group("packed"):
            continue
        prev = tail[i - 1] if i > 0 else None
        if prev is not None and _SIGNATURE_RE.match(prev.text) and len(prev.text) <= 40:
            return prev, line
        return None, line
    for line in reversed(tail):
        if _SIGNATURE_RE.match(line.text) and len(line.text) <= 30:
            return line, None
    return None, None


def extract_header(layout: Layout, draft: Draft, marks: "Landmarks") -> None:
    """Fill the header fields from the opening sentence, the head of the page and the signature."""
    folded = layout.folded
    opening = marks.opening
    body_start = marks.body_start
    if opening is not None:
        s_start, s_end = layout.sentence_bounds(opening.start())
        target = opening.group("target").strip()
        t_start = opening.start("target") + (len(opening.group("target")) - len(opening.group("target").lstrip()))
        alias = _ALIAS_RE.search(target)
        if alias:
            target = target[: alias.start()]
        teams = list(TEAM_RE.finditer(folded, s_start, opening.start()))
        team = teams[-1] if teams else None  # the team named nearest before "对 X"
        if team is not None:
            body = team.group("body")
            b_start = team.start("body")
            # keep only the committee-led part: drop a leading "根据…部署" clause or dates
            trim = re.search(rf"(?:[{CN_ORD}\d]+届)?{_COMMITTEE}?(?:第{ORDINAL}轮巡[视察])?{_COMMITTEE}?(?:第{ORDINAL})?(?:巡视|巡察)(?:组|工作组|小组)$", body)
            if trim:
                b_start += trim.start()
                body = trim.group(0)
            draft.put("inspection_body", layout.text[b_start:b_start + len(body)], b_start, b_start + len(body))
            if team.group("num"):
                num = parse_int(team.group("num"))
                draft.put("team_number", num, team.start("num"), team.end("num"))
        if re.search(rf"等(?:\d+|[{CN_ORD}]+)(?:个|家)|、.+、", target):
            target = ""  # one notice covering several units has no single target
        if target:
            draft.put("target", layout.text[t_start:t_start + len(target)], t_start, t_start + len(target))
        kind_start, kind_end = opening.start("kind"), opening.end("after")
        words = folded[kind_start:kind_end]
        kind = _type_of(words)
        if kind == "unspecified":
            draft.put("inspection_type", kind, opening.start(), opening.end())
        else:
            key = {"follow_up": "回头看", "special": "专项", "mobile": "机动", "routine": "常规"}[kind]
            k = folded.index(key, kind_start, kind_end)
            draft.put("inspection_type", kind, k, k + len(key))
        _extract_dates(layout, draft, s_start, s_end, opening)
    extract_title(layout, draft, body_start)
    _extract_round(layout, draft, body_start)
    extract_issuer(layout, draft, marks.signature)
    _extract_publish_date(layout, draft, marks.signature_date, body_start)


def _extract_dates(layout: Layout, draft: Draft, s_start: int, s_end: int, opening: re.Match[str]) -> None:
    folded = layout.folded
    # On-site period: the first date range of the opening sentence (or the one before it).
    window_start = layout.line_at(s_start).start if layout.line_at(s_start) else s_start  # type: ignore[union-attr]
    anchor: date | None = None
    range_re = re.compile(rf"(?P<a>{DATE_ANY})\s*(?:至|到|—|-|~|–)\s*(?P<b>{DATE_ANY})")
    first = range_re.search(folded, window_start, s_end)
    if first is not None:
        a = DATE_RE.fullmatch(folded, first.start("a"), first.end("a"))
        b = DATE_RE.fullmatch(folded, first.start("b"), first.end("b"))
        start, _ = resolve_date(a, None) if a else (None, False)  # type: ignore[arg-type]
        if start is not None:
            draft.put("inspection_start", start, first.start("a"), first.end("a"))
            end, _ = resolve_date(b, start) if b else (None, False)  # type: ignore[arg-type]
            if end is not None:
                draft.put("inspection_end", end, first.start("b"), first.end("b"))
            anchor = end or start
    else:
        single = re.compile(rf"(?P<a>{DATE_ANY})").search(folded, window_start, s_end)
        if single:
            m = DATE_RE.fullmatch(folded, single.start("a"), single.end("a"))
            start, _ = resolve_date(m, None) if m else (None, False)  # type: ignore[arg-type]
            if start:
                draft.put("inspection_start", start, single.start("a"), single.end("a"))
                anchor = start
    # Feedback: the first sentence after the opening that speaks of 反馈 and carries a date.
    pos = opening.end()
    limit = min(len(folded), pos + 600)
    fb = re.compile(r"反馈(?:了)?(?:巡视|巡察)?(?:意见|情况|问题)|(?:巡视|巡察)?反馈会|作出反馈|进行了?反馈|反馈")
    for m in fb.finditer(folded, pos, limit):
        sent_start, _ = layout.sentence_bounds(m.start())
        dates = list(DATE_RE.finditer(folded, max(sent_start, opening.end()) if sent_start < opening.end() else sent_start, m.start()))
        if not dates:
            continue
        d = dates[-1]
        value, _ = resolve_date(d, anchor)
        if value is not None:
            draft.put("feedback_date", value, d.start(), d.end())
        break


def _extract_round(layout: Layout, draft: Draft, body_start: int) -> None:
    spans = []
    if draft.has("title"):
        t = draft.evidence["title"]
        spans.append((t.start, t.end))
    first_para = layout.line_at(body_start)
    if first_para is not None:
        spans.append((first_para.start, first_para.end))
    for lo, hi in spans:
        m = ROUND_RE.search(layout.folded, lo, hi)
        if m:
            draft.put("round", layout.text[m.start():m.end()], m.start(), m.end())
            return


def _extract_publish_date(layout: Layout, draft: Draft, sig_date: Line | None, body_start: int = 0) -> None:
    if sig_date is not None:
        m = DATE_RE.fullmatch(layout.folded, sig_date.start, sig_date.end)
        if m:
            value, _ = resolve_date(m, None)
            draft.put("publish_date", value, sig_date.start, sig_date.end)
            return
    m = _PAGE_DATE_RE.search(layout.folded)
    if m is None and body_start:  # a bare "2022-12-20 14:30 来源:…" above the notice
        m = _ISO_DATE_RE.search(layout.folded, 0, body_start)
    if m:
        raw = m.group("date")
        parts = [int(p) for p in re.findall(r"\d+", raw)]
        try:
            value = date(*parts[:3])
        except (ValueError, TypeError):
            return
        draft.put("publish_date", value, m.start("date"), m.end("date"))
