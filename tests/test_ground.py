"""Grounding a model's answer: what the text supports is kept, the rest refused."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from support.answers import faithful_answer, invented_answer
from llm_extract.ground import ground
from llm_extract.llm.answer import LLMNotice, source_text
from llm_extract.rules import extract


def test_a_faithful_answer_is_accepted_in_full(sample_texts: dict[str, str]) -> None:
    for text in sample_texts.values():
        extraction, errors = ground(faithful_answer(text), text)
        assert errors == []
        assert extraction.record_json() == extract(text).record_json()


def test_spans_are_computed_here_not_taken_from_the_model(sample_texts: dict[str, str]) -> None:
    text = sample_texts["002_3560743218ed87cc"]
    extraction, _ = ground(faithful_answer(text), text)
    for path, span in extraction.evidence.items():
        assert text[span.start:span.end] == span.quote, path


def test_invented_values_are_all_refused(sample_texts: dict[str, str]) -> None:
    text = sample_texts["000_52b65cbec59bb7bf"]
    extraction, errors = ground(invented_answer(), text)
    assert extraction.evidence == {}
    assert any("does not occur in the notice" in e for e in errors)


def test_a_real_quote_for_the_wrong_field_is_refused(sample_texts: dict[str, str]) -> None:
    text = sample_texts["000_52b65cbec59bb7bf"]
    answer = faithful_answer(text)
    # "组织处理3人" is in the text, but it is not what admonishment (诫勉) counts
    answer["outcomes"]["admonishment"] = {"value": 3, "quote": "组织处理3人"}
    extraction, errors = ground(answer, text)
    assert extraction.record.outcomes.admonishment is None
    assert any("outcomes.admonishment" in e for e in errors)


def test_a_number_not_in_its_quote_is_refused(sample_texts: dict[str, str]) -> None:
    text = sample_texts["000_52b65cbec59bb7bf"]
    answer = faithful_answer(text)
    answer["outcomes"]["admonishment"] = {"value": 80, "quote": "诫勉8人"}
    answer["outcomes"]["funds_returned"] = {"value": 3177, "quote": "清退款项31.77万元"}
    extraction, errors = ground(answer, text)
    assert extraction.record.outcomes.admonishment is None and extraction.record.outcomes.funds_returned is None
    assert len([e for e in errors if "cannot be read from its quote" in e]) == 2


def test_dates_out_of_order_are_dropped_not_kept(sample_texts: dict[str, str]) -> None:
    text = sample_texts["000_52b65cbec59bb7bf"]
    answer = faithful_answer(text)
    answer["feedback_date"] = {"value": "2022-01-09", "quote": "2022年2月28日"}  # not even in the quote
    extraction, errors = ground(answer, text)
    assert extraction.record.feedback_date is None and errors


def test_the_validator_raises_so_instructor_can_re_ask(sample_texts: dict[str, str]) -> None:
    text = sample_texts["000_52b65cbec59bb7bf"]
    bad = copy.deepcopy(faithful_answer(text))
    bad["plan"]["problems"] = {"value": 27, "quote": "26个具体问题"}
    LLMNotice.model_validate(bad)  # without a source text: types only
    with source_text(text), pytest.raises(ValidationError, match="plan.problems"):
        LLMNotice.model_validate(bad)


# --- what SPEC.md's readings accept -------------------------------------------

GENRE = Path(__file__).parent / "data" / "genre"


def genre(stem: str) -> str:
    return (GENRE / f"genre_{stem}.txt").read_text(encoding="utf-8")


def one(path: str, value: Any, quote: str) -> dict[str, Any]:
    """An answer with a single field: ``{"plan": {"problems": {...}}}`` for ``plan.problems``."""
    node: Any = {"value": value, "quote": quote}
    for part in reversed(path.split(".")):
        node = {part: node}
    return node


def grounded(path: str, value: Any, quote: str, text: str) -> tuple[Any, list[str]]:
    """The value grounding keeps for a one-field answer (``None`` if refused), and its errors."""
    extraction, errors = ground(one(path, value, quote), text)
    node: Any = extraction.record_json()
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node, errors


@pytest.mark.parametrize(("stem", "path", "value", "quote"), [
    ("b02_beiling_housing_bureau", "plan.problems", 29, "29条巡察反馈意见"),  # a synonym of 问题
    ("b02_beiling_housing_bureau", "outcomes.petitions_closed", 35, "35件信访件已全部办结"),  # an implied total
    ("b04_linjiang_water_dept", "outcomes.clues_closed", 21, "对省委巡视组移交的21件问题线索，均已办结"),
    ("a02_yunling_health_trad", "outcomes.admonishment", 12, "誡勉12人"),  # traditional text
    ("a02_yunling_health_trad", "team_number", 12, "省委第十二巡視組"),
])
def test_counts_worded_as_real_notices_word_them_are_accepted(stem: str, path: str, value: Any, quote: str) -> None:
    text = genre(stem)
    assert quote in text
    assert grounded(path, value, quote, text) == (value, [])


@pytest.mark.parametrize(("stem", "path", "value", "quote"), [
    ("a08_yunling_academy_2016", "publish_date", "2016-08-26", "26.08.2016 22:04"),  # day.month.year
    ("a01_nanwan_district", "publish_date", "2022-08-04", "发布日期: 2022-08-04"),
    ("a06_qingshi_town_crossinsp", "inspection_start", "2024-07-17", "2024717日"),  # lost 年 and 月
    ("a06_qingshi_town_crossinsp", "inspection_end", "2024-08-30", "830日"),  # no year: read from the one before
    ("a04_nanhu_housing_lostchars", "inspection_start", "2021-03-01", "202131日"),
])
def test_every_date_form_the_rules_read_is_accepted(stem: str, path: str, value: str, quote: str) -> None:
    text = genre(stem)
    assert quote in text
    assert grounded(path, value, quote, text) == (value, [])


@pytest.mark.parametrize(("stem", "value", "quote"), [
    ("a04_nanhu_housing_lostchars", "南湖市住房和城乡建设局", "南湖市住房和城乡建设局(简称市住建局)"),
    ("a06_qingshi_town_crossinsp", "清河县青石镇", "对清河县青石镇（原青石乡）开展了提级交叉巡察"),
    ("a02_yunling_health_trad", "雲嶺省衛生健康委員會", "雲嶺省衛(wèi)生健康委員會"),  # a converter's pinyin gloss
])
def test_a_name_is_the_quote_without_its_bracketed_additions(stem: str, value: str, quote: str) -> None:
    text = genre(stem)
    assert quote in text
    extraction, errors = ground(one("target", value, quote), text)
    assert errors == [] and extraction.record.target == value
    span = extraction.evidence["target"]
    assert text[span.start:span.end] == span.quote and span.quote.startswith(value[:3])


def test_what_spec_does_not_accept_is_still_refused() -> None:
    text = genre("b02_beiling_housing_bureau")
    assert grounded("plan.problems", 29, "29条巡察反馈意见和建议", text)[0] is None  # not in the text
    assert grounded("plan.problems", 30, "29条巡察反馈意见", text)[0] is None  # not its number
    assert grounded("outcomes.admonishment", 35, "35件信访件已全部办结", text)[0] is None  # not its trigger
    assert grounded("publish_date", "2017-10-19", "时间：2017-10-18", text)[0] is None  # not its date
    assert grounded("target", "北岭县", "对巡察组移交", text)[0] is None  # a name not in its quote


def test_an_outcome_from_outside_the_summary_paragraph_is_refused_when_the_paragraph_is_known(
        sample_texts: dict[str, str]) -> None:
    from llm_extract import rules
    from llm_extract.fields import Region

    text = sample_texts["000_52b65cbec59bb7bf"]
    summary = rules.read(text).landmarks.summary
    answer = one("outcomes.combined_discipline", 25, "党纪政务处分25人")  # one measure's figure, deep in the body
    assert ground(answer, text)[1] == []  # without the paragraph: nothing to hold it to
    extraction, errors = ground(answer, text, {Region.summary: (summary.start, summary.end)})
    assert extraction.record.outcomes.combined_discipline is None
    assert errors and "paragraph that states such figures" in errors[0]
    assert "outcomes.combined_discipline" in extraction.dropped  # the merge tells a refusal from a null


def test_a_findings_title_is_found_on_its_heading_line_not_in_the_headline() -> None:
    text = genre("b04_linjiang_water_dept")
    extraction, errors = ground({"sections": [{"title": "巡视整改", "items": []}]}, text)
    span = extraction.evidence["sections.0.title"]
    line = text[text.rfind("\n", 0, span.start) + 1:text.find("\n", span.end)]
    assert errors == [] and not line.startswith("中共") and "巡视整改" in line


def test_the_text_is_folded_once_per_answer_however_many_quotes_miss(
        sample_texts: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    import llm_extract.ground as grounding

    text = sample_texts["000_52b65cbec59bb7bf"]
    calls: list[int] = []
    real_fold = grounding.fold

    def counting_fold(s: str) -> str:
        if len(s) == len(text):
            calls.append(1)
        return real_fold(s)

    monkeypatch.setattr(grounding, "fold", counting_fold)
    answer = {"sections": [{"title": f"不存在的标题{i}", "items": [f"不存在的条目{i}"]} for i in range(30)],
              "contact": {"phones": [f"0000-{i:07d}" for i in range(30)]}}
    extraction, errors = ground(answer, text)
    assert len(errors) == 60 and not extraction.evidence
    assert len(calls) == 1


def test_a_summary_paragraph_holds_only_the_figures_it_names() -> None:
    from llm_extract.fields import Region

    text = ("在巡视整改工作中,给予党纪处分12人,诫勉5人。\n"
            "二是强化制度建设,建立完善制度70项;对3个单位给予党纪处分4人。\n")
    summary = {Region.summary: (0, text.index("\n"))}
    answer = {"outcomes": {"institutions": {"value": 70, "quote": "建立完善制度70项"},
                           "party_discipline": {"value": 4, "quote": "给予党纪处分4人"}}}
    extraction, errors = ground(answer, text, summary)
    assert extraction.record.outcomes.institutions == 70  # the summary names no 制度: stated next door
    assert extraction.record.outcomes.party_discipline is None  # the summary's own 党纪处分 is 12
    assert len(errors) == 1 and "outcomes.party_discipline" in errors[0]


@pytest.mark.parametrize(("stem", "path", "figure", "context", "next_to"), [
    ("b02_beiling_housing_bureau", "outcomes.petitions_closed", "35", "35件信访件已全部办结", True),
    ("b04_linjiang_water_dept", "outcomes.clues_closed", "21", "21件问题线索，均已办结", True),
    ("b11_linjiang_transport_soe", "plan.problems_rectified", "45", "48个具体问题已整改到位45个", True),
    ("b11_linjiang_transport_soe", "plan.problems_rectified", "48", "48个具体问题已整改到位45个", False),
    ("b11_linjiang_transport_soe", "plan.problems", "48", "48个具体问题已整改到位45个", True),
    ("a12_yunling_pref_mixed", "outcomes.party_discipline_breakdown.warning", "41", "党内警告41人", True),
    ("a12_yunling_pref_mixed", "outcomes.party_discipline_breakdown.warning", "26", "严重警告26人", False),
    ("a12_yunling_pref_mixed", "outcomes.party_discipline", "41", "党纪处分87人（党内警告41人", False),
    ("b07_linhe_district_multi", "outcomes.funds_returned", "62.37万元", "清退违规发放津补贴、奖金等款项62.37万元", True),
    ("b07_linhe_district_multi", "outcomes.funds_returned", "580余万元", "挽回经济损失580余万元", False),
    ("b12_fenglin_city_cut", "plan.measures", "95", "制定整改措施95条", True),
    ("b12_fenglin_city_cut", "plan.measures", "三", "形成问题、任务、责任\"三张清单\"", False),
    ("b12_fenglin_city_cut", "plan.problem_areas", "三", "梳理出三个方面22个问题", True),
    ("b12_fenglin_city_cut", "plan.problem_areas", "22", "梳理出三个方面22个问题", False),
    ("a06_qingshi_town_crossinsp", "team_number", "七", "市委第七提级交叉巡察组", True),
    ("a06_qingshi_town_crossinsp", "team_number", "830", "830日，市委第七提级交叉巡察组", False),
    ("a01_nanwan_district", "team_number", "五", "市委巡视五组", True),
])
def test_a_trigger_is_next_to_its_own_figure_only(stem: str, path: str, figure: str, context: str,
                                                  next_to: bool) -> None:
    from llm_extract.ground import trigger_next_to

    text = genre(stem)
    at = text.index(context) + context.index(figure)
    assert trigger_next_to(text, path, at, at + len(figure)) is next_to


def test_the_fields_label_is_asked_apart_from_its_synonyms() -> None:
    from llm_extract.ground import trigger_next_to

    text = genre("b04_linjiang_water_dept")  # 五方面17项问题56项具体问题: the 具体问题 count is the plan's
    at17, at56 = text.index("17项问题"), text.index("56项具体问题")
    assert trigger_next_to(text, "plan.problems", at17, at17 + 2) and trigger_next_to(text, "plan.problems", at56, at56 + 2)
    assert not trigger_next_to(text, "plan.problems", at17, at17 + 2, "具体问题")
    assert trigger_next_to(text, "plan.problems", at56, at56 + 2, "具体问题")
