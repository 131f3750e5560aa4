"""Grounding a model's answer: what the text supports is kept, the rest refused."""

from __future__ import annotations

import copy

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
