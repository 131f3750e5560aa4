"""Settling the model's record against the rules' record, field by field.

Numbers (counts, money, dates): a grounded model value and a rules value
that agree are ``both``; when they disagree the evidence decides: the one
whose span lies in the paragraph that states such figures (the summary
paragraph for outcomes, the opening paragraph for the header) wins, and the
rules value wins a tie.  A model number outside the summary paragraph is
never taken for an outcome.  A missing or refused model value is filled
from rules.

Prose (names, title, round, findings, contact): the model's grounded value
is taken when it has the shape the field requires (an inspection body ends
in 巡视组, a finding title sits on a heading line, a phone on the contact
line); otherwise the rules value stands.
"""

from __future__ import annotations

import re
from typing import Any

from .fields import Region, spec_of
from .ground import ground
from .record import Draft, Extraction
from .rules import Reading
from .rules.header import ROUND_RE
from .rules.sections import LEVEL_RES
from .schema import Span, iter_scalar_paths


def _is_numeric(path: str) -> bool:
    spec = spec_of(path)
    return bool(spec and spec.kind.numeric)


class Regions:
    """Where a notice states what: the rules' landmarks, asked per field through the registry."""

    def __init__(self, reading: Reading) -> None:
        self.layout = reading.layout
        self.marks = reading.landmarks
        self.opening = self.marks.opening_line

    def region(self, path: str) -> tuple[int, int] | None:
        spec = spec_of(path)
        if spec is None or spec.region is Region.handover:
            return None
        return self.marks.region(spec.region)

    def on_heading_line(self, span: Span) -> bool:
        line = self.layout.line_at(span.start)
        return bool(line and any(r.match(line.text) for r in LEVEL_RES))


def _inside(span: Span | None, region: tuple[int, int] | None) -> bool:
    return bool(span and region and region[0] <= span.start and span.end <= region[1])


def _plausible(path: str, value: Any, span: Span, regions: Regions) -> bool:
    region = regions.region(path)
    if region is not None and not _inside(span, region):
        return False
    text = str(value)
    if path == "inspection_body":
        return bool(re.search(r"(?:巡视|巡察)(?:组|工作组|小组)$", text))
    if path == "issuer":
        return bool(re.search(r"(?:委|委员会|党组|党委|工委)$", text)) and len(text) <= 40
    if path == "round":
        return bool(ROUND_RE.fullmatch(text))
    if path == "title":
        line = regions.layout.line_at(span.start)
        return bool(re.search(r"巡视|巡察", text)) and line is not None and (
            regions.opening is None or line.start < regions.opening.start)
    return True


def settle(reading: Reading, answer: dict[str, Any] | None) -> tuple[Extraction, dict[str, str], list[str]]:
    """The tail every model route shares: ground the answer, merge it with the rules' reading.

    Returns the final record, where each field came from, and what grounding refused.
    """
    model_ex, refused = ground(answer, reading.text) if answer is not None else (None, [])
    final, sources = merge(reading, model_ex)
    return final, sources, refused


def merge(reading: Reading, model_ex: Extraction | None) -> tuple[Extraction, dict[str, str]]:
    """The final record and, for each field, where its value came from."""
    rules_ex, text = reading.extraction, reading.text
    if model_ex is None:
        return rules_ex, {_field_key(p): "rules" for p in rules_ex.evidence}
    regions = Regions(reading)
    r_rec, m_rec = rules_ex.record_json(), model_ex.record_json()
    r_vals = dict(iter_scalar_paths({k: v for k, v in r_rec.items() if k != "sections"}))
    m_vals = dict(iter_scalar_paths({k: v for k, v in m_rec.items() if k != "sections"}))
    draft = Draft(text)
    sources: dict[str, str] = {}

    def take(path: str, value: Any, span: Span, source: str) -> None:
        draft.put(path, value, span.start, span.end)
        key = _field_key(path)
        sources[key] = "both" if sources.get(key, source) != source else source

    list_fields = ("contact.phones", "contact.emails")
    for path in sorted(set(r_vals) | set(m_vals), key=_order):
        if path.startswith(list_fields):
            continue
        r_val, m_val = r_vals.get(path), m_vals.get(path)
        r_span, m_span = rules_ex.evidence.get(path), model_ex.evidence.get(path)
        if m_val is None or m_span is None:
            take(path, r_val, r_span, "rules")  # type: ignore[arg-type]
            continue
        if r_val is not None and _same(r_val, m_val):
            take(path, r_val, r_span or m_span, "both")  # type: ignore[arg-type]
            continue
        region = regions.region(path)
        if _is_numeric(path):
            if r_val is None:
                if region is None or _inside(m_span, region):
                    take(path, m_val, m_span, "model")
                continue
            if _inside(m_span, region) and not _inside(r_span, region):
                take(path, m_val, m_span, "model")
            else:
                take(path, r_val, r_span, "rules")  # type: ignore[arg-type]
            continue
        if path == "inspection_type" and m_val == "unspecified" and r_val not in (None, "unspecified"):
            take(path, r_val, r_span, "rules")  # type: ignore[arg-type]
        elif _plausible(path, m_val, m_span, regions):
            take(path, m_val, m_span, "model")
        elif r_val is not None:
            take(path, r_val, r_span, "rules")  # type: ignore[arg-type]
    for key in list_fields:
        _merge_list(key, rules_ex, model_ex, regions, draft, sources)
    _merge_sections(rules_ex, model_ex, regions, draft, sources)
    final = draft.finish()
    sources = {k: v for k, v in sources.items() if any(_field_key(p) == k for p in final.evidence)}
    return final, sources


def _merge_list(key: str, rules_ex: Extraction, model_ex: Extraction, regions: Regions, draft: Draft,
                sources: dict[str, str]) -> None:
    def spans(ex: Extraction) -> list[Span]:
        return [s for p, s in sorted(ex.evidence.items()) if p.startswith(key + ".")]

    r, m = spans(rules_ex), spans(model_ex)
    region = regions.region(key)
    m_ok = [s for s in m if region is None or _inside(s, region)]
    chosen, source = (m_ok, "model") if m_ok and len(m_ok) == len(m) else (r, "rules")
    if chosen and r and {s.quote for s in r} == {s.quote for s in m_ok}:
        source = "both"
    for i, span in enumerate(chosen):
        draft.put(f"{key}.{i}", span.quote, span.start, span.end)
    if chosen:
        sources[key] = source


def _merge_sections(rules_ex: Extraction, model_ex: Extraction, regions: Regions, draft: Draft,
                    sources: dict[str, str]) -> None:
    m_titles = [s for p, s in model_ex.evidence.items() if re.fullmatch(r"sections\.\d+\.title", p)]
    use_model = bool(m_titles) and all(regions.on_heading_line(s) for s in m_titles)
    chosen = model_ex if use_model else rules_ex
    for path, span in sorted(chosen.evidence.items(), key=lambda kv: _order(kv[0])):
        if path.startswith("sections."):
            draft.put(path, span.quote, span.start, span.end)
    record = chosen.record_json()
    for i, section in enumerate(record["sections"]):
        if not section["items"] and draft.data.get("sections") and i < len(draft.data["sections"]):
            draft.data["sections"][i].setdefault("items", [])
    if record["sections"]:
        same = [s["title"] for s in rules_ex.record_json()["sections"]] == [s["title"] for s in record["sections"]]
        sources["sections"] = "both" if use_model and same else ("model" if use_model else "rules")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) <= 1e-6
    return str(a) == str(b)


def _field_key(path: str) -> str:
    """Sources are reported per field: list elements and sections fold into their field."""
    if path.startswith("sections."):
        return "sections"
    parts = path.split(".")
    if parts[-1].isdigit():
        return ".".join(parts[:-1])
    return path


def _order(path: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in path.split("."))
