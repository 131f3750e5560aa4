"""Counts and money: the rectification plan and the summary paragraph's outcomes.

Outcome figures are read only from the summary paragraph (the one that
states totals for the whole rectification), never from a sub-measure deep
in the body, which reports its own smaller numbers with the same words.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..record import Draft
from ..text import CN_DIGITS, MONEY_UNIT, parse_int, parse_money
from .layout import SUMMARY_OPENER, Layout, Line
from .sections import LEVEL_RES

if TYPE_CHECKING:
    from .landmarks import Landmarks

#: A count or sum as notices write it (Arabic with thousands separators or a
#: decimal part, or Chinese numerals), shaped for linear time: it cannot start
#: inside a longer number and its repetitions are bounded (no count has more
#: than 12 digits), so a 20,000-digit run costs a bounded attempt per position
#: instead of a backtrack over the whole run.  Its first character is checked first, so a pattern that
#: starts with a count tries its look-behinds only where a number can start (a third of the rules' time).
NUMBER = (rf"(?=[\d{CN_DIGITS}])(?:(?<!\d)(?<!\d\.)(?<!\d,)\d{{1,12}}(?!\d)(?:,\d{{3}}(?!\d)){{0,4}}(?:\.\d{{1,6}}(?!\d))?"
          rf"|[{CN_DIGITS}]{{1,12}})")
N = rf"(?P<n>{NUMBER})"
PERSONS = r"(?:人|名)"

# --- plan ------------------------------------------------------------------

_Q = r"[\"“”「」]?"  # a count's noun is often quoted: 79个"问题清单"
#: Per field, the count phrases of the genre, most preferred first: where a notice counts at several
#: levels (17项问题56项具体问题) the 具体问题 count, and where it gives both 整改任务 and 整改措施 the 措施 count.
PLAN_PATTERNS: dict[str, list[str]] = {
    "problem_areas": [rf"{N}(?:个|大)?方面"],
    "problems": [
        rf"{N}(?:个|项|条){_Q}具体问题",
        rf"{N}(?:个|项|条){_Q}(?:突出|重点|主要|反馈)?问题(?!线索)",
        rf"{N}(?:条|个|项)(?:巡视|巡察)?反馈意见",
        rf"(?:具体|反馈)问题{N}(?:个|项|条)",
        rf"(?:巡视|巡察)?反馈意见{N}(?:条|个|项)",
        rf"(?:梳理|收到|交办|指出|查找)(?:出)?(?:的)?问题{N}(?:个|项|条)",
    ],
    "measures": [
        rf"{N}(?:条|项|个)(?:具体)?(?:的)?整改(?:细化|具体)?(?:措施|举措)",
        rf"整改(?:细化)?(?:措施|举措){N}(?:条|项|个)",
        rf"{N}(?:条|项|个)(?:具体)?(?:的)?整改(?:细化|具体)?任务",
        rf"{N}(?:条|项|个){_Q}任务清单",
        rf"整改任务{N}(?:条|项|个)",
    ],
    "problems_rectified": [
        rf"(?:已|己)(?:经)?(?:全部|基本)?(?:完成整改|整改完成|整改到位|整改|完成|销号)(?:的)?(?:问题)?{N}(?:个|项|条)",
        rf"{N}(?:个|项|条)(?:问题)?(?:已|己)(?:经)?(?:全部|基本)?(?:完成整改|整改完成|整改到位|完成|销号)",
        rf"(?<![未没尚])(?:完成整改|整改完成|整改到位|销号)(?:的)?(?:问题)?{N}(?:个|项|条)",
    ],
}
_PLAN_RES = {k: [re.compile(p) for p in v] for k, v in PLAN_PATTERNS.items()}
#: Per field, all its count phrases in one pattern: whether a sentence has any, in one search (most
#: sentences of the genre say 问题 and count nothing) before the phrases are tried in their order.
_PLAN_ANY = {k: re.compile("|".join(f"(?:{p})".replace("(?P<n>", "(?:") for p in v)) for k, v in PLAN_PATTERNS.items()}
_PLAN_KEYS = ("problem_areas", "problems", "measures")

_PLAN_WORDS = re.compile(r"方面|问题|意见|措施|任务|举措")
_PLAN_CONTEXT = re.compile(r"反馈|方案|细化|梳理|分解|交办|形成|制定|对照|清单|巡视组|巡察组|指出")
#: What, just before a count, makes it not the plan's: a previous round's (上轮巡视反馈的34个问题), one
#: leader's share (主动认领4项), a subset (其中9项), self-found similar problems (查摆同类问题136个), a
#: working mechanism's parts (从10个方面着力).
_NOT_THE_PLAN = re.compile(r"上轮|上一轮|上次|前轮|认领|领办|牵头|包案|其中|同类|自查|查摆|排查|举一反三|直属|所属")
_NOT_THE_PLAN_NOW = re.compile(r"^(?:从|围绕|聚焦)|(?:从|在|围绕|聚焦)$")
#: What makes a count of rectified problems another inspection's or a self-check's (其中 and a leader's
#: share are fine here: "其中已完成整改25个").
_NOT_THIS_INSPECTION = re.compile(r"上轮|上一轮|上次|前轮|同类|自查|查摆|排查|举一反三|直属|所属")
_CLAUSE_STOP = re.compile(r"[,;。:!?]")


def _is_plan_count(key: str, text: str, m: re.Match[str], lo: int) -> bool:
    """A count that is the plan's: not a bare 一 (一个问题 is prose), and nothing in its clause before it
    ties it to another round, one leader, a subset or a working mechanism."""
    if m.group("n") == "一":
        return False
    start = max(lo, m.start() - 24)
    stops = list(_CLAUSE_STOP.finditer(text, start, m.start()))
    clause = text[stops[-1].end() if stops else start:m.start()]
    if key == "problems_rectified":
        return not _NOT_THIS_INSPECTION.search(clause)
    return not (_NOT_THE_PLAN.search(clause) or _NOT_THE_PLAN_NOW.search(clause))


#: Words each field's count phrases contain: a cheap test before the patterns run.
_PLAN_NOUNS = {"problem_areas": ("方面",), "problems": ("问题", "意见"), "measures": ("措施", "举措", "任务"),
               "problems_rectified": ("完成", "整改", "销号")}


def _plan_match(key: str, text: str, lo: int, hi: int) -> re.Match[str] | None:
    """The preferred plan count of ``key`` in [lo, hi): the first pattern that has one wins."""
    if not any(text.find(word, lo, hi) >= 0 for word in _PLAN_NOUNS[key]) or not _PLAN_ANY[key].search(text, lo, hi):
        return None
    for r in _PLAN_RES[key]:
        for m in r.finditer(text, lo, hi):
            if _is_plan_count(key, text, m, lo):
                return m
    return None


def _plan_paragraph(layout: Layout, lo: int, hi: int) -> tuple[int, int, bool] | None:
    """The paragraph stating the plan: most plan counts (earliest on ties), and whether it names the
    feedback or the plan (a lone count without such words is a weak guess)."""
    best: tuple[int, int, int, bool] | None = None
    for line in layout.lines:
        if line.start < lo or line.start >= hi or not _PLAN_WORDS.search(layout.folded, line.start, line.end):
            continue
        for s, e in layout.sentences(line):
            keys = [k for k in _PLAN_KEYS if _plan_match(k, layout.folded, s, e)]
            if not keys:
                continue
            context = bool(_PLAN_CONTEXT.search(layout.folded, s, e))
            if len(keys) == 1 and not context:
                continue  # "有3个问题没有整改到位" is not the plan
            score = len(keys) + (1 if context else 0)
            if best is None or score > best[0]:
                best = (score, line.start, line.end, context)
    return None if best is None else best[1:]  # type: ignore[return-value]


def extract_plan(layout: Layout, draft: Draft, marks: "Landmarks") -> None:
    """The plan's counts, from the paragraph that states them before the findings start.

    A field the best paragraph lacks is not looked for elsewhere: counts in
    other paragraphs belong to other things (a sub-measure, a unit's own
    self-check).  Problems rectified often follow in a later sentence
    ("截至目前,已完成整改19个").
    """
    lo = marks.body_start
    hi = marks.findings_start if marks.findings_start is not None else marks.body_end
    found = _plan_paragraph(layout, lo, hi)
    weak = False
    if found is None and hi < marks.body_end:
        found, weak = _plan_paragraph(layout, hi, marks.body_end), True
    if found is None:
        return
    start, end, context = found
    weak = weak or not context
    for key in _PLAN_KEYS:
        m = _plan_match(key, layout.folded, start, end)
        if m:
            draft.put(f"plan.{key}", parse_int(m.group("n")), m.start("n"), m.end("n"), weak=weak)
    _extract_rectified(layout, draft, start, hi if not weak else marks.body_end)


_RECTIFIED_CONTEXT = re.compile(r"问题|意见|反馈|截至|截止|目前|本轮")


def _extract_rectified(layout: Layout, draft: Draft, start: int, hi: int) -> None:
    """Problems of this inspection stated as rectified: in the plan paragraph or a sentence soon after it,
    never a previous round's or a self-check's (上轮…已整改到位33个, 查摆同类问题136个,已整改到位121个)."""
    for line in layout.lines:
        if line.start < start or line.start >= hi or line.start > start + 3000:
            continue
        for s, e in layout.sentences(line):
            m = _plan_match("problems_rectified", layout.folded, s, e)
            if m is None or _NOT_THIS_INSPECTION.search(layout.folded, s, m.start()):
                continue
            if not _RECTIFIED_CONTEXT.search(layout.folded, s, e) and not any(
                    _plan_match(k, layout.folded, s, e) for k in _PLAN_KEYS):
                continue  # "已完成整改586个" beside the plan's own counts, or after 截至目前 / 问题
            draft.put("plan.problems_rectified", parse_int(m.group("n")), m.start("n"), m.end("n"))
            return


# --- outcomes --------------------------------------------------------------


def _count(*words: str, after_only: bool = False) -> list[str]:
    """``党纪处分94人``, ``党纪处分共94人``, ``94人受到党纪处分`` and ``对23名党员干部给予党纪处分``."""
    out = []
    for w in words:
        out.append(rf"{w}(?:的)?(?:共计|合计|共|累计|达)?{N}{PERSONS}(?:次)?")
        if not after_only:
            out.append(rf"{N}{PERSONS}(?:次)?[^,。;、\d]{{0,8}}?(?:受到|给予|被给予|予以)?{w}")
    return out


_NOT_PARTY = r"(?<!党纪)(?<!党纪、)(?<!党纪和)(?<!党纪及)(?<!党)"
OUTCOME_PATTERNS: dict[str, list[str]] = {
    "combined_discipline": _count("党纪政务处分", "党纪政纪处分", "党政纪处分", "党纪和政务处分", "党纪、政务处分", "党纪及政务处分"),
    "party_discipline": [rf"(?<!政务)(?<!政纪)(?<!和)(?<!、){p}" for p in _count("党纪处分")],
    "government_discipline": [rf"{_NOT_PARTY}{p}" for p in _count("政务处分", "政纪处分")],
    "organizational_handling": _count("组织处理"),
    "admonishment": _count("诫勉谈话", "诫勉"),
    "education_reminder": _count("教育提醒", "提醒教育"),
    "institutions": [
        rf"(?:建立|完善|制定|修订|出台|修改|健全|新建)[^,。;]{{0,8}}?制度(?:机制|文件|规定)?(?:共计|共)?{N}(?:项|个|件|份)",
        rf"(?:建立|完善|制定|修订|出台|健全|新建)[^,。;]{{0,6}}?{N}(?:项|个|件|份)(?:规章)?制度",
        rf"建章立制{N}(?:项|个|件)",
    ],
}
#: What a sum was (违规发放津补贴、奖金等款项): any words up to the figure, but not another money trigger.
_WHAT = r"(?:(?!收缴|挽回|追缴|清退|罚没)[^,。;\d()])"
MONEY_PATTERNS: dict[str, list[str]] = {
    "funds_returned": [rf"清退{_WHAT}{{0,24}}?(?:共计|合计|共|累计)?(?P<n>{NUMBER})(?:余|多)?(?P<u>{MONEY_UNIT})"],
    "funds_confiscated": [rf"收缴{_WHAT}{{0,16}}?(?:共计|合计|共|累计)?(?P<n>{NUMBER})(?:余|多)?(?P<u>{MONEY_UNIT})"],
    "losses_recovered": [rf"挽回[^,。;、\d()]{{0,10}}?损失(?:共计|合计|共|累计)?(?P<n>{NUMBER})(?:余|多)?(?P<u>{MONEY_UNIT})"],
}
_OUTCOME_RES = {k: [re.compile(p) for p in v] for k, v in OUTCOME_PATTERNS.items()}
_MONEY_RES = {k: [re.compile(p) for p in v] for k, v in MONEY_PATTERNS.items()}

PARTY_BREAKDOWN = {"党内警告": "warning", "严重警告": "serious_warning", "撤销党内职务": "removal_from_post",
                   "留党察看": "probation", "开除党籍": "expulsion"}
GOV_BREAKDOWN = {"警告": "warning", "记过": "demerit", "记大过": "major_demerit", "降级": "demotion",
                 "撤职": "dismissal", "开除": "expulsion"}
_BREAKDOWN_ITEM = re.compile(
    rf"(?P<label>党内严重警告|党内警告|严重警告|撤销党内职务|留党察看|开除党籍|政务警告|警告|记大过|记过|降级|撤职|开除公职|开除)(?:处分)?{N}{PERSONS}"
)
_SUMMARY_OPENERS = re.compile(rf"^(?:{SUMMARY_OPENER})")

#: What may stand between a figure and the next field's trigger in one list.
_SEP = r"[,;、]"


#: Words each outcome's patterns contain: a cheap test before the patterns run (they start at every
#: number of a paragraph, ~3 µs a search).
_OUTCOME_NOUNS = {"combined_discipline": ("处分",), "party_discipline": ("党纪处分",),
                  "government_discipline": ("政务处分", "政纪处分"), "organizational_handling": ("组织处理",),
                  "admonishment": ("诫勉",), "education_reminder": ("提醒",), "institutions": ("制度", "建章立制"),
                  "funds_returned": ("清退",), "funds_confiscated": ("收缴",), "losses_recovered": ("挽回",)}


def _match_field(key: str, text: str, lo: int, hi: int) -> re.Match[str] | None:
    if not any(text.find(word, lo, hi) >= 0 for word in _OUTCOME_NOUNS[key]):
        return None
    for r in _OUTCOME_RES.get(key, []) + _MONEY_RES.get(key, []):
        m = r.search(text, lo, hi)
        if m:
            return m
    return None


_ANY_TRIGGER = re.compile(r"党纪|政务处分|政纪|组织处理|诫勉|提醒|制度|清退|收缴|挽回")


def summary_score(layout: Layout, line: Line) -> int:
    """How strongly a paragraph reads as the summary: outcome fields it states, +2 when a summary opener leads it.

    A summary names at least two kinds of outcome, or opens as one ("在巡视整改工作中,给予党纪处分9人(…"
    where the page is cut after the first figure).
    """
    opener = bool(_SUMMARY_OPENERS.search(line.text))
    if not opener and len(set(_ANY_TRIGGER.findall(layout.folded, line.start, line.end))) < 2:
        return 0  # cheap pre-check
    found = sum(1 for key in list(_OUTCOME_RES) + list(_MONEY_RES) if _match_field(key, layout.folded, line.start, line.end))
    if found and opener:
        found += 2
    return found


def find_summary(layout: Layout, lo: int, hi: int, findings_start: int | None = None) -> tuple[Line | None, bool]:
    """The summary paragraph between ``lo`` (after the opening paragraph) and ``hi`` (the signature or contact),
    and whether it was found where the genre puts it.

    Its place comes first: a paragraph before the findings start wins over any
    paragraph after it, whatever the number of figures either lists (a
    finding's sub-measure, or a paragraph planted later in the page, may list
    more).  Only when nothing before the findings states outcomes is a
    paragraph after them taken, as a weak fallback (some notices, Shandong's,
    give their only overall figure in the part on handed-over matters), and
    then only a paragraph led by a summary opener or one on handed-over
    matters: a finding's sub-measure ("对2名责任人给予党纪处分,建立完善制度3项")
    is never the summary.  Heading lines are never the summary.
    """
    key = f"summary:{lo}:{hi}:{findings_start}"
    if key not in layout.memo:
        split = hi if findings_start is None else max(lo, min(findings_start, hi))
        found = _find_summary(layout, lo, split)
        layout.memo[key] = (found, True) if found is not None else (_find_summary(layout, split, hi, late=True), False)
    return layout.memo[key]  # type: ignore[return-value]


def _is_heading_line(line: Line) -> bool:
    """A numbered heading standing alone ("(三)整改主要成效"), not a numbered paragraph."""
    return len(line.text) <= 50 and "。" not in line.text[:-1] and any(r.match(line.text) for r in LEVEL_RES)


def _find_summary(layout: Layout, lo: int, hi: int, late: bool = False) -> Line | None:
    """The paragraph in [lo, hi) with the most outcome figures (score at least two), earliest on ties;
    else a summary listed one figure per line; else the paragraph on handed-over matters with a
    discipline total.  ``late`` (after the findings start): only paragraphs led by a summary opener."""
    best: tuple[int, Line] | None = None
    handover: Line | None = None
    for line in layout.lines:
        if line.start < lo or line.start >= hi or _is_heading_line(line):
            continue
        score = summary_score(layout, line) if not late or _SUMMARY_OPENERS.search(line.text) else 0
        if score >= 2 and (best is None or score > best[0]):
            best = (score, line)
        if handover is None and _HANDOVER.search(line.text) and any(
                _match_field(k, layout.folded, line.start, line.end) for k in _DISCIPLINE):
            handover = line
    if best is None:
        block = _listed_summary(layout, lo, hi)
        if block is not None:
            return block
    return best[1] if best else handover


def _listed_summary(layout: Layout, body_start: int, body_end: int) -> Line | None:
    """A summary set out one figure per line under its opener ("在巡视整改工作中:" / "给予党纪处分12人;" / …)."""
    lines = [ln for ln in layout.lines if body_start <= ln.start < body_end]
    i = 0
    while i < len(lines):
        line = lines[i]
        if not _SUMMARY_OPENERS.search(line.text):
            i += 1
            continue
        end = i
        while end + 1 < len(lines) and len(lines[end + 1].text) <= 60 and summary_score_raw(layout, lines[end + 1]):
            end += 1
        if end > i:
            block = Line(line.start, lines[end].end, layout.folded[line.start:lines[end].end])
            if summary_score_raw(layout, block) >= 2:
                return block
        i = end + 1  # blocks do not overlap: each line is looked at once (linear time)
    return None


def summary_score_raw(layout: Layout, line: Line) -> int:
    """How many outcome fields a stretch of text states, without the opener bonus or pre-check."""
    return sum(1 for key in list(_OUTCOME_RES) + list(_MONEY_RES) if _match_field(key, layout.folded, line.start, line.end))


_HANDOVER = re.compile(r"移交.{0,20}(?:问题线索|信访)")
_DISCIPLINE = ("combined_discipline", "party_discipline", "government_discipline")


#: The parenthesis after a discipline total: closed by ")" or, on a page cut mid-list, by the paragraph's end.
_BREAKDOWN_BODY = re.compile(r"\s{0,3}\((?:其中)?(?P<body>[^()]{2,200}?)(?:\)|$)")


#: A breakdown in a clause after the total instead of a parenthesis: "党纪处分12人,其中党内警告7人、严重警告3人".
_BREAKDOWN_CLAUSE = re.compile(r"\s{0,3}[,;]?\s{0,3}其中")
_ITEM_JOIN = re.compile(r"\s{0,3}[、,]?\s{0,3}")


def _listed_after(text: str, after: int, hi: int) -> list[re.Match[str]]:
    """The categories of a "其中…" clause right after a total: only items that follow one another
    (joined by 、 or ,), starting right after 其中, so "其中科级干部9人" or a later figure is never one."""
    clause = _BREAKDOWN_CLAUSE.match(text, after, hi)
    out: list[re.Match[str]] = []
    pos = clause.end() if clause else hi
    while pos < hi and (item := _BREAKDOWN_ITEM.match(text, pos, hi)) is not None:
        out.append(item)
        pos = _ITEM_JOIN.match(text, item.end(), hi).end()
    return out


def _breakdown(layout: Layout, draft: Draft, after: int, hi: int, default: str, weak: bool = False) -> None:
    """A parenthetical right after a discipline total: (党内警告53人,严重警告30人,...), or a 其中 clause
    (党纪处分12人,其中党内警告7人、严重警告3人).

    Where the page ends inside it ("党纪处分22人(党内警告6人,严重警告7人,"), the
    categories printed before the cut are kept (and the total with them).
    """
    text = layout.folded
    m = _BREAKDOWN_BODY.match(text, after, hi)
    items = _BREAKDOWN_ITEM.finditer(text, m.start("body"), m.end("body")) if m else _listed_after(text, after, hi)
    for item in items:
        label = item.group("label")
        if label in PARTY_BREAKDOWN or label == "党内严重警告":
            key, field = "party_discipline_breakdown", PARTY_BREAKDOWN.get(label, "serious_warning")
        elif label in GOV_BREAKDOWN or label in {"政务警告", "开除公职"}:
            key, field = "government_discipline_breakdown", GOV_BREAKDOWN.get(label, {"政务警告": "warning", "开除公职": "expulsion"}.get(label, ""))
        else:  # pragma: no cover - the regex admits only the labels above
            continue
        if default == "party" and key == "government_discipline_breakdown" and label == "警告":
            continue
        draft.put(f"outcomes.{key}.{field}", parse_int(item.group("n")), item.start("n"), item.end("n"), weak=weak)


def extract_outcomes(layout: Layout, draft: Draft, marks: "Landmarks") -> None:
    """Outcome figures from the summary paragraph; petitions and clues from the handover sentences.

    Figures of a summary found only after the findings start are a fallback: weak.
    """
    body_start, body_end, summary = marks.body_start, marks.body_end, marks.summary
    weak = not marks.summary_in_place
    if summary is not None:
        _put_outcomes(layout, draft, summary.start, summary.end, weak, breakdowns=True)
    else:
        _working_figures(layout, draft, marks)
    _extract_handover(layout, draft, body_start, body_end, summary)


#: A sentence stating a figure for the whole rectification: its period, then the whole unit or a total.
_WHOLE = re.compile(r"(?:整改期间|整改以来|整改工作中|反馈以来|反馈后|截至目前|截止目前)[^。;]{0,20}?"
                    r"(?:全县|全市|全区|全州|全省|全旗|全镇|全乡|全局|全厅|全委|全系统|共|累计)")


def _working_figures(layout: Layout, draft: Draft, marks: "Landmarks") -> None:
    """Where a notice has no summary paragraph, a working paragraph's figure that covers the whole
    rectification ("二是坚持建章立制…整改期间全县共建立完善制度70个"), before the findings: weak."""
    lo = marks.opening_line.end if marks.opening_line is not None else marks.body_start
    hi = marks.findings_start if marks.findings_start is not None else marks.body_end
    for line in layout.lines:
        if line.start < lo or line.start >= hi:
            continue
        for s, e in layout.sentences(line):
            whole = _WHOLE.search(layout.folded, s, e)
            if whole is not None:
                _put_outcomes(layout, draft, whole.start(), e, weak=True, breakdowns=False)


def _put_outcomes(layout: Layout, draft: Draft, lo: int, hi: int, weak: bool, breakdowns: bool) -> None:
    """Every outcome count and sum of money stated in ``folded[lo:hi]``; with ``breakdowns``, the
    kinds of discipline listed after a total too (党纪处分94人(党内警告53人,…))."""
    for key in _OUTCOME_RES:
        m = _match_field(key, layout.folded, lo, hi)
        if m is None:
            continue
        draft.put(f"outcomes.{key}", parse_int(m.group("n")), m.start("n"), m.end("n"), weak=weak)
        if breakdowns and key in ("party_discipline", "government_discipline", "combined_discipline"):
            _breakdown(layout, draft, m.end(), hi, "party" if key == "party_discipline" else "any", weak)
    for key in _MONEY_RES:
        m = _match_field(key, layout.folded, lo, hi)
        if m is not None:
            draft.put(f"outcomes.{key}", parse_money(m.group("n"), m.group("u")), m.start("n"), m.end("u"), weak=weak)


# --- petitions and clues handed over by the team ---------------------------

_PETITION = r"(?:信访(?:举报)?(?:件|积案|案件|问题|事项)?|来信来访件|举报件|检举控告件)"
_CLUE = r"(?:问题线索|线索)"
_CLOSED = re.compile(rf"(?:已|均已|全部)?(?:办结|完结|办理完毕|处置完毕|查结)(?:了)?(?:共)?{N}件")
#: "已全部办结" / "均已办结" of N handed-over items: all N closed.
_ALL_CLOSED = re.compile(r"(?:均已|已全部|已经全部|全部|均)(?:按时|按期)?(?:办结|完结|办理完毕|处置完毕|查结)(?!率)")
_HANDED_OVER = re.compile(r"移交|转交")
_TEAM = re.compile(r"巡视|巡察")
_JOINER = re.compile(r"\s{0,2}[、和及与]\s{0,2}$")


def _received(kind: str) -> list[re.Pattern[str]]:
    return [re.compile(rf"{N}件{kind}"), re.compile(rf"{kind}(?:共计|共)?{N}件")]


_RECEIVED = {"petitions": _received(_PETITION), "clues": _received(_CLUE)}
_ANY_KIND = re.compile(rf"{_PETITION}|{_CLUE}")


_FULL_STOP = re.compile(r"[^。]*。?")


def _handover_spans(layout: Layout, body_start: int, body_end: int, summary: Line | None) -> list[tuple[int, int, bool]]:
    """Stretches that report matters the team handed over: (from its 移交, to its 。, weak).

    A sentence with 移交 in a paragraph naming the inspection is the genre's
    ("巡视组移交的信访件38件已全部办结;问题线索9件,已办结7件。"); the summary
    paragraph's own counts without 移交 are a weak guess.  A unit's own
    移交问题线索2件 deep in a finding, with no inspection named, and counts in
    a sentence without 移交 (受理的1116件检举控告件) are not the team's handover.
    """
    out = []
    lines = [summary] if summary is not None else []
    lines += [ln for ln in layout.lines if body_start <= ln.start < body_end and ln is not summary]
    text = layout.folded
    for line in lines:
        team = _TEAM.search(text, line.start, line.end)
        found = False
        if team:
            for sentence in _FULL_STOP.finditer(text, line.start, line.end):
                handed = _HANDED_OVER.search(text, sentence.start(), sentence.end())
                if handed and sentence.end() > sentence.start():
                    out.append((handed.start(), sentence.end(), False))
                    found = True
        if not found and line is summary:
            out.append((line.start, line.end, True))
    return out


def _extract_handover(layout: Layout, draft: Draft, body_start: int, body_end: int, summary: Line | None) -> None:
    """信访件 and 问题线索 handed over by the team, and how many were closed.

    "已办结N件" after a count gives the closed count; "已全部办结" / "均已办结"
    gives all of them, also after a list ("问题线索8件、信访件37件均已办结").  A
    closing clause belongs to the nearest count before it: the window ends at
    the next kind mentioned ("信访件53件,已全部办结;问题线索17件,已办结15件").
    """
    text = layout.folded
    for lo, hi, weak in _handover_spans(layout, body_start, body_end, summary):
        for field, kind in (("petitions", _PETITION), ("clues", _CLUE)):
            if draft.has(f"outcomes.{field}_received"):
                continue
            m = _first_received(text, field, lo, hi)
            if m is None:
                continue
            other = _PETITION if field == "clues" else _CLUE
            s, e = layout.sentence_bounds(m.start())
            if re.search(rf"{other}[和及与、]{kind}|{kind}[和及与、]{other}", text[s:e]):
                continue  # a combined count cannot be split between the two fields
            n = parse_int(m.group("n"))
            draft.put(f"outcomes.{field}_received", n, m.start("n"), m.end("n"), weak=weak)
            _closed(layout, draft, field, m, n, hi, weak)


def _first_received(text: str, field: str, lo: int, hi: int) -> re.Match[str] | None:
    found = [m for r in _RECEIVED[field] for m in [r.search(text, lo, hi)] if m is not None]
    return min(found, key=lambda m: m.start()) if found else None


def _closed(layout: Layout, draft: Draft, field: str, m: re.Match[str], n: int | None, hi: int, weak: bool) -> None:
    """The closed count for the received count ``m``: explicit, or all of them where the text says so."""
    text = layout.folded
    end, listed = m.end(), False
    while True:  # walk over a list of counts joined by 、/和: the closing clause after it covers each
        nxt = _ANY_KIND.search(text, end, hi)
        if nxt is None or not _JOINER.search(text, end, nxt.start()) or nxt.start() - end > 12:
            break
        item = _NEXT_COUNT.match(text, nxt.start(), hi)
        if item is None:
            break
        end, listed = item.end(), True
    named = _closed_of_kind(text, field, end, min(hi, _next_sentence_end(layout, end)))
    if named is not None:
        draft.put(f"outcomes.{field}_closed", parse_int(named.group("n")), named.start("n"), named.end("n"), weak=weak)
        return
    stop = _ANY_KIND.search(text, end, hi)
    window_end = min(stop.start() if stop else hi, _next_sentence_end(layout, end))
    closed = None if listed else _CLOSED.search(text, end, window_end)
    if closed:
        draft.put(f"outcomes.{field}_closed", parse_int(closed.group("n")), closed.start("n"), closed.end("n"), weak=weak)
        return
    every = _ALL_CLOSED.search(text, end, window_end)
    if every and n is not None and not _CLOSED.search(text, end, window_end):
        draft.put(f"outcomes.{field}_closed", n, m.start("n"), every.end(), weak=weak)


#: A closing clause naming the kind of each closed count: "已办结信访件84件、问题线索17件".
_CLOSED_HEAD = re.compile(r"(?:办结|完结|办理完毕|处置完毕|查结)(?:了)?(?:其中)?(?=信访|来信|举报|检举|问题线索|线索)")
_CLOSED_ITEM = re.compile(rf"(?:[、,和及与]\s{{0,2}})?(?P<kind>{_PETITION}|{_CLUE})(?:共计|共)?{N}件")


def _closed_of_kind(text: str, field: str, lo: int, hi: int) -> re.Match[str] | None:
    """The count of ``field``'s kind in a closing clause that names its kinds, in [lo, hi), else ``None``.

    The clause is "办结" then a list of kind-and-count items ("已办结信访件84件、问题线索17件",
    "办结问题线索10件"); a count is taken only from the list right after 办结, so a count named
    elsewhere in the sentence is never read as closed.
    """
    head = _CLOSED_HEAD.search(text, lo, hi)
    if head is None:
        return None
    kind = _PETITION if field == "petitions" else _CLUE
    pos = head.end()
    while (item := _CLOSED_ITEM.match(text, pos, hi)) is not None:
        if re.fullmatch(kind, item.group("kind")):
            return item
        pos = item.end()
    return None


_NEXT_COUNT = re.compile(rf"(?:{_PETITION}|{_CLUE})(?:共计|共)?{NUMBER}件")


def _next_sentence_end(layout: Layout, end: int) -> int:
    """Closing counts often follow in the next clause: "...32件问题线索, ...已办结32件"."""
    line = layout.line_at(max(0, end - 1))
    hi = line.end if line else len(layout.folded)
    m = re.compile(r"。").search(layout.folded, end, hi)
    return m.end() if m else hi
