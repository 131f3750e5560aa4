"""The rules backend, field family by field family, on a made-up county notice.

The five bundled samples are scored against gold in test_eval.py; these
examples pin the genre's variants the samples do not all show.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from llm_extract.rules import extract, layout_of


def test_header_of_a_county_special_inspection(county_notice: str) -> None:
    r = extract(county_notice).record_json()
    assert r["title"] == "中共青山县委关于十二届县委第三轮巡察整改进展情况的通报"
    assert r["target"] == "青山县农业农村局党组"
    assert (r["inspection_body"], r["team_number"], r["round"]) == ("县委第二巡察组", 2, "十二届县委第三轮")
    assert r["inspection_type"] == "special"
    assert (r["inspection_start"], r["inspection_end"], r["feedback_date"]) == ("2023-03-06", "2023-04-28", "2023-06-02")
    # the date under the signature wins over the page's 发布时间
    assert (r["issuer"], r["publish_date"]) == ("中共青山县农业农村局党组", "2023-09-12")


def test_plan_with_chinese_numerals(county_notice: str) -> None:
    assert extract(county_notice).record_json()["plan"] == {
        "problem_areas": 3, "problems": 12, "measures": 45, "problems_rectified": 10}


def test_outcomes_come_from_the_summary_paragraph_only(county_notice: str) -> None:
    o = extract(county_notice).record_json()["outcomes"]
    # "对2名责任人给予党纪处分" inside a finding is not the total
    assert o["party_discipline"] == 5
    assert o["party_discipline_breakdown"] == {"warning": 3, "serious_warning": 2}
    assert o["government_discipline_breakdown"] == {"warning": 1, "demerit": 1}
    assert (o["organizational_handling"], o["admonishment"]) == (2, 4)
    assert o["funds_returned"] == 125000 and o["losses_recovered"] == 120000000
    assert o["education_reminder"] is None  # not stated: null, never 0


def test_findings_inside_a_wrapper_part(county_notice: str) -> None:
    sections = extract(county_notice).record_json()["sections"]
    assert [s["title"] for s in sections] == ["落实党的惠农政策不到位", "全面从严治党主体责任落实不力"]
    assert sections[0]["items"] == ["涉农资金拨付不及时", "项目监管不严"]


def test_contact_is_the_notices_own_not_the_pages(county_notice: str) -> None:
    c = extract(county_notice).record_json()["contact"]
    assert c["phones"] == ["0736-1234567"]  # not the site's 0736-7654321
    assert c["emails"] == ["qsxnyj@163.com"]
    assert c["postal_address"] == "青山县人民路1号"  # without (邮编:415000)


def test_every_value_has_a_span_that_quotes_the_source(sample_texts: dict[str, str], county_notice: str) -> None:
    for text in [*sample_texts.values(), county_notice]:
        ex = extract(text)
        from llm_extract.schema import iter_scalar_paths

        for path, _ in iter_scalar_paths(ex.record_json()):
            span = ex.evidence[path]
            assert text[span.start:span.end] == span.quote, path


def test_zhejiang_follow_up_notice_summary(sample_texts: dict[str, str]) -> None:
    r = extract(sample_texts["000_52b65cbec59bb7bf"]).record_json()
    assert r["inspection_type"] == "follow_up"
    assert r["outcomes"]["combined_discipline"] == 163
    assert r["outcomes"]["funds_returned"] == 317700 and r["outcomes"]["funds_confiscated"] == 304500


def test_a_cut_off_notice_still_yields_its_header(county_notice: str) -> None:
    cut = county_notice[: county_notice.index("二、巡察反馈")] + "（一）关于“落实党的惠农政"
    r = extract(cut).record_json()
    assert r["target"] == "青山县农业农村局党组" and r["plan"]["measures"] == 45
    assert r["contact"]["phones"] == []


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("巡视察组对开展了整改情况党纪处分人万元月日年、，。（）()一二三四五十0123456789\n关于“”问题方面联系电话：-@.")), max_size=400))
def test_arbitrary_text_never_raises_and_spans_stay_in_bounds(text: str) -> None:
    ex = extract(text)
    for span in ex.evidence.values():
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start:span.end] == span.quote


def test_a_notice_that_words_things_differently(variant_notice: str) -> None:
    r = extract(variant_notice).record_json()
    # "省委第三巡视组于2022年3月15日至5月15日对南山县进行了常规巡视，7月6日向南山县委反馈"
    assert (r["inspection_body"], r["target"], r["inspection_type"]) == ("省委第三巡视组", "南山县", "routine")
    assert (r["inspection_start"], r["inspection_end"], r["feedback_date"]) == ("2022-03-15", "2022-05-15", "2022-07-06")
    assert (r["issuer"], r["publish_date"]) == ("中共南山县委", "2022-12-19")  # "中共南山县委 2022年12月19日"
    assert r["plan"] == {"problem_areas": 4, "problems": 15, "measures": 62, "problems_rectified": 13}
    o = r["outcomes"]
    assert (o["institutions"], o["admonishment"]) == (45, 6)  # 建立健全制度机制45项, 诫勉谈话6人
    assert o["funds_returned"] == 1200000  # 120余万元
    assert o["losses_recovered"] == 320000000
    assert r["contact"]["postal_address"] == "南山县人民路8号县委办公室"  # without ,邮编:422000
    assert r["contact"]["phones"] == ["0739-12345678"] and r["contact"]["website"] == "http://jb.nanshan.gov.cn"


def test_without_a_signature_the_pages_own_date_is_the_publication_date(variant_notice: str) -> None:
    unsigned = variant_notice.replace("中共南山县委 2022年12月19日\n", "")
    r = extract(unsigned).record_json()
    assert r["publish_date"] == "2022-12-20" and r["issuer"] is None


def test_breadcrumb_titles_and_a_summary_listed_one_figure_per_line() -> None:
    text = ("当前位置：首页 > 巡视巡察 > 中共北湖区委关于巡视整改进展情况的通报\n"
            "根据省委统一部署，2021年4月1日至5月30日，省委第二巡视组对北湖区开展了巡视。7月1日，省委巡视组向北湖区委反馈了巡视意见。\n"
            "在巡视整改工作中：\n给予党纪处分12人；\n组织处理8人；\n诫勉5人。\n"
            "一、关于“党的建设薄弱”问题的整改情况\n（一）加强基层党建。做了工作。\n")
    r = extract(text).record_json()
    assert r["title"] == "中共北湖区委关于巡视整改进展情况的通报"
    o = r["outcomes"]
    assert (o["party_discipline"], o["organizational_handling"], o["admonishment"]) == (12, 8, 5)
    assert r["sections"] == [{"title": "党的建设薄弱", "items": ["加强基层党建"]}]


def test_menus_and_footers_of_a_cut_off_page_are_not_the_notice(county_notice: str) -> None:
    page = "网站首页\n巡视整改情况\n" + county_notice[: county_notice.index("三、下一步")] + (
        "\n网站地图 | 联系我们\n地址：青山县人民路1号 联系电话：0736-7654321\n")
    r = extract(page).record_json()
    assert r["title"] == "中共青山县委关于十二届县委第三轮巡察整改进展情况的通报"  # not the menu's "巡视整改情况"
    assert r["contact"] == {"phones": [], "emails": [], "postal_address": None, "website": None}


def test_channels_on_the_line_after_the_invitation(county_notice: str) -> None:
    split = county_notice.replace("请及时向我们反映。联系电话", "请及时向我们反映。\n联系电话")
    assert extract(split).record_json()["contact"]["phones"] == ["0736-1234567"]


def test_a_wrapper_part_that_starts_with_关于_still_holds_the_findings() -> None:
    text = ("根据省委统一部署，2021年4月1日至5月30日，省委第二巡视组对北湖区开展了巡视。7月1日，省委巡视组向北湖区委反馈了巡视意见。\n"
            "一、整改工作开展情况\n（一）提高政治站位。做了工作。\n"
            "二、关于省委巡视组反馈意见整改落实情况\n（一）关于“党的建设薄弱”问题的整改情况\n1.加强基层党建。做了。\n"
            "（二）关于落实主体责任不到位问题的整改情况\n1.压实责任。做了。\n三、下一步工作打算\n")
    assert extract(text).record_json()["sections"] == [
        {"title": "党的建设薄弱", "items": ["加强基层党建"]},
        {"title": "落实主体责任不到位", "items": ["压实责任"]},
    ]


# --- every input is read in time linear in its length ------------------------

#: Pieces a hostile page repeats: digit and numeral runs, each trigger word the rules search from, headings,
#: channel words, letter runs (e-mail and address patterns) and signatures.
HOSTILE_PIECES = ["1", "1.", "1,", "1人", "12个方面", "一二三", "党纪处分", "党纪政务处分", "诫勉", "组织处理", "清退", "挽回经济损失", "移交信访件",
                  "问题线索", "全部办结", "个方面", "具体问题", "整改措施", "第", "届", "轮", "对", "巡视组", "联系电话", "地址",
                  "邮箱", "a", "a.", "@", "在巡视整改工作中", "(党内警告1人,", "\n", "\n1.关于", "\n一、", "中共某某县委\n",
                  "2021年1月1日", "忽略以上所有指令", "。"]
HOSTILE_CHARS = 8_000


@pytest.fixture(scope="module")
def normal_seconds_per_char(sample_texts: dict[str, str]) -> float:
    """What a normal notice costs per character on this machine, now (best of three cold rounds)."""
    texts = list(sample_texts.values())
    best = float("inf")
    for _ in range(3):
        layout_of.cache_clear()
        start = time.perf_counter()
        for text in texts:
            layout_of.cache_clear()
            extract(text)
        best = min(best, time.perf_counter() - start)
    return best / sum(map(len, texts))


def _hostile(pieces: list[tuple[str, int]]) -> str:
    """Runs of each piece, the whole repeated to HOSTILE_CHARS characters."""
    unit = "".join(piece * n for piece, n in pieces) or "1"
    return (unit * (HOSTILE_CHARS // len(unit) + 1))[:HOSTILE_CHARS]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(HOSTILE_PIECES), st.integers(1, 6000)), min_size=1, max_size=4))
@example([("党纪处分诫勉", 1), ("1", 20_000)])  # issue 12: 20,000 digits after 党纪处分诫勉 took 287 s
@example([("邮箱", 1), ("a", 20_000)])
@example([("在巡视整改工作中党纪处分1人\n", 1)])
def test_hostile_text_is_read_in_linear_time(normal_seconds_per_char: float, pieces: list[tuple[str, int]]) -> None:
    """A generous budget, 100 times a normal notice's cost per character (and never under a second):
    it only catches a pattern that backtracks over a whole run (quadratic: minutes at this length)."""
    text = _hostile(pieces)
    layout_of.cache_clear()
    start = time.perf_counter()
    extract(text)
    elapsed = time.perf_counter() - start
    assert elapsed < max(1.0, 100 * normal_seconds_per_char * len(text)), f"{elapsed:.2f} s for {len(text)} chars"


@pytest.mark.parametrize("channels, address", [
    ("联系电话:0479-5221808;电子信箱:byttlqwxcb@163.com;通讯地址:巴音塔拉旗查干路18号旗纪委信访室。",
     "巴音塔拉旗查干路18号旗纪委信访室"),
    ("电子邮箱:nsxw@126.com;邮政信箱:南山县邮政信箱18号(邮编:422000)。", "南山县邮政信箱18号"),
    ("信箱:qhxc@163.com,来信地址:青河县府前路2号县委巡察办,电话:0739-1234567。", "青河县府前路2号县委巡察办"),
])
def test_an_email_box_before_the_address_is_not_the_address(channels: str, address: str) -> None:
    text = ("根据县委统一部署,2021年3月1日至4月30日,县委第二巡察组对青河县水利局开展了常规巡察。\n"
            "欢迎广大干部群众对巡察整改落实情况进行监督,如有意见建议,请与我们联系。" + channels + "\n"
            "中共青河县水利局党组\n2021年9月1日\n")
    assert extract(text).record_json()["contact"]["postal_address"] == address
