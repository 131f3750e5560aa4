"""The schema refuses what no true notice says."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from llm_extract.schema import Notice, json_schema


def test_dates_must_run_start_end_feedback_publication() -> None:
    Notice(inspection_start="2022-02-28", inspection_end="2022-03-31", feedback_date="2022-05-09")
    with pytest.raises(ValidationError, match="feedback_date"):
        Notice(inspection_start="2022-02-28", inspection_end="2022-03-31", feedback_date="2022-03-01")


def test_a_breakdown_never_sums_past_its_total() -> None:
    ok = {"party_discipline": 5, "party_discipline_breakdown": {"warning": 3, "expulsion": 2}}
    Notice(outcomes=ok)
    with pytest.raises(ValidationError, match="party_discipline_breakdown"):
        Notice(outcomes={"party_discipline": 4, "party_discipline_breakdown": {"warning": 3, "expulsion": 2}})


@pytest.mark.parametrize("outcomes", [{"admonishment": -1}, {"funds_returned": -0.5}])
def test_no_negative_counts_or_money(outcomes: dict) -> None:
    with pytest.raises(ValidationError):
        Notice(outcomes=outcomes)


def test_inspection_type_is_an_enum_and_keys_are_closed() -> None:
    with pytest.raises(ValidationError):
        Notice(inspection_type="surprise")
    with pytest.raises(ValidationError):
        Notice(inspector="someone")


def test_breakdowns_serialise_without_unnamed_keys() -> None:
    data = Notice(outcomes={"party_discipline": 5, "party_discipline_breakdown": {"warning": 5}}).to_json_dict()
    assert data["outcomes"]["party_discipline_breakdown"] == {"warning": 5}


def test_json_schema_names_every_spec_family() -> None:
    schema = json_schema()
    assert {"plan", "outcomes", "sections", "contact", "inspection_type"} <= set(schema["properties"])
