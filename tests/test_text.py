"""Numerals, money and dates as notices write them."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from llm_extract.text import (CN_DIGITS, chinese_integer, fold, parse_date, parse_int, parse_money, parse_page_date,
                              prepare)


@pytest.mark.parametrize("raw, value", [
    ("四", 4), ("十四", 14), ("一百一十六", 116), ("两", 2), ("26", 26), ("1,234", 1234), ("２６", 26),
])
def test_counts_in_arabic_or_chinese(raw: str, value: int) -> None:
    assert parse_int(raw) == value


@pytest.mark.parametrize("raw", ["", "abc", "1.5", "三点五"])
def test_what_is_not_a_count_is_none(raw: str) -> None:
    assert parse_int(raw) is None


@pytest.mark.parametrize("number, unit, yuan", [
    ("31.77", "万元", 317700), ("1.56", "亿元", 156000000), ("258", "万元", 2580000), ("3000", "元", 3000),
    ("30.45", "万元", 304500), ("0.01", "元", 0.01),
])
def test_money_to_yuan(number: str, unit: str, yuan: float) -> None:
    assert parse_money(number, unit) == yuan


@given(st.integers(min_value=0, max_value=10**7), st.integers(min_value=0, max_value=99))
def test_wan_yuan_is_exact_for_any_two_decimals(whole: int, cents: int) -> None:
    # 31.77万元 must be 317700, not 317699.99999: Decimal, not float
    assert parse_money(f"{whole}.{cents:02d}", "万元") == whole * 10_000 + cents * 100


@given(st.integers(min_value=0, max_value=99_999_999))
def test_chinese_numerals_round_trip(n: int) -> None:
    import cn2an

    assert parse_int(cn2an.an2cn(n)) == n


def test_standard_chinese_numerals_read_as_cn2an_reads_them() -> None:
    """Every string of up to three numeral characters the own reader accepts, cn2an reads the same.

    (Checked once over every string of up to five characters; three keep the test quick.)
    """
    import cn2an

    def cn2an_reads(s: str) -> int | None:
        try:
            return cn2an.cn2an(s, "smart")
        except ValueError:
            return None

    alphabet = CN_DIGITS.replace("两", "")
    accepted = 0
    for k in (1, 2, 3):
        for chars in itertools.product(alphabet, repeat=k):
            s = "".join(chars)
            value = chinese_integer(s)
            if value is not None:
                accepted += 1
                assert cn2an_reads(s) == value, s
    assert accepted > 300  # 一 … 九百九十, 十万, 三千万, …: not a reader that refuses everything


@pytest.mark.parametrize("raw, value", [("一百一十六", 116), ("十二", 12), ("三千零五", 3005), ("一亿零五百万", 105_000_000),
                                        ("壹佰贰拾", 120), ("零", 0)])
def test_standard_forms_are_read_without_cn2an(raw: str, value: int) -> None:
    assert chinese_integer(raw) == value


@pytest.mark.parametrize("raw, value", [("一百五", 150), ("一万五", 15000), ("三千二", 3200)])
def test_loose_spoken_forms_still_read_through_cn2an(raw: str, value: int) -> None:
    assert chinese_integer(raw) is None
    assert parse_int(raw) == value


def test_reading_standard_numerals_does_not_import_cn2an() -> None:
    """A worker process reads 二十三 and 一百零五 without paying cn2an's 0.13 s import."""
    code = ("import sys; from llm_extract.text import parse_int; "
            "assert parse_int('一百零五') == 105 and parse_int('二十三') == 23; print('cn2an' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_full_dates_and_dates_that_take_the_preceding_year() -> None:
    assert parse_date("2022年2月28日") == date(2022, 2, 28)
    assert parse_date("3月31日", anchor=date(2022, 2, 28)) == date(2022, 3, 31)
    # moved forward a year when it would fall before the date it follows
    assert parse_date("1月13日", anchor=date(2022, 11, 14)) == date(2023, 1, 13)
    assert parse_date("5月9日") is None  # no year and nothing to take it from


def test_dates_that_lost_their_year_and_month_characters() -> None:
    # one sample reads 2020810日至929日 for 2020年8月10日至9月29日
    start = parse_date("2020810日")
    assert start == date(2020, 8, 10)
    assert parse_date("929日", anchor=start) == date(2020, 9, 29)
    assert parse_date("20201027日") == date(2020, 10, 27)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)), st.integers(min_value=0, max_value=300))
def test_a_yearless_date_is_never_before_its_anchor(anchor: date, days: int) -> None:
    later = anchor + timedelta(days=days)
    assert parse_date(f"{later.month}月{later.day}日", anchor=anchor) == later


@given(st.text())
def test_fold_keeps_length_so_offsets_stay_valid(text: str) -> None:
    assert len(fold(text)) == len(text)


def test_fold_turns_full_width_punctuation_to_ascii() -> None:
    assert fold("（一）联系电话：０５７９") == "(一)联系电话:0579"


def test_a_whole_document_is_folded_once_for_every_step_that_asks() -> None:
    notice = "巡察组反馈意见：（一）整改落实不到位。" * 200
    folded = fold(notice)
    assert folded == "".join(fold(ch) for ch in notice)
    assert fold(notice) is folded  # the layout, the not-a-notice check and grounding share one fold


def test_a_whole_document_folds_as_its_characters_do() -> None:
    """Full-width forms, traditional characters, a compatibility ideograph, a circled digit, characters
    beyond the plane: folded in place in a long text as each is alone."""
    prepare()  # the class of changing characters, as a worker has it
    notice = "（一）巡視組反饋意見：整改１２項①，金額３．５萬元；豈\uf900𝐀𠀀😀\u3000。" * 100
    assert len(notice) >= 1024
    assert fold(notice) == "".join(fold(ch) for ch in notice)
    assert "(一)巡视组反馈意见:整改12项1,金额3.5万元;" in fold(notice)


def test_the_whole_text_fold_looks_at_every_character_the_fold_changes() -> None:
    """The class a whole text is searched with holds every character of the plane the table changes
    (asked one by one, of a fresh table); what lies beyond the plane the table decides."""
    from llm_extract.text import _FoldTable

    prepare()
    from llm_extract.text import _CLASS as changing

    table = _FoldTable()
    missed = [hex(c) for c in range(0x10000) if table[c] != chr(c) and not changing.match(chr(c))]
    assert missed == []
    assert changing.match("\U0001d400") and changing.match("\ud800")
    assert not changing.match("巡") and not changing.match("a")


def test_a_process_that_folds_few_documents_never_builds_the_class() -> None:
    """The class costs ~55 ms to build, ~120 notices' worth of folding: a run's own process, which
    opens the first documents while its lanes start, folds them with the table alone."""
    code = """
from llm_extract import text
for i in range(100):
    text.fold("巡察组反馈意见:整改落实不到位。" * 100 + str(i))
print(int(text._CLASS is not None))
for i in range(30):
    text.fold("巡察组反馈意见:整改落实不到位。" * 100 + str(i))
print(int(text._CLASS is not None))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["0", "1"]



def test_threads_that_fold_at_once_build_the_class_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run's request threads fold their documents at once: one thread builds the class, the others fold
    with the table meanwhile (before the lock, seven threads of one run each built it)."""
    import threading
    import time
    import unicodedata

    from llm_extract import text

    monkeypatch.setattr(text, "_CLASS", None)
    monkeypatch.setattr(text, "_whole_folds", itertools.count(10_000))  # past the threshold
    builds: list[int] = []
    normalize = unicodedata.normalize

    def slow(form: str, s: str) -> str:
        if len(s) > 100_000:  # the whole plane: a build of the class
            builds.append(1)
            time.sleep(0.3)
        return normalize(form, s)

    monkeypatch.setattr(unicodedata, "normalize", slow)
    notice = "巡察组反馈意见:整改落实不到位。" * 100
    gate, same = threading.Barrier(8), []

    def fold_one(i: int) -> None:
        gate.wait()
        same.append(fold(notice + str(i)) == notice + str(i))

    threads = [threading.Thread(target=fold_one, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert builds == [1] and same == [True] * 8 and text._CLASS is not None

@pytest.mark.parametrize("raw, value", [
    ("发布日期: 2022-08-04", date(2022, 8, 4)), ("时间:2022-09-21 17:21", date(2022, 9, 21)),
    ("2022/8/4", date(2022, 8, 4)), ("2022.08.04", date(2022, 8, 4)), ("2022年8月4日", date(2022, 8, 4)),
    ("26.08.2016 22:04", date(2016, 8, 26)), ("２０２１－０３－０２", date(2021, 3, 2)),
    ("2022-13-40", None), ("索引号：115326000150012345/2025-00312", None), ("浏览次数:1276", None),
])
def test_page_date_lines_in_every_form(raw: str, value: date | None) -> None:
    assert parse_page_date(raw) == value


@pytest.mark.parametrize("raw, anchor, value", [
    ("2024717日", None, date(2024, 7, 17)), ("830日", date(2024, 7, 17), date(2024, 8, 30)),
    ("202131日", None, date(2021, 3, 1)), ("430日", date(2021, 3, 1), date(2021, 4, 30)),
    ("1018日", date(2024, 8, 30), date(2024, 10, 18)),  # 10月18日: a month 1 with day 018 is no date
    ("20241220日", None, date(2024, 12, 20)),
])
def test_scraped_dates_that_lost_年_and_月(raw: str, anchor: date | None, value: date) -> None:
    assert parse_date(raw, anchor=anchor) == value


@pytest.mark.parametrize("raw", ["2021年3月", "3月", "2021年3月至4月"])
def test_a_month_without_a_day_is_no_date(raw: str) -> None:
    assert parse_date(raw) is None


@pytest.mark.parametrize("raw, value", [
    ("二〇二一年六月十八日", date(2021, 6, 18)), ("二○一九年十二月三十一日", date(2019, 12, 31)),
    ("二〇二一年二月三十日", None),
])
def test_a_date_in_chinese_numerals(raw: str, value: date | None) -> None:
    assert parse_date(raw) == value
