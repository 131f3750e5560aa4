"""A document's CPU steps: the rules are read once, whichever step needs them first, and let go at the tail."""

from __future__ import annotations

from conftest import NOTICES
from llm_extract.documents import Document
from llm_extract.llm import steps
from llm_extract.merge import settle
from llm_extract.record import DocResult, Status
from support.answers import faithful_answer

TEXT = sorted(NOTICES.glob("*.txt"))[2].read_text(encoding="utf-8")


def test_the_reading_done_ahead_is_the_one_verify_and_the_tail_use_and_the_tail_lets_it_go() -> None:
    text = TEXT + "\n(steps 1)"
    steps.read_ahead(text)
    ahead = steps._HELD[text]
    assert steps.verify(text, faithful_answer(text)) == [] and steps._HELD[text] is ahead
    grounded = steps.grounding_for(text, faithful_answer(text))
    assert grounded is not None and steps.grounding_for(text, faithful_answer(text)) is None  # taken once
    assert steps.reading_for(text) is ahead and text not in steps._HELD
    again = steps.reading_for(text)  # not held any more: read anew, the same record
    assert again is not ahead and again.extraction.record_json() == ahead.extraction.record_json()
    assert settle(ahead, faithful_answer(text), grounded)[0].record_json() == \
        settle(again, faithful_answer(text))[0].record_json()


def test_a_held_grounding_serves_only_the_answer_it_was_made_for() -> None:
    text = TEXT + "\n(steps 2)"
    assert steps.verify(text, faithful_answer(text)) == []
    other = faithful_answer(text)
    other["outcomes"]["admonishment"] = None
    assert steps.grounding_for(text, other) is None  # the tail grounds this one itself
    steps.reading_for(text)


def test_verify_refuses_what_the_merge_would_refuse_and_says_why() -> None:
    answer = faithful_answer(TEXT)
    answer["outcomes"]["party_discipline"] = {"value": 999, "quote": "给予党纪处分999人"}
    errors = steps.verify(TEXT, answer)
    assert any("给予党纪处分999人" in why and "does not occur" in why for why in errors)
    assert steps.grounding_for(TEXT, answer) is None  # nothing held for an answer that goes back


def test_readings_no_tail_came_for_are_evicted_oldest_first(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(steps, "MAX_HELD", 2)
    texts = [TEXT + f"\n(steps evict {i})" for i in range(3)]
    for text in texts:
        steps.read_ahead(text)
    assert texts[0] not in steps._HELD and all(text in steps._HELD for text in texts[1:])
    for text in texts[1:]:
        steps.reading_for(text)


def test_opening_ends_what_is_not_a_notice_and_cuts_the_excerpt_of_what_is() -> None:
    empty = steps.opening(Document(id="e", text="  ", source="t"), "s", 12000)
    assert isinstance(empty, DocResult) and empty.status is Status.error
    assert steps.opening(Document(id="n", text=TEXT, source="t"), "s", 12000) == TEXT
