"""The field registry is the record: every leaf of the Notice model is one entry, in order."""

from __future__ import annotations

from llm_extract.fields import BY_PATH, DATE_ORDER, FIELDS, Kind, spec_of
from llm_extract.ground import TRIGGERS
from llm_extract.schema import Notice
from llm_extract.score.scoring import ALL_FIELDS, field_family


def _leaves(model: type, prefix: str = "") -> list[str]:
    out = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        inner = [a for a in getattr(annotation, "__args__", ()) if isinstance(a, type)]
        sub = next((a for a in [annotation, *inner] if isinstance(a, type) and hasattr(a, "model_fields")), None)
        if sub is not None and name not in ("sections",):
            out += _leaves(sub, f"{prefix}{name}.")
        else:
            out.append(f"{prefix}{name}")
    return out


def test_every_leaf_of_the_model_is_registered_once_in_record_order() -> None:
    assert [f.path for f in FIELDS] == _leaves(Notice)
    assert len(BY_PATH) == len(FIELDS)


def test_kinds_follow_the_spec() -> None:
    assert BY_PATH["outcomes.funds_returned"].kind is Kind.money
    assert BY_PATH["contact.phones"].kind is Kind.list
    assert DATE_ORDER == ("inspection_start", "inspection_end", "feedback_date", "publish_date")


def test_evidence_paths_resolve_to_their_field() -> None:
    assert spec_of("contact.phones.0") is BY_PATH["contact.phones"]
    assert spec_of("sections.3.items.1") is BY_PATH["sections"]
    assert spec_of("outcomes.party_discipline_breakdown.warning").family == "breakdowns"


def test_scoring_and_grounding_read_the_registry() -> None:
    assert set(ALL_FIELDS) >= {f.path for f in FIELDS if f.kind is not Kind.sections}
    assert field_family("outcomes.admonishment") == "outcomes"
    assert TRIGGERS["outcomes.admonishment"] == BY_PATH["outcomes.admonishment"].triggers
