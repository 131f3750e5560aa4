"""The header grammars one by one (team name, opening, unit, title, round, dates), then whole headers.

Every text here is made up for the test, in the genre's wording; each case
is one variant SPEC.md's "Readings for real notices" fixes.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings, strategies as st

from llm_extract.rules import extract, layout_of
from llm_extract.rules.header import (
    PLURAL_TEAMS_RE, ROUND_RE, TEAM_RE, clean_unit, find_page_date, find_title, is_several_units, last_team,
    subject_unit, team_at, type_of,
)
from llm_extract.text import fold


def header(text: str) -> dict:
    """The header fields the rules read in ``text``."""
    record = extract(text).record_json()
    return {k: v for k, v in record.items() if k not in {"plan", "outcomes", "sections", "contact"}}


# --- team names ------------------------------------------------------------------


@pytest.mark.parametrize("sentence, body, number", [
    ("省委第九巡视组对东阳市开展了巡视", "省委第九巡视组", 9),
    ("市委巡视五组于2021年3月1日至4月30日对我区开展了常规巡视", "市委巡视五组", 5),
    ("十三届市委第二巡察组对市住建局开展了常规巡察", "十三届市委第二巡察组", 2),
    ("区委营商环境专项巡察组对区发改局开展了专项巡察", "区委营商环境专项巡察组", None),
    ("市委第七提级交叉巡察组对青石镇开展了提级交叉巡察", "市委第七提级交叉巡察组", 7),
    ("市委第一联动巡察组对我单位开展了联动巡察", "市委第一联动巡察组", 1),
    ("县委第三轮巡察第一巡察组对县水利局开展了巡察", "县委第三轮巡察第一巡察组", 1),
    ("自治区党委第12巡视组对某市开展了巡视", "自治区党委第12巡视组", 12),
    ("中央第三巡视组对某省开展了巡视", "中央第三巡视组", 3),
])
def test_a_team_name_as_written_with_its_ordinal(sentence: str, body: str, number: int | None) -> None:
    team = last_team(sentence, 0, sentence.index("对"))
    assert team is not None
    assert (sentence[team.start:team.end], team.number) == (body, number)


@pytest.mark.parametrize("text", [
    "根据市委巡视工作部署要求", "县委巡察办组织", "按照县委统一部署县委巡察三组",  # the last: only the second is a team
])
def test_words_about_inspection_work_are_not_a_team(text: str) -> None:
    found = [m.group("body") for m in TEAM_RE.finditer(text)]
    assert found in ([], ["县委巡察三组"])


@pytest.mark.parametrize("text", ["区委4个巡察组", "市委第一、第二、第三、第五巡察组", "县委第一至第四巡察组", "各巡视组"])
def test_several_teams_are_not_one_team(text: str) -> None:
    assert PLURAL_TEAMS_RE.search(text)
    assert [team_at(m).number for m in TEAM_RE.finditer(text)] == []  # never "第五巡察组" alone


# --- the inspected unit --------------------------------------------------------------


@pytest.mark.parametrize("raw, name", [
    ("南湖市住房和城乡建设局(简称市住建局)", "南湖市住房和城乡建设局"),
    ("清河县青石镇(原青石乡)", "清河县青石镇"),
    ("南湖市公共资源交易中心(以下简称“交易中心”)", "南湖市公共资源交易中心"),
    ("滨江区发展和改革局(含区粮食和物资储备中心)", "滨江区发展和改革局"),
    ("南湖市委党校(南湖市行政学院)", "南湖市委党校"),
    ("  东阳市 ", "东阳市"),
])
def test_bracketed_additions_are_not_part_of_a_name(raw: str, name: str) -> None:
    value, start, end = clean_unit(raw, 0, len(raw))
    assert value == name == raw[start:end]


@pytest.mark.parametrize("target, several", [
    ("区发展和改革局、区教育局、城南街道等40家单位", True), ("县教育体育局等14个单位党组织", True),
    ("东阳市", False), ("临江省交通投资集团有限公司党委", False),
])
def test_a_list_of_units_is_several(target: str, several: bool) -> None:
    assert is_several_units(target) is several


@pytest.mark.parametrize("subject, unit", [
    ("中共南湖市委", "南湖市"), ("中共清河县市场监督管理局党组", "清河县市场监督管理局"),
    ("中共金沙县河口镇委员会", "金沙县河口镇"), ("南湾新区", "南湾新区"),
    ("中共南湖市公共资源交易中心总支部委员会", "南湖市公共资源交易中心"),
])
def test_the_unit_a_party_body_stands_for(subject: str, unit: str) -> None:
    assert subject_unit(subject) == unit


OPENING = "根据省委统一部署，2021年4月1日至5月30日，省委第二巡视组对{unit}开展了{kind}巡视。7月1日，省委第二巡视组向{unit}党委反馈了巡视意见。\n"


def test_我区_is_the_unit_the_titles_subject_names() -> None:
    text = ("滨海新区关于市委巡视整改进展情况的通报\n"
            "根据市委统一部署，2021年4月1日至5月30日，市委巡视三组对我区开展了常规巡视，并于2021年7月2日反馈了巡视意见。\n")
    h = header(text)
    assert (h["target"], h["issuer"], h["inspection_body"], h["team_number"]) == ("滨海新区", "滨海新区", "市委巡视三组", 3)
    assert (h["inspection_start"], h["inspection_end"], h["feedback_date"]) == ("2021-04-01", "2021-05-30", "2021-07-02")
    confidence = extract(text).confidence
    assert confidence["target"] == confidence["issuer"] == "weak"  # read through the title, not the opening itself
    assert confidence["inspection_body"] == "strong"


def test_我局_is_the_titles_subject_without_中共_and_党组() -> None:
    text = "中共北海县交通运输局党组关于县委巡察整改情况的通报\n" + OPENING.format(unit="我局", kind="常规")
    assert header(text)["target"] == "北海县交通运输局"


def test_我市_does_not_take_a_subject_that_is_not_a_city() -> None:
    text = "中共北海市委巡察工作领导小组关于巡察整改情况的通报\n" + OPENING.format(unit="我市", kind="")
    assert header(text)["target"] is None  # the subject is a leading group, not the city: null, not a guess


def test_我单位_is_the_unit_the_same_paragraph_defines() -> None:
    text = ("关于巡察整改进展情况的通报\n"
            "北海市不动产登记中心（以下简称“登记中心”）是市自然资源局所属事业单位。按照市委统一部署，"
            "2024年3月4日至4月26日，市委第三巡察组对我单位开展了巡察，6月5日反馈了巡察意见。\n")
    h = header(text)
    assert h["target"] == "北海市不动产登记中心" and h["inspection_type"] == "unspecified"


def test_a_pinyin_gloss_and_traditional_characters() -> None:
    text = ("中共雲海省衛生健康委員會黨組關於省委專項巡視整改進展情況的通報\n"
            "根據省委統一部署，2019年10月14日至12月13日，省委第十巡視組對雲海省衛(wèi)生健康委員會開展了專項巡視。"
            "1月9日，省委第十巡視組向委黨組反饋了巡視意見。\n")
    h = header(text)
    assert h["target"] == "雲海省衛生健康委員會"  # as written, without the gloss
    assert (h["inspection_body"], h["team_number"], h["inspection_type"]) == ("省委第十巡視組", 10, "special")
    assert h["feedback_date"] == "2020-01-09"  # year-less, after 2019-12-13: the next year


# --- the opening, wherever it stands --------------------------------------------------


def test_an_opening_below_a_preface_and_a_part_heading() -> None:
    text = ("南山区关于市委巡视整改进展情况的通报\n"
            "根据市委巡视工作部署要求，现将巡视整改进展情况予以公布。\n"
            "一、总体情况\n"
            "按照市委统一部署，市委巡视二组于2022年3月1日至4月30日，对我区开展了常规巡视，并于2022年6月22日反馈了巡视意见。"
            "区委对反馈的4个方面20个具体问题逐项整改。\n")
    h = header(text)
    assert (h["title"], h["target"], h["inspection_body"], h["team_number"]) == (
        "南山区关于市委巡视整改进展情况的通报", "南山区", "市委巡视二组", 2)
    assert (h["inspection_type"], h["inspection_start"], h["inspection_end"], h["feedback_date"]) == (
        "routine", "2022-03-01", "2022-04-30", "2022-06-22")


def test_one_report_for_several_units_has_no_target_team_or_mixed_type() -> None:
    text = ("中共北海区委巡察工作领导小组关于十二届区委第三轮第二批巡察整改情况的通报\n"
            "2023年4月至6月，区委第一、第二巡察组对区财政局、区民政局等8个单位党组织开展了常规巡察，"
            "对2个街道开展了巡察“回头看”。7月中旬，各巡察组分别反馈了巡察意见。\n")
    h = header(text)
    assert (h["target"], h["inspection_body"], h["team_number"], h["inspection_type"]) == (None, None, None, None)
    assert h["round"] == "十二届区委第三轮第二批"
    assert (h["inspection_start"], h["inspection_end"], h["feedback_date"]) == (None, None, None)  # no day: no date


@pytest.mark.parametrize("words, kind", [
    ("常规", "routine"), ("专项", "special"), ("机动", "mobile"), ("“回头看”", "follow_up"),
    ("提级交叉", "unspecified"), ("联动", "unspecified"), ("意识形态工作专题", "unspecified"), ("", "unspecified"),
    ("常规和选人用人专项", None),
])
def test_types_are_常规_专项_回头看_机动_only(words: str, kind: str | None) -> None:
    assert type_of(words) == kind


def test_two_inspections_of_different_types_in_one_opening_have_no_type() -> None:
    text = OPENING.format(unit="北海州", kind="常规").replace("巡视。", "巡视，同步开展了脱贫攻坚专项巡视。", 1)
    assert header(text)["inspection_type"] is None


# --- titles ------------------------------------------------------------------------------


def titles(text: str) -> str | None:
    layout = layout_of(text)
    found = find_title(layout, layout.folded.index("根据"))
    return found[2] if found else None


@pytest.mark.parametrize("head, title", [
    ("中共北海县委关于省委巡视整改进展情况的通报\n", "中共北海县委关于省委巡视整改进展情况的通报"),
    ("北海县关于省委巡视整改进展情况的通报\n", "北海县关于省委巡视整改进展情况的通报"),
    ("中共北海县委关于省委巡视“回头看”\n整改进展情况的通报\n", "中共北海县委关于省委巡视“回头看”整改进展情况的通报"),
    ("中共北海县委\n关于省委巡视整改进展情况的通报\n", "中共北海县委关于省委巡视整改进展情况的通报"),
    ("中共北海县委关于省委巡视整改情况的通报　2023-11-03\n", "中共北海县委关于省委巡视整改情况的通报"),
    ("中共北海县委关于巡察整改情况的通报_北海县人民政府\n网站首页\n中共北海县委关于巡察整改情况的通报\n",
     "中共北海县委关于巡察整改情况的通报"),
    ("首页 > 巡视巡察 > 中共北海县委关于巡视整改情况的通报\n", "中共北海县委关于巡视整改情况的通报"),
    ("十届市委第二轮巡察整改进展情况全部公布\n发布时间：2025-01-10\n", None),  # a collection page's headline
    ("网站首页\n巡视整改情况\n", None),  # a menu entry
])
def test_the_headline_nearest_before_the_opening(head: str, title: str | None) -> None:
    assert titles(head + OPENING.format(unit="北海县", kind="")) == title


def test_a_collection_pages_notice_title_under_its_headline() -> None:
    text = ("十届市委第二轮巡察整改进展情况全部公布\n按照巡察工作有关要求，现集中刊发如下。\n"
            "中共北海镇委员会关于十届市委第二轮巡察整改进展情况的通报\n" + OPENING.format(unit="北海镇", kind=""))
    h = header(text)
    assert (h["title"], h["issuer"], h["round"]) == (
        "中共北海镇委员会关于十届市委第二轮巡察整改进展情况的通报", "中共北海镇委员会", "十届市委第二轮")


# --- round ------------------------------------------------------------------------------


@pytest.mark.parametrize("text, found", [
    ("关于十四届省委第十轮巡视整改", "十四届省委第十轮"), ("十二届市委第三轮第一批巡察", "十二届市委第三轮第一批"),
    ("县委第三轮巡察", "县委第三轮"),
])
def test_a_round_as_written(text: str, found: str) -> None:
    assert ROUND_RE.search(text).group(0) == found


def test_a_round_named_deep_in_the_body_is_not_this_notices() -> None:
    text = (OPENING.format(unit="北海县", kind="") + "一、整改工作基本情况\n"
            "县委认真研究十二届省委第二轮巡视情况汇报，举一反三。\n")
    assert header(text)["round"] is None


def test_a_round_in_the_opening_paragraph_is_this_notices() -> None:
    text = OPENING.format(unit="北海县", kind="").replace("根据省委统一部署", "根据十四届省委第二轮巡视工作统一部署")
    assert header(text)["round"] == "十四届省委第二轮"


# --- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize("line, value", [
    ("发布日期: 2022-08-04  来源:区委办公室", date(2022, 8, 4)),
    ("时间:2022-09-21 17:21  来源:县市场监管局", date(2022, 9, 21)),
    ("更新时间：2021-03-02 16:45　　来源：厅机关党委", date(2021, 3, 2)),
    ("26.08.2016 22:04　　作者：院办公室", date(2016, 8, 26)),
    ("2022-12-20 14:30 来源：市纪委监委", date(2022, 12, 20)),
    ("发布时间：2019年9月3日", date(2019, 9, 3)),
    ("【发布日期】2016年9月12日　【来源】塔源市纪委　【字体：大 中 小】", date(2016, 9, 12)),
    ("[发布时间] 2020-05-06 10:00  [来源] 县委办", date(2020, 5, 6)),
    ("【日期】2019年3月4日", date(2019, 3, 4)),
    ("今天是2019年10月31日 星期四", None),  # a site clock
    ("索引号：115326000150012345/2025-00312", None),
])
def test_the_pages_own_date_line(line: str, value: date | None) -> None:
    text = "北海县人民政府\n" + line + "\n" + OPENING.format(unit="北海县", kind="")
    layout = layout_of(text)
    found = find_page_date(layout, (layout.folded.index("根据"),) * 2, len(text))
    assert (found[0] if found else None) == value
    if found:
        assert fold(text[found[1]:found[2]]).startswith(str(value.year)) or "." in text[found[1]:found[2]]


def test_a_site_clock_is_never_the_publication_date() -> None:
    text = "今天是2021年9月5日 星期日\n发布时间:2021-09-03 10:21\n" + OPENING.format(unit="北海县", kind="")
    h = header(text)
    assert h["publish_date"] == "2021-09-03" and extract(text).confidence["publish_date"] == "weak"
    assert header("今天是2021年9月5日 星期日\n" + OPENING.format(unit="北海县", kind=""))["publish_date"] is None


def test_the_signature_date_wins_over_the_pages() -> None:
    text = ("发布时间：2021-09-29 10:30:12\n" + OPENING.format(unit="北海县", kind="")
            + "欢迎监督。联系电话：0710-1234567。\n中共北海县委\n2021年9月28日\n")
    h = header(text)
    assert (h["issuer"], h["publish_date"]) == ("中共北海县委", "2021-09-28")


@pytest.mark.parametrize("period, start, end", [
    ("2024717日至830日", "2024-07-17", "2024-08-30"), ("202131日至430日", "2021-03-01", "2021-04-30"),
    ("2021年3月至4月", None, None),
])
def test_opening_dates_that_lost_年_and_月_or_have_no_day(period: str, start: str | None, end: str | None) -> None:
    text = f"根据市委统一部署，{period}，市委第二巡察组对北海镇开展了巡察。1018日，市委第二巡察组反馈了巡察意见。\n"
    h = header(text)
    assert (h["inspection_start"], h["inspection_end"]) == (start, end)


def test_a_leading_group_signs_a_notice() -> None:
    text = (OPENING.format(unit="北海县", kind="") + "欢迎监督。联系电话：0710-1234567。\n"
            "中共北海市委巡察工作领导小组办公室\n2022年12月6日\n")
    assert header(text)["issuer"] == "中共北海市委巡察工作领导小组办公室"


# --- linear in text length ---------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet="市委巡视察第五组对我区开展了常规至2021年3月日,。()（）简称wèi\n", max_size=400))
def test_any_text_of_the_genres_characters_reads_without_error(text: str) -> None:
    h = header(text)
    assert h["team_number"] is None or h["team_number"] >= 0


# --- wordings real pages add ----------------------------------------------------------------


def test_我市_under_a_signature_when_the_page_has_no_title() -> None:
    text = ("2021年4月1日至5月30日，省委第二巡视组对我市进行了巡视。7月1日，省委巡视组向市委反馈了巡视意见。\n"
            "欢迎监督。联系电话：0710-1234567。\n中共北海市委\n2021年9月28日\n")
    h = header(text)
    assert (h["target"], h["issuer"]) == ("北海市", "中共北海市委")


def test_a_team_that_moved_in_before_a_comma() -> None:
    text = "根据省委统一部署，省委第一巡视组于2021年4月1日至5月30日进驻北海县，开展了常规巡视。7月1日反馈了巡视意见。\n"
    h = header(text)
    assert (h["target"], h["inspection_body"], h["inspection_type"], h["feedback_date"]) == (
        "北海县", "省委第一巡视组", "routine", "2021-07-01")


def test_a_feedback_meeting_dated_after_the_word() -> None:
    text = OPENING.format(unit="北海县", kind="").replace("7月1日，省委第二巡视组向北海县党委反馈了巡视意见。",
                                                        "巡视反馈会于7月1日召开。")
    assert header(text)["feedback_date"] == "2021-07-01"


def test_a_反馈_far_below_the_opening_gives_no_feedback_date() -> None:
    text = (OPENING.format(unit="北海县", kind="").replace("7月1日，省委第二巡视组向北海县党委反馈了巡视意见。", "")
            + "县委高度重视。成立领导小组。召开常委会。\n2021年8月3日，县委对反馈问题逐项整改。\n")
    assert header(text)["feedback_date"] is None


def test_all_the_counties_of_a_city_are_several_units() -> None:
    text = "根据省委统一部署，2021年4月1日至5月30日，省委第二巡视组对全市13个县（市、区）开展了巡视。\n"
    h = header(text)
    assert (h["target"], h["inspection_body"], h["team_number"]) == (None, None, None)  # SPEC: one report, several units


@pytest.mark.parametrize("head, title", [
    ("【巡视整改】中共北海县委关于省委巡视整改情况的通报\n", "中共北海县委关于省委巡视整改情况的通报"),
    ("十届市委第二轮巡察整改情况通报汇总\n", None),
])
def test_a_headline_after_a_tag_and_a_word_that_does_not_end_one(head: str, title: str | None) -> None:
    assert titles(head + OPENING.format(unit="北海县", kind="")) == title


def test_types_of_clauses_joined_by_semicolons_count_together() -> None:
    text = ("根据区委统一部署，2021年11月8日至12月20日，区委组建4个巡察组对区民政局等4家单位开展常规巡察；"
            "对区教育局直属的32家事业单位开展教育领域专项巡察。2022年1月27日，各巡察组反馈了巡察情况。\n")
    h = header(text)
    assert (h["target"], h["inspection_body"], h["inspection_type"]) == (None, None, None)
    assert (h["inspection_start"], h["inspection_end"]) == ("2021-11-08", "2021-12-20")


def test_a_signature_dated_in_chinese_numerals() -> None:
    text = (OPENING.format(unit="北海县", kind="") + "欢迎监督。联系电话：0710-1234567。\n"
            "中共北海县委\n二〇二一年九月二十八日\n")
    assert header(text)["publish_date"] == "2021-09-28"
    one_line = text.replace("中共北海县委\n", "中共北海县委 ")
    assert (header(one_line)["issuer"], header(one_line)["publish_date"]) == ("中共北海县委", "2021-09-28")


def test_a_clock_with_its_weekday_is_not_the_pages_date() -> None:
    text = "北海县人民政府\n2021年9月5日 星期日\n" + OPENING.format(unit="北海县", kind="")
    assert header(text)["publish_date"] is None


def test_a_type_only_the_title_names() -> None:
    text = "中共北海县委关于省委机动巡视整改情况的通报\n" + OPENING.format(unit="北海县", kind="")
    assert header(text)["inspection_type"] == "mobile"
    assert extract(text).confidence["inspection_type"] == "weak"
    both = "中共北海县委关于省委常规巡视和专项巡视整改情况的通报\n" + OPENING.format(unit="北海县", kind="")
    assert header(both)["inspection_type"] == "unspecified"


def test_a_date_on_an_entry_of_a_list_of_pages_is_not_the_pages_date() -> None:
    text = ("2021-08-30 中共南海县委关于巡视整改情况的通报\n中共北海县委关于巡视整改情况的通报\n"
            + OPENING.format(unit="北海县", kind=""))
    assert header(text)["publish_date"] is None


def test_a_news_pages_date_line_above_the_notices_title() -> None:
    text = ("北海市公布巡视整改进展情况\n2021年09月02日08:47  来源：北海日报\n中共北海市委关于巡视整改情况的通报\n"
            + OPENING.format(unit="北海市", kind=""))
    assert header(text)["publish_date"] == "2021-09-02"


def test_glosses_a_converter_site_left_around_the_unit() -> None:
    text = ("北海區關於市委巡察整改情況的通報\n"
            "2021年4月1日至5月30日，市委第二巡察組對(duì)我區(qū)開展了常規(guī)巡察，7月1日反饋了巡察意見。\n")
    h = header(text)
    assert (h["target"], h["inspection_type"]) == ("北海區", "routine")
    plain = text.replace("我區(qū)", "北海區衛(wèi)生健康局")
    assert header(plain)["target"] == "北海區衛生健康局"


def test_a_signature_over_two_lines() -> None:
    text = (OPENING.format(unit="北海县", kind="") + "欢迎监督。联系电话：0710-1234567。\n"
            "中共北海县委巡察工作\n领导小组办公室\n2021年9月28日\n")
    h = header(text)
    assert (h["issuer"], h["publish_date"]) == ("中共北海县委巡察工作领导小组办公室", "2021-09-28")


@pytest.mark.parametrize("period, start, end", [
    ("2021年4月1日起至5月30日", "2021-04-01", "2021-05-30"), ("2021年4月1日至30日", "2021-04-01", "2021-04-30"),
    ("2021年4月8日至12日", "2021-04-08", "2021-04-12"), ("2020810日至929日", "2020-08-10", "2020-09-29"),
])
def test_an_on_site_period_written_loosely(period: str, start: str, end: str) -> None:
    text = f"根据省委统一部署，{period}，省委第二巡视组对北海县开展了巡视。\n"
    assert (header(text)["inspection_start"], header(text)["inspection_end"]) == (start, end)


def test_a_headline_in_a_text_scraped_without_line_breaks() -> None:
    text = "中共北海县委关于巡视整改进展情况的通报 发布时间：2021-09-02 " + OPENING.format(unit="北海县", kind="").strip()
    h = header(text)
    assert (h["title"], h["issuer"], h["publish_date"]) == (
        "中共北海县委关于巡视整改进展情况的通报", "中共北海县委", "2021-09-02")


def test_a_follow_ups_opening_after_the_first_inspection_it_recalls() -> None:
    text = ("中共北海县委关于巡视“回头看”整改进展情况的通报\n"
            "2016年，省委第三巡视组对我县开展了巡视。根据省委统一部署，2018年10月16日至12月20日，"
            "省委第五巡视组对我县开展了巡视“回头看”，2019年1月25日向县委反馈了意见。\n")
    h = header(text)
    assert (h["inspection_body"], h["team_number"], h["inspection_type"]) == ("省委第五巡视组", 5, "follow_up")
    assert (h["inspection_start"], h["inspection_end"], h["feedback_date"]) == ("2018-10-16", "2018-12-20", "2019-01-25")


def test_a_later_mention_of_the_team_is_not_the_opening() -> None:
    text = OPENING.format(unit="北海县", kind="常规").replace(
        "7月1日，", "省委第二巡视组对北海县开展巡视期间移交问题线索5件。7月1日，")
    assert header(text)["inspection_type"] == "routine"


def test_a_page_scraped_without_line_breaks() -> None:
    text = ("首页 > 巡视巡察 > 整改公开 中共北海县委关于巡视整改进展情况的通报 发布时间：2021-09-30 来源：县委办 "
            + OPENING.format(unit="北海县", kind="").strip()
            + " 欢迎监督。联系电话：0710-1234567。 中共北海县委 2021年9月28日 【打印本页】 版权所有：北海县人民政府")
    h = header(text)
    assert (h["title"], h["issuer"], h["publish_date"]) == (
        "中共北海县委关于巡视整改进展情况的通报", "中共北海县委", "2021-09-28")
    assert extract(text).confidence["issuer"] == "strong"


def test_an_entry_of_a_list_of_pages_is_not_the_title() -> None:
    assert titles("热点：2023-12-30 中共南海县委关于巡察整改情况的通报\n" + OPENING.format(unit="北海县", kind="")) is None


def test_a_round_of_something_else_is_not_the_round() -> None:
    text = OPENING.format(unit="北海县", kind="").replace("\n", "县委随即开展第二轮整改，现将整改情况予以公布。\n")
    assert header(text)["round"] is None
    assert header("中共北海县委关于县委第二轮巡察整改情况的通报\n" + OPENING.format(unit="北海县", kind=""))["round"] == "县委第二轮"


def test_我局党组_is_the_titles_party_body() -> None:
    text = "中共北海县交通运输局党组关于县委巡察整改情况的通报\n" + OPENING.format(unit="我局党组", kind="常规")
    assert header(text)["target"] == "北海县交通运输局党组"
    text = "中共北海县委关于县委巡察整改情况的通报\n" + OPENING.format(unit="我局党组", kind="常规")
    assert header(text)["target"] is None  # the subject is no 局党组: null, not a guess


def test_a_page_a_converter_site_glossed_throughout() -> None:
    text = ("中共北海區委關(guān)於市委巡察整改情況的通報(bào)\n"
            "2021年4月1日至5月30日，市委第二巡察組對(duì)北海區衛(wèi)生健康局進(jìn)行(xíng)了常規(guī)巡察，"
            "7月1日向局黨組反饋了巡察意見。\n")
    h = header(text)
    assert (h["title"], h["issuer"]) == ("中共北海區委關於市委巡察整改情況的通報", "中共北海區委")
    assert (h["target"], h["inspection_body"], h["inspection_type"]) == ("北海區衛生健康局", "市委第二巡察組", "routine")
    assert (h["inspection_start"], h["feedback_date"]) == ("2021-04-01", "2021-07-01")
    evidence = extract(text).evidence
    assert evidence["target"].quote == "北海區衛(wèi)生健康局"  # the span covers the text as read


def test_a_date_opening_a_sentence_is_not_the_pages_date() -> None:
    text = (OPENING.format(unit="北海县", kind="") + "一、整改工作基本情况\n"
            "2021年7月5日，县委召开常委会研究整改工作。\n")  # cut before the signature
    assert header(text)["publish_date"] is None
    no_opening = "北海县巡视整改工作动态\n2021年7月5日，县委召开常委会研究巡视整改工作。\n"
    assert header(no_opening)["publish_date"] is None
