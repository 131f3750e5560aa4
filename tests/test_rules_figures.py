"""Counts and money (rules/figures.py): the plan's count phrases, the summary's outcomes, handed-over matters.

Each example is a made-up notice in the genre's shape: an opening sentence,
a part on how the rectification was organised (where the plan and the
summary stand), the findings, a signature.
"""

from __future__ import annotations

import pytest

from llm_extract.rules import extract

OPENING = "根据省委统一部署,2022年3月1日至4月30日,省委第六巡视组对西湖县开展了常规巡视。6月10日,省委巡视组向西湖县委反馈了巡视意见。\n"
FINDINGS = ("二、关于“落实全面从严治党主体责任不到位”问题的整改情况\n(一)压实主体责任。对2名责任人给予党纪处分,建立完善制度3项。\n"
            "三、下一步工作打算\n县委将持续巩固整改成果。\n")
SIGNATURE = "中共西湖县委\n2022年12月1日\n"


def notice(*paragraphs: str, findings: str = FINDINGS) -> str:
    return OPENING + "一、整改工作总体情况\n" + "".join(p + "\n" for p in paragraphs) + findings + SIGNATURE


def read(*paragraphs: str, findings: str = FINDINGS) -> dict:
    return extract(notice(*paragraphs, findings=findings)).record_json()


# --- plan -------------------------------------------------------------------


def test_counts_at_several_levels_give_the_specific_problems() -> None:
    plan = read("县委对照反馈的五方面17项问题56项具体问题,逐项制定整改措施183条,形成“四张清单”。")["plan"]
    assert (plan["problem_areas"], plan["problems"], plan["measures"]) == (5, 56, 183)


def test_both_tasks_and_measures_give_the_measures() -> None:
    plan = read("针对反馈的3个方面12个问题,梳理形成整改任务20项,制定整改措施64条。")["plan"]
    assert (plan["problems"], plan["measures"]) == (12, 64)


def test_plan_wordings_of_the_genre() -> None:
    plan = read("对照反馈的六个方面25个重点问题,制定了98项整改细化举措。")["plan"]
    assert (plan["problem_areas"], plan["problems"], plan["measures"]) == (6, 25, 98)
    plan = read("对县委第一巡察组反馈的17条巡察反馈意见逐条认领,制定整改措施40条。")["plan"]
    assert (plan["problems"], plan["measures"]) == (17, 40)
    plan = read("将反馈意见细化为44个“问题清单”、205条“任务清单”,逐项销号。")["plan"]
    assert (plan["problems"], plan["measures"]) == (44, 205)
    plan = read("市委巡察组共反馈意见32条,局党组逐条制定整改措施97条。")["plan"]
    assert (plan["problems"], plan["measures"]) == (32, 97)
    plan = read("各单位对照反馈问题,共梳理问题118个,制定整改措施402条。")["plan"]
    assert (plan["problems"], plan["measures"]) == (118, 402)


def test_counts_that_are_not_the_plan() -> None:
    plan = read("县委成立领导小组,从思想认识、组织领导等8个方面着力推进整改,县委书记主动认领6项重点问题。"
                "对照反馈的3个方面15个具体问题,制定整改措施52条,其中7项民生问题由县领导牵头。"
                "对上轮巡视反馈的20个问题开展“回头看”,已整改到位19个。")["plan"]
    assert plan == {"problem_areas": 3, "problems": 15, "measures": 52, "problems_rectified": None}


def test_problems_rectified_from_a_status_sentence_not_a_self_check() -> None:
    plan = read("对照反馈的3个方面15个具体问题,制定整改措施52条。截至目前,已完成整改13个,其余2个正在推进。"
                "同时举一反三,共查摆同类问题60个,已整改到位58个。")["plan"]
    assert plan["problems_rectified"] == 13
    plan = read("对照反馈的3个方面15个具体问题,制定整改措施52条。同时举一反三,共查摆同类问题60个,已整改到位58个。")["plan"]
    assert plan["problems_rectified"] is None


def test_a_lone_count_without_plan_words_is_weak() -> None:
    ex = extract(notice("县委共有4个方面20个问题需要解决。"))
    assert ex.record_json()["plan"]["problem_areas"] == 4
    assert ex.confidence["plan.problem_areas"] == "weak"


# --- summary paragraph ------------------------------------------------------


def test_a_breakdown_cut_by_the_page_keeps_its_total_and_printed_categories() -> None:
    cut = OPENING + "巡视反馈后,全县给予党纪处分15人(党内警告8人,严重警告4人,"
    o = extract(cut).record_json()["outcomes"]
    assert o["party_discipline"] == 15 and o["party_discipline_breakdown"] == {"warning": 8, "serious_warning": 4}
    cut = OPENING + "在巡视整改工作中,给予党纪处分9人(党内警告5人);政务处分6人(警告2人,记过3人,"
    o = extract(cut).record_json()["outcomes"]
    assert o["government_discipline"] == 6 and o["government_discipline_breakdown"] == {"warning": 2, "demerit": 3}


def test_money_named_at_length_and_not_across_another_trigger() -> None:
    o = read("在巡视整改工作中,给予党纪处分5人,诫勉3人;清退违规发放的津补贴、奖金和福利费等各类款项48.6万元,"
             "收缴违纪款3.2万元。")["outcomes"]
    assert (o["funds_returned"], o["funds_confiscated"]) == (486000, 32000)
    o = read("在巡视整改工作中,给予党纪处分5人,诫勉3人;清退违规发放的津补贴、收缴违纪款3.2万元。")["outcomes"]
    assert (o["funds_returned"], o["funds_confiscated"]) == (None, 32000)


def test_without_a_summary_a_working_figure_for_the_whole_rectification_is_weak() -> None:
    text = notice("县委强化组织领导。二是坚持建章立制,整改期间全县共建立完善制度45个,堵塞管理漏洞。")
    ex = extract(text)
    assert ex.record_json()["outcomes"]["institutions"] == 45
    assert ex.confidence["outcomes.institutions"] == "weak"
    # with a summary paragraph, the working paragraph's figure is not an outcome
    o = read("二是坚持建章立制,整改期间全县共建立完善制度45个。", "在巡视整改工作中,给予党纪处分5人,诫勉3人。")["outcomes"]
    assert (o["institutions"], o["party_discipline"]) == (None, 5)


# --- handed-over petitions and clues ----------------------------------------


def test_all_closed_gives_the_handed_over_count() -> None:
    o = read("巡视反馈后,对巡视组移交的信访件26件已全部办结;移交问题线索11件,已办结9件,其余2件正在核查。")["outcomes"]
    assert (o["petitions_received"], o["petitions_closed"], o["clues_received"], o["clues_closed"]) == (26, 26, 11, 9)


def test_a_closing_clause_after_a_list_covers_each_count() -> None:
    o = read("巡察期间移交的问题线索6件、信访件19件均已办结。")["outcomes"]
    assert (o["clues_received"], o["clues_closed"], o["petitions_received"], o["petitions_closed"]) == (6, 6, 19, 19)


def test_a_units_own_handover_inside_a_finding_is_not_the_teams() -> None:
    findings = ("二、关于“工程建设领域廉政风险突出”问题的整改情况\n"
                "(一)规范招投标。对40个项目开展复查,发现并整改问题9个,移交问题线索3件。\n")
    o = read("在巡视整改工作中,给予党纪处分5人,诫勉3人。", findings=findings)["outcomes"]
    assert o["clues_received"] is None
    o = read("在巡视整改工作中,给予党纪处分5人,诫勉3人。对巡视移交的问题线索12件,已办结10件。"
             "全面起底上一次巡视以来受理的860件检举控告件。")["outcomes"]
    assert (o["clues_received"], o["clues_closed"], o["petitions_received"]) == (12, 10, None)


def test_problems_rectified_in_the_wordings_of_several_unit_reports() -> None:
    plan = read("各被巡察党组织共收到反馈问题720个,制定整改措施1800条,完成整改688个,完成率95.6%。")["plan"]
    assert (plan["problems"], plan["measures"], plan["problems_rectified"]) == (720, 1800, 688)
    plan = read("对照反馈的4个方面29个问题,制定整改措施90条,其中已完成整改25个。")["plan"]
    assert plan["problems_rectified"] == 25
    plan = read("对照反馈的4个方面29个问题,制定整改措施90条,尚未完成整改4个。")["plan"]
    assert plan["problems_rectified"] is None


def test_a_cut_summary_led_by_a_dated_opener_keeps_its_one_figure() -> None:
    cut = OPENING + "一、整改工作总体情况\n区委成立领导小组。\n截至2022年11月底,全区共给予党纪处分17人(党内警告9人,"
    o = extract(cut).record_json()["outcomes"]
    assert o["party_discipline"] == 17 and o["party_discipline_breakdown"] == {"warning": 9}


@pytest.mark.parametrize("sentence, expected", [
    ("自治区党委巡视组移交的信访件84件、问题线索19件,已办结信访件84件、问题线索17件,其余2件正在核查。", (84, 84, 19, 17)),
    ("对省委巡视组移交的问题线索12件、信访举报件30件,已办结问题线索9件、信访举报件30件。", (30, 30, 12, 9)),
    ("市委巡察组移交问题线索8件,办结问题线索6件;移交信访件15件,已办结信访件15件。", (15, 15, 8, 6)),
])
def test_a_closing_clause_naming_each_kind_gives_each_closed_count(sentence: str, expected: tuple) -> None:
    o = read("在巡视整改工作中,给予党纪处分5人,诫勉3人。" + sentence)["outcomes"]
    assert (o["petitions_received"], o["petitions_closed"], o["clues_received"], o["clues_closed"]) == expected


def test_a_closing_clause_names_only_counts_right_after_办结() -> None:
    o = read("在巡视整改工作中,给予党纪处分5人,诫勉3人。巡视组移交问题线索8件,已办结信访件4件。")["outcomes"]
    assert (o["clues_received"], o["clues_closed"]) == (8, None)


# --- breakdowns -------------------------------------------------------------


@pytest.mark.parametrize("summary, party, gov", [
    ("在巡视整改工作中,共给予党纪处分12人,其中党内警告7人、严重警告3人、撤销党内职务2人;诫勉9人。",
     {"warning": 7, "serious_warning": 3, "removal_from_post": 2}, None),
    ("巡视反馈后,共给予党纪处分12人,其中党内警告7人、严重", {"warning": 7}, None),  # the page ends mid-list
    ("在巡视整改工作中,给予党纪处分5人,其中留党察看1人,开除党籍1人;政务处分4人,其中警告3人、记过1人;组织处理6人。",
     {"probation": 1, "expulsion": 1}, {"warning": 3, "demerit": 1}),
])
def test_a_breakdown_in_a_其中_clause_after_the_total(summary: str, party: dict, gov: dict | None) -> None:
    o = read(summary)["outcomes"]
    assert {k: v for k, v in (o["party_discipline_breakdown"] or {}).items() if v is not None} == party
    assert gov is None or {k: v for k, v in o["government_discipline_breakdown"].items() if v is not None} == gov


def test_a_其中_clause_of_other_counts_is_no_breakdown() -> None:
    o = read("在巡视整改工作中,给予党纪政纪处分31人,其中科级干部9人、警告2人;诫勉谈话11人。")["outcomes"]
    assert o["combined_discipline"] == 31
    assert o["party_discipline_breakdown"] is None and o["government_discipline_breakdown"] is None


def test_every_outcome_pattern_holds_a_word_its_cheap_pre_test_looks_for() -> None:
    """A paragraph without any of a field's words skips that field's patterns: each pattern must
    contain one of them, or the pre-test would hide a figure the pattern reads."""
    from llm_extract.rules.figures import _OUTCOME_NOUNS, MONEY_PATTERNS, OUTCOME_PATTERNS

    assert set(_OUTCOME_NOUNS) == set(OUTCOME_PATTERNS) | set(MONEY_PATTERNS)
    for key, patterns in (OUTCOME_PATTERNS | MONEY_PATTERNS).items():
        for pattern in patterns:
            assert any(word in pattern for word in _OUTCOME_NOUNS[key]), (key, pattern)


def test_a_number_is_found_where_it_was_before_its_first_character_was_checked_first() -> None:
    """Every count, outcome and money pattern reads the same figures over the sample and genre texts
    with the quick check on a number's first character as without it."""
    import re

    from conftest import DATA, NOTICES

    from llm_extract.rules.figures import MONEY_PATTERNS, NUMBER, OUTCOME_PATTERNS, PLAN_PATTERNS
    from llm_extract.text import fold

    quick = NUMBER[:NUMBER.index(")") + 1]
    assert quick.startswith("(?=[")
    texts = [fold(p.read_text(encoding="utf-8")) for p in sorted(NOTICES.glob("*.txt")) + sorted((DATA / "genre").glob("*.txt"))]
    for patterns in (PLAN_PATTERNS | OUTCOME_PATTERNS | MONEY_PATTERNS).values():
        for pattern in patterns:
            with_check, without = re.compile(pattern), re.compile(pattern.replace(quick, ""))
            assert with_check.pattern != without.pattern
            for text in texts:
                assert [m.span() for m in with_check.finditer(text)] == [m.span() for m in without.finditer(text)]


def test_a_sentence_has_a_count_phrase_for_the_one_search_exactly_when_it_has_one_for_the_ordered_phrases() -> None:
    """The one-search check of a field's count phrases passes exactly the sentences some phrase reads."""
    import re

    from conftest import DATA, NOTICES

    from llm_extract.rules.figures import _PLAN_ANY, PLAN_PATTERNS
    from llm_extract.text import fold

    seen = 0
    for path in sorted(NOTICES.glob("*.txt")) + sorted((DATA / "genre").glob("*.txt")):
        text = fold(path.read_text(encoding="utf-8"))
        for sentence in re.finditer(r"[^。;\n]+", text):
            for key, patterns in PLAN_PATTERNS.items():
                has = _PLAN_ANY[key].search(text, sentence.start(), sentence.end()) is not None
                assert has == any(re.compile(p).search(text, sentence.start(), sentence.end()) for p in patterns)
                seen += has
    assert seen > 20
