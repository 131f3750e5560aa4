"""The record step (record.py): values put with their spans, validated into one record."""

from __future__ import annotations

import json

import pytest
from conftest import GOLD

from llm_extract.record import Draft
from llm_extract.schema import iter_scalar_paths


@pytest.mark.parametrize("path", sorted(GOLD.glob("*.json")), ids=lambda p: p.stem)
def test_every_value_the_schema_accepts_keeps_its_span(path) -> None:  # noqa: ANN001
    """A hand-labelled record put value by value: each value is in the finished record, with its span
    (finish keeps every span when nothing was dropped, so the schema must null no value it accepts)."""
    record = json.loads(path.read_text(encoding="utf-8"))
    draft = Draft("x" * 10)
    for field, value in iter_scalar_paths(record):
        draft.put(field, value, 0, 1)
    extraction = draft.finish()
    assert not extraction.dropped
    present = {field for field, _ in iter_scalar_paths(extraction.record.to_json_dict())}
    assert set(extraction.evidence) == present == set(extraction.confidence)


def test_a_value_that_breaks_a_rule_is_dropped_with_its_span() -> None:
    draft = Draft("给予党纪处分5人(其中警告9人)")
    draft.put("outcomes.party_discipline", 5, 6, 7)
    draft.put("outcomes.party_discipline_breakdown.warning", 9, 12, 13)
    extraction = draft.finish()
    assert extraction.dropped  # the breakdown (9) sums past its total (5): one of them goes
    present = {field for field, _ in iter_scalar_paths(extraction.record.to_json_dict())}
    assert set(extraction.evidence) == present
