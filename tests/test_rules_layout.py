"""Layout (rules/layout.py): lines, and the paragraphs of a page scraped as one long line.

A page whose line breaks were lost keeps its paragraphs' starts in its words:
a full-width indent, a heading marker after a sentence end (。一、 / 。(一) /
。1.), a summary opener (在巡视整改工作中).  The layout cuts a long line there
into virtual lines with the same offsets, so every rule reads such a page as
it reads the page with its line breaks.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, strategies as st
from conftest import DATA, NOTICES

from llm_extract.rules import extract, layout_of

CORPUS = sorted(NOTICES.glob("*.txt")) + sorted((DATA / "genre").glob("*.txt"))


def _one_line(text: str, joiner: str) -> str:
    """``text`` as a scraper that drops line breaks writes it: its lines, stripped, joined by ``joiner``."""
    return joiner.join(line.strip() for line in text.splitlines() if line.strip())


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_a_page_on_one_line_with_full_width_indents_reads_as_the_page_with_line_breaks(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    one = _one_line(text, "\u3000")
    got = extract(one)
    assert got.record_json() == extract(text).record_json()
    for span in got.evidence.values():
        assert one[span.start:span.end] == span.quote


#: A sample whose scrape dropped the full stop before many line breaks: joined with nothing, its
#: paragraphs leave no trace in its words, and no reader can find them.
LOST_STOPS = {"004_a2fdee0aed3fff2e"}


@pytest.mark.parametrize("path", [p for p in CORPUS if p.stem not in LOST_STOPS], ids=lambda p: p.stem)
def test_a_page_on_one_line_with_nothing_between_its_paragraphs_reads_no_other_value(path: Path) -> None:
    """Plan, outcomes, findings and contact read as with line breaks; a header field may be missed (a
    headline run into the page's menu has no edge), never read differently."""
    text = path.read_text(encoding="utf-8")
    one, lined = extract(_one_line(text, "")).record_json(), extract(text).record_json()
    for key in ("plan", "outcomes", "sections", "contact"):
        assert one[key] == lined[key], key
    for key, value in one.items():
        assert value is None or value == lined[key], key


ONE_LINE = ("中共青河市北湖区委关于市委巡察整改情况的通报　根据市委统一部署,2021年4月6日至5月28日,市委第三巡察组对北湖区进行了巡察,"
            "并于2021年7月2日向区委反馈了巡察意见。现将巡察整改情况予以公布。一、整改工作总体情况　区委把巡察整改作为重大政治任务。"
            "一是细化整改任务。区委对照巡察反馈的4个方面问题,梳理形成27个具体问题,制定96项整改措施,其中区委书记牵头督办8项。"
            "二是强化督查问责。对整改进度滞后的3个单位进行通报。在巡察整改工作中,全区共给予党纪政务处分21人,组织处理6人,诫勉9人;"
            "建立完善制度18项;收缴违纪违法款项132600元。二、关于落实全面从严治党主体责任不够有力问题的整改情况　一是压实责任。"
            "制定主体责任清单。三、关于基层党组织建设存在薄弱环节问题的整改情况 (一)整顿软弱涣散村党组织。排查确定9个。(二)加强村干部队伍建设。"
            "轮训村干部320人次。四、下一步工作打算　区委将持续巩固整改成果。欢迎社会各界对巡察整改落实情况进行监督。如有意见建议,请通过以下方式反映:"
            "联系电话:0731-2231234;电子邮箱:bhqxcb@126.com。　中共青河市北湖区委　2021年10月8日")


@pytest.mark.parametrize("indent", ["\u3000", "", " "], ids=["full-width", "nothing", "space"])
def test_a_page_scraped_as_one_line_gives_its_plan_summary_and_findings(indent: str) -> None:
    r = extract(ONE_LINE.replace("\u3000", indent)).record_json()
    assert (r["plan"]["problem_areas"], r["plan"]["problems"], r["plan"]["measures"]) == (4, 27, 96)
    o = r["outcomes"]
    assert (o["combined_discipline"], o["organizational_handling"], o["admonishment"], o["institutions"]) == (21, 6, 9, 18)
    assert o["funds_confiscated"] == 132600
    assert [s["title"] for s in r["sections"]] == ["落实全面从严治党主体责任不够有力", "基层党组织建设存在薄弱环节"]
    assert r["sections"][1]["items"] == ["整顿软弱涣散村党组织", "加强村干部队伍建设"]
    assert r["contact"]["phones"] == ["0731-2231234"] and r["publish_date"] == "2021-10-08"


def test_virtual_lines_index_the_text_and_keep_its_order() -> None:
    layout = layout_of(ONE_LINE)
    assert len(layout.lines) > 10
    for line, after in zip(layout.lines, layout.lines[1:]):
        assert layout.folded[line.start:line.end] == line.text and line.end <= after.start
    assert [line.text for line in layout.lines if line.text.startswith(("一、", "二、", "(一)"))] == [
        "一、整改工作总体情况", "二、关于落实全面从严治党主体责任不够有力问题的整改情况", "(一)整顿软弱涣散村党组织。排查确定9个。"]


def test_a_short_line_is_never_cut() -> None:
    text = "区委召开专题会议。一、明确责任。二、细化任务。\n"
    assert [line.text for line in layout_of(text).lines] == ["区委召开专题会议。一、明确责任。二、细化任务。"]


def test_the_quick_first_character_check_finds_every_paragraph_start_the_full_pattern_finds() -> None:
    """Over every sample and genre text, as written and scraped onto one line: the same starts, the same
    kinds, whether or not each position is first checked against the characters a start can begin with."""
    import re

    from llm_extract.rules import layout
    from llm_extract.text import fold

    full = re.compile(layout._PARAGRAPH_STARTS)
    for path in CORPUS:
        text = path.read_text(encoding="utf-8")
        for variant in (text, _one_line(text, ""), _one_line(text, "\u3000"), _one_line(text, " ")):
            folded = fold(variant)
            want = [(m.span(), m.groupdict()) for m in full.finditer(folded)]
            assert want and [(m.span(), m.groupdict()) for m in layout._PARAGRAPH_START.finditer(folded)] == want


@given(st.lists(st.tuples(st.sampled_from(["7", "二", "万", "٣", "x", "巡", " ", "\n"]), st.integers(1, 80)), max_size=12))
def test_long_runs_of_numerals_are_blanked_where_a_search_of_every_place_finds_them(pieces: list[tuple[str, int]]) -> None:
    """Looking at every 33rd character finds each run of 33 or more digits or numerals that a search over
    every place finds, mixed runs and runs of another script's digits included."""
    from llm_extract.rules.layout import _LONG_RUN, _without_long_runs

    text = "".join(ch * n for ch, n in pieces)
    assert _without_long_runs(text) == _LONG_RUN.sub(lambda m: " " * len(m.group()), text)
    mixed = "".join(ch for ch, _ in pieces) * 7
    assert _without_long_runs(mixed) == _LONG_RUN.sub(lambda m: " " * len(m.group()), mixed)


def test_a_run_of_exactly_33_numerals_is_blanked_wherever_it_starts_and_one_of_32_never() -> None:
    from llm_extract.rules.layout import _without_long_runs

    for before in range(70):
        for run, blanked in (("1" * 33, True), ("二" * 32, False), ("٣" * 20 + "十" * 13, True)):
            text = "巡" * before + run + "察"
            assert _without_long_runs(text) == ("巡" * before + " " * len(run) + "察" if blanked else text)
