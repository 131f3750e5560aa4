"""Settling the model's record against the rules' record, field by field: model first, evidence decides.

The model's grounded value is the record's value; the rules fill what the
model leaves out.  Where both have a value and they differ, the evidence
decides, and the rules win only when theirs is strictly stronger.

Policy, per field (``m`` the model's grounded value, ``r`` the rules' value):

============================  ===========================================  ==================
model                         rules                                        record (source)
============================  ===========================================  ==================
``m``                         none, or ``r == m``                          m (``model``/``both``)
refused by grounding, or in   ``r``                                        r (``rules``)
text addressed to a machine
null or left out              strong ``r``                                 r (``rules``)
null or left out              weak ``r`` (a rules fallback guess)          null (``model:null``)
null, from a model that is   ``r``                                        r (``rules``): its
no witness (agrees with                                                    nulls are not readings
fewer than half the rules'
strong readings)
number ``m`` that its own     none                                         null
quote contradicts
number ``m`` that its own     ``r``                                        r (``rules:trigger``)
quote contradicts
number ``m``                  strong ``r`` with strictly stronger          r (``rules:<why>``)
                              evidence
number ``m``                  ``r`` with evidence not strictly stronger,   m (``model:<why>``)
                              or weak ``r``
name, phrase ``m``            ``r``                                        m if it has the field's
                                                                           shape, else r
                                                                           (``rules:shape``)
============================  ===========================================  ==================

Evidence for a number (count, money, date, ordinal) is a set of:

* ``region``: its span lies in the part of the notice that states such
  figures (the summary paragraph for outcomes, the opening for the header),
  as the rules' landmarks locate it (:class:`~llm_extract.fields.Region`);
* ``trigger``: the field's trigger word stands next to the number
  (:func:`~llm_extract.ground.trigger_next_to`), not merely somewhere in a
  long quoted sentence, so a model that swaps a number for another of the
  same sentence loses to rules that read the figure beside its word;
* ``label``: the field's own word (its registry label: 具体问题, 整改措施)
  stands next to it, not only a synonym (SPEC.md: of 17项问题56项具体问题 the
  具体问题 count; of 整改任务25项、整改措施61条 the 整改措施 count).

A model number is *contradicted* by its own quote when the field's trigger
stands next to another figure of the quote and not next to it (30个重点问题
已整改到位26个 quoted for 30 rectified), unless the quote says the trigger of
all its figures at once (问题线索8件、信访件37件均已办结) or counts the figure
out of a total (受理信访举报126件，其中巡察移交45件).

The rules' evidence is strictly stronger when it is a proper superset of
the model's; the rules' confidence gates it (a weak rules value never beats
a grounded model value its own quote does not contradict).  ``<why>`` names the deciding evidence: ``region``,
``trigger``, ``label`` or several joined by ``+`` for what the winner had
and the loser lacked, ``weak`` when only the rules' weakness let the model win, ``tie``
when neither side's evidence was strictly stronger.

``sources`` in an output line gives, per field, ``model``, ``rules``,
``both``, ``model:null`` (the model's null removed a weak rules value),
one of the ``model:<why>`` / ``rules:<why>`` forms above, ``rules:shape``
(the model's phrase lacks the field's shape: a team that is not a 巡视组) or
``rules:type`` (the model said ``unspecified`` where the rules read 专项…).  Lists (phones,
emails) and the findings follow the same order: the model's grounded list
when every element sits where the field is stated (findings on heading
lines), else the rules'.  Outcome figures quoted from outside the summary
paragraph are refused by grounding itself (:func:`grounding_regions`), unless
that paragraph is only the rules' fallback (``summary_in_place`` false).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .fields import Kind, Region, spec_of
from .ground import LIST_PATHS, collective, figure_spans, ground, other_figures, trigger_next_to, within
from .record import Draft, Extraction
from .rules import Landmarks, Reading
from .rules.header import ROUND_RE
from .rules.sections import LEVEL_RES
from .schema import Span, iter_scalar_paths
from .text import fold


def _is_numeric(path: str) -> bool:
    spec = spec_of(path)
    return bool(spec and spec.kind.numeric)


def grounding_regions(marks: Landmarks) -> dict[Region, tuple[int, int]]:
    """The parts of a notice grounding holds quotes to: the summary paragraph, for outcome figures.

    SPEC.md: outcomes are the summary paragraph's figures, not one
    sub-measure's.  The live route's validator and :func:`settle` both pass
    this to :func:`~llm_extract.ground.ground`, so a figure quoted from the
    body is re-asked and, if it stays there, dropped for the rules'.
    """
    bounds = marks.region(Region.summary)
    if bounds is None or not marks.summary_in_place:
        return {}  # no summary, or only a fallback paragraph after the findings: too unsure to hold quotes to
    return {Region.summary: bounds}


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

    def injected(self, span: Span) -> bool:
        """Whether ``span`` overlaps text addressed to a machine (an instruction planted in the notice)."""
        return self.marks.in_injection(span.start, span.end)

    def evidence(self, path: str, value: Any, span: Span) -> frozenset[str]:
        """What speaks for a number read at ``span``: ``region``, ``trigger``, ``label`` (see the module docstring)."""
        found = set()
        text = self.layout.text
        region = self.region(path)
        if region is not None and within(path, value, text, (span.start, span.end), region):
            found.add("region")
        figures = figure_spans(path, value, text, span.start, span.end)
        if any(trigger_next_to(text, path, s, e) for s, e in figures):
            found.add("trigger")
            spec = spec_of(path)
            if spec is not None and spec.label and any(
                    trigger_next_to(text, path, s, e, re.escape(spec.label)) for s, e in figures):
                found.add("label")
        return frozenset(found)

    def contradicted(self, path: str, value: Any, span: Span) -> bool:
        """Whether the quote puts the field's trigger next to another figure and not next to ``value``.

        A model that swapped a number for another of the sentence it quotes
        shows it in its own quote: 30个重点问题已整改到位26个 given as 30 rectified.
        """
        text = self.layout.text
        own = figure_spans(path, value, text, span.start, span.end)
        if not own or any(trigger_next_to(text, path, s, e) for s, e in own):
            return False
        if collective(path, text[span.start:span.end]):  # 问题线索8件、信访件37件均已办结: 办结 is 8's too
            return False
        if any(_part_of_total(text, span.start, s) for s, _ in own):  # 受理信访举报126件，其中巡视移交45件
            return False
        return any(trigger_next_to(text, path, s, e) for s, e in other_figures(path, text, span.start, span.end)
                   if (s, e) not in own)


def _part_of_total(text: str, quote_start: int, at: int) -> bool:
    """Whether the figure at ``at`` is a part the quote counts out of a total (其中…): the total's words are its own."""
    return "其中" in fold(text[quote_start:at])


def _inside(span: Span | None, region: tuple[int, int] | None) -> bool:
    return bool(span and region and region[0] <= span.start and span.end <= region[1])


_ROUND_SHAPE = re.compile(rf"(?:{ROUND_RE.pattern})(?:第[一二三四五六七八九十\d]+批)?")
_BODY_RE = re.compile(r"(?:巡视|巡察)[^,，。;；、\s]{0,6}?(?:组|工作组|小组)$")
#: An issuer is a committee or party body, a leading group's office, or (a title's subject without 中共) a unit.
_ISSUER_RE = re.compile(r"(?:委|委员会|党组|党委|工委|支部|总支|小组|办公室|政府|区|市|县|州|盟|旗|镇|乡|街道"
                        r"|院|局|厅|部|公司|集团|中心|学校|大学|学院|医院|银行)$")


def _plausible(path: str, value: Any, span: Span, regions: Regions) -> bool:
    """Whether a model's name or phrase has the shape and place its field requires.

    The guard that keeps a small model's grounded-but-wrong phrase (a real
    sentence of the notice given as the inspected unit) out of the record.
    """
    text = fold(str(value))
    if path in ("target", "inspection_body", "inspection_type"):
        # the opening names them; a title may name the unit (我局 under 北岭县住房和城乡建设局关于…)
        opening = regions.opening
        if opening is not None and span.start > opening.end:
            return False
    else:
        region = regions.region(path)
        if region is not None and not _inside(span, region):
            return False
    if path == "inspection_body":
        return bool(_BODY_RE.search(text))
    if path == "issuer":
        return bool(_ISSUER_RE.search(text)) and len(text) <= 40
    if path == "round":  # a batch included: 十二届市委第三轮第一批
        return bool(_ROUND_SHAPE.fullmatch(text))
    if path == "title":
        line = regions.layout.line_at(span.start)
        return bool(re.search(r"巡视|巡察", text)) and line is not None and (
            regions.opening is None or line.start < regions.opening.start)
    return True


def settle(reading: Reading, answer: dict[str, Any] | None, grounded: Extraction | None = None
           ) -> tuple[Extraction, dict[str, str], list[str]]:
    """The tail every model route shares: ground the answer, merge it with the rules' reading.

    ``grounded`` is the answer grounded already (against these regions, with
    nothing refused: the live route's validator passed it), so it is not
    grounded twice.  Returns the final record, where each field came from,
    and what grounding refused.
    """
    if answer is None:
        model_ex, refused = None, []
    elif grounded is not None:
        model_ex, refused = grounded, []
    else:
        model_ex, refused = ground_answer(reading, answer)
    final, sources = merge(reading, model_ex)
    return final, sources, refused


def ground_answer(reading: Reading, answer: dict[str, Any]) -> tuple[Extraction, list[str]]:
    """Ground a model's answer as the merge does (a figure in the summary paragraph the rules found).

    The live route's validator calls this too, so what instructor re-asks
    is exactly what the merge would refuse.
    """
    return ground(answer, reading.text, grounding_regions(reading.landmarks))


class _Merger:
    """One document's merge: the draft being built and where each field's value came from."""

    def __init__(self, reading: Reading, model_ex: Extraction) -> None:
        self.reading, self.model_ex, self.rules_ex = reading, model_ex, reading.extraction
        self.regions = Regions(reading)
        self.draft = Draft(reading.text)
        self.sources: dict[str, str] = {}
        self.r_vals, self.m_vals = _scalars(reading.extraction), _scalars(model_ex)
        self.witness = _witness(reading.extraction, self.r_vals, self.m_vals)

    def take(self, path: str, value: Any, span: Span, source: str) -> None:
        self.draft.keep(path, value, span)
        key = _field_key(path)
        self.sources[key] = "both" if self.sources.get(key, source) != source else source

    def refused(self, path: str) -> bool:
        """Grounding refused the model's value (then the rules fill in), rather than the model saying null."""
        return _field_key(path) in self.model_ex.dropped or path in self.model_ex.dropped

    def weak(self, path: str) -> bool:
        return self.rules_ex.confidence.get(path) == "weak"

    def without_model(self, path: str, r_val: Any, r_span: Span | None) -> None:
        """The model has no value here: the rules fill in, unless the model's null outweighs a weak guess."""
        if r_val is None or r_span is None:
            return
        if self.witness and self.weak(path) and not self.refused(path):
            self.sources[_field_key(path)] = "model:null"
            return
        self.take(path, r_val, r_span, "rules")

    def scalar(self, path: str, r_val: Any, m_val: Any, r_span: Span | None, m_span: Span | None) -> None:
        if m_val is None or m_span is None or self.regions.injected(m_span):
            self.without_model(path, r_val, r_span)
        elif r_val is None or r_span is None:
            if _is_numeric(path) and self.regions.contradicted(path, m_val, m_span):
                return
            if not _is_numeric(path) and not _plausible(path, m_val, m_span, self.regions):
                return
            self.take(path, m_val, m_span, "model")
        elif _same(r_val, m_val, path):
            self.take(path, r_val, r_span, "both")
        elif _is_numeric(path):
            self.number(path, r_val, m_val, r_span, m_span)
        elif path == "inspection_type" and m_val == "unspecified" and not self.weak(path):
            self.take(path, r_val, r_span, "rules:type")  # a type word the model overlooked
        elif _plausible(path, m_val, m_span, self.regions):
            self.take(path, m_val, m_span, "model")
        else:
            self.take(path, r_val, r_span, "rules:shape")

    def number(self, path: str, r_val: Any, m_val: Any, r_span: Span, m_span: Span) -> None:
        """A numeric disagreement: the rules win only on strictly stronger evidence and a strong reading."""
        if self.regions.contradicted(path, m_val, m_span):
            self.take(path, r_val, r_span, "rules:trigger")
            return
        m_ev = self.regions.evidence(path, m_val, m_span)
        r_ev = self.regions.evidence(path, r_val, r_span)
        if r_ev > m_ev and not self.weak(path):
            self.take(path, r_val, r_span, "rules:" + "+".join(sorted(r_ev - m_ev)))
            return
        why = "weak" if r_ev > m_ev else "+".join(sorted(m_ev - r_ev)) or "tie"
        self.take(path, m_val, m_span, "model:" + why)


def _scalars(ex: Extraction) -> dict[str, Any]:
    """Each scalar field's value by its path (the findings aside: they are merged as a whole)."""
    return dict(iter_scalar_paths({k: v for k, v in ex.record_json().items() if k != "sections"}))


def _witness(rules_ex: Extraction, r_vals: dict[str, Any], m_vals: dict[str, Any]) -> bool:
    """Whether the model read this notice well enough for its nulls to count.

    It must agree with at least half of the rules' strong readings (and one
    at least).  A model that grounds nothing (it failed, invented every
    value, answered ``{}``) or little (a small model's stray quotes) says
    null to most fields without having looked; a model that reads the notice
    agrees with the rules wherever both are right.
    """
    strong = [p for p in r_vals if rules_ex.confidence.get(p, "strong") == "strong"]
    agreed = sum(1 for p in strong if p in m_vals and _same(r_vals[p], m_vals[p], p))
    return agreed >= max(1, len(strong) / 2)


def merge(reading: Reading, model_ex: Extraction | None) -> tuple[Extraction, dict[str, str]]:
    """The final record and, for each field, where its value came from (see the module docstring)."""
    rules_ex = reading.extraction
    if model_ex is None:
        return rules_ex, {_field_key(p): "rules" for p in rules_ex.evidence}
    m = _Merger(reading, model_ex)
    r_vals, m_vals = m.r_vals, m.m_vals
    for path in sorted(set(r_vals) | set(m_vals), key=_order):
        if not path.startswith(LIST_PATHS):
            m.scalar(path, r_vals.get(path), m_vals.get(path), rules_ex.evidence.get(path),
                     model_ex.evidence.get(path))
    for key in LIST_PATHS:
        _merge_list(key, m)
    _merge_sections(m)
    final = m.draft.finish()
    final.warnings = list(rules_ex.warnings)  # what the rules flagged in the text holds for the merged record too
    present = {_field_key(p) for p in final.evidence}
    sources = {k: v for k, v in m.sources.items() if k in present or v == "model:null"}
    return final, sources


def _merge_list(key: str, m: _Merger) -> None:
    """Phones, emails: the model's list when all of it is grounded where the field is stated, else the rules'."""
    r, model = [s for _, s in _evidence_under(m.rules_ex, key)], [s for _, s in _evidence_under(m.model_ex, key)]
    region = m.regions.region(key)
    m_ok = [s for s in model if (region is None or _inside(s, region)) and not m.regions.injected(s)]
    if m_ok and len(m_ok) == len(model) and not m.refused(key):
        chosen, source = m_ok, "model"
        if r and {s.quote for s in r} == {s.quote for s in m_ok}:
            source = "both"
    elif not model and r and m.witness and not m.refused(key) and all(m.weak(f"{key}.{i}") for i in range(len(r))):
        m.sources[key] = "model:null"
        return
    else:
        chosen, source = r, "rules"
    for i, span in enumerate(chosen):
        m.draft.keep(f"{key}.{i}", span.quote, span)
    if chosen:
        m.sources[key] = source


def _merge_sections(m: _Merger) -> None:
    """The findings: the model's when every title it gives stands on a heading line, else the rules'."""
    model_ex, rules_ex = m.model_ex, m.rules_ex
    m_spans = [s for p, s in model_ex.evidence.items() if p.startswith("sections.")]
    m_titles = [s for p, s in model_ex.evidence.items() if re.fullmatch(r"sections\.\d+\.title", p)]
    use_model = (bool(m_titles) and all(m.regions.on_heading_line(s) for s in m_titles)
                 and not any(m.regions.injected(s) for s in m_spans))
    r_paths = [p for p in rules_ex.evidence if p.startswith("sections.")]
    if not use_model and not m_titles and r_paths and m.witness and not m.refused("sections") \
            and all(m.weak(p) for p in r_paths):
        m.sources["sections"] = "model:null"
        return
    chosen = model_ex if use_model else rules_ex
    for path, span in _evidence_under(chosen, "sections"):
        m.draft.keep(path, span.quote, span)
    record = chosen.record_json()
    for i, section in enumerate(record["sections"]):
        if not section["items"] and m.draft.data.get("sections") and i < len(m.draft.data["sections"]):
            m.draft.data["sections"][i].setdefault("items", [])
    if record["sections"]:
        same = [s["title"] for s in rules_ex.record_json()["sections"]] == [s["title"] for s in record["sections"]]
        m.sources["sections"] = "both" if use_model and same else ("model" if use_model else "rules")


def _same(a: Any, b: Any, path: str = "") -> bool:
    """Agreement as scoring counts it: money within 1 yuan, other numbers exactly, strings as written."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        spec = spec_of(path)
        return abs(float(a) - float(b)) <= (1 if spec is not None and spec.kind is Kind.money else 1e-6)
    return str(a) == str(b)


def _field_key(path: str) -> str:
    """Sources are reported per field: list elements and sections fold into their field."""
    if path.startswith("sections."):
        return "sections"
    parts = path.split(".")
    if parts[-1].isdigit():
        return ".".join(parts[:-1])
    return path


def _evidence_under(ex: Extraction, field: str) -> list[tuple[str, Span]]:
    """The evidence of a list field's elements (``contact.phones.0``, ``sections.2.title``), in document order.

    Only that field's paths are sorted, not the whole record's.
    """
    mine = [(path, span) for path, span in ex.evidence.items() if path.startswith(field + ".")]
    return sorted(mine, key=lambda kv: _order(kv[0]))


@lru_cache(maxsize=4096)
def _order(path: str) -> tuple[Any, ...]:
    """A path's place in document order (``sections.10`` after ``sections.9``); the same few hundred
    paths recur in every record, so each is split once."""
    return tuple(int(p) if p.isdigit() else p for p in path.split("."))
