"""Scoring records against gold, exactly as SPEC.md's last section says.

Units of credit: every scalar field is one value; every element of a list
field (phones, emails) is one value; every section title and every item is
one value.  Numbers compare exactly (money within 1 yuan), dates exactly,
strings after NFKC with whitespace and quote marks removed, sections by
title similarity >= 0.8 and then their items the same way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, Iterable

from ..fields import SCALARS, Kind, of_kind, spec_of
from ..text import norm_text
from .runs import Run, attach_context, origin_counts, score_label

MATCH_THRESHOLD = 0.8
MONEY_PATHS = of_kind(Kind.money)
LIST_PATHS = sorted(of_kind(Kind.list))


def field_family(path: str) -> str:
    """The report's family of a scored path (``sections.title`` is in ``sections``)."""
    spec = spec_of(path)
    return spec.family if spec is not None else "header"


def scalar_fields() -> list[str]:
    """Every scalar field of the registry, in record order."""
    return [f.path for f in SCALARS]


ALL_FIELDS = scalar_fields() + LIST_PATHS + ["sections.title", "sections.items"]


def get_path(record: dict[str, Any] | None, path: str) -> Any:
    node: Any = record
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def values_equal(path: str, gold: Any, pred: Any) -> bool:
    if isinstance(gold, bool) or isinstance(pred, bool):
        return gold == pred
    if isinstance(gold, (int, float)) and isinstance(pred, (int, float)):
        if path in MONEY_PATHS:
            return abs(float(gold) - float(pred)) <= 1
        return float(gold) == float(pred)
    if isinstance(gold, (int, float)) or isinstance(pred, (int, float)):
        return False
    return norm_text(gold) == norm_text(pred)


def similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, norm_text(a), norm_text(b), autojunk=False).ratio()


def match_strings(gold: list[str], pred: list[str]) -> list[tuple[int, int]]:
    """One-to-one matches with similarity >= 0.8, best pairs first."""
    pairs = sorted(
        ((similarity(g, p), i, j) for i, g in enumerate(gold) for j, p in enumerate(pred)),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    used_g: set[int] = set()
    used_p: set[int] = set()
    out = []
    for score, i, j in pairs:
        if score < MATCH_THRESHOLD:
            break
        if i in used_g or j in used_p:
            continue
        used_g.add(i)
        used_p.add(j)
        out.append((i, j))
    return out


@dataclass
class Counts:
    """Per-field tallies: tp over non-null values, and per-document agreement."""

    tp: int = 0
    pred: int = 0  # non-null predicted values
    gold: int = 0  # non-null gold values
    agree: float = 0.0  # documents in agreement (a list field adds its F1)
    docs: int = 0

    def add(self, other: "Counts") -> None:
        self.tp += other.tp
        self.pred += other.pred
        self.gold += other.gold
        self.agree += other.agree
        self.docs += other.docs

    @property
    def empty(self) -> bool:
        """Neither gold nor output has a value here: there is nothing to score, and reports show "–"."""
        return self.gold == 0 and self.pred == 0

    @property
    def precision(self) -> float | None:
        """Right values over output values; ``None`` when the output has none (not a perfect 1.0)."""
        return self.tp / self.pred if self.pred else None

    @property
    def recall(self) -> float | None:
        """Right values over gold values; ``None`` when gold has none."""
        return self.tp / self.gold if self.gold else None

    @property
    def f1(self) -> float | None:
        """Harmonic mean of P and R; 0 when one side has values and none is right, ``None`` when both are empty."""
        if self.empty:
            return None
        p, r = self.precision or 0.0, self.recall or 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def accuracy(self) -> float:
        return self.agree / self.docs if self.docs else 1.0


@dataclass
class Difference:
    doc: str
    field: str
    gold: Any
    pred: Any
    kind: str  # "wrong", "miss", "false_positive"
    quote: str | None = None
    context: tuple[str, str, str] | None = None  # (before, quote, after), when the text is at hand


@dataclass
class DocScore:
    doc: str
    counts: dict[str, Counts] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)


def _list_f1(tp: int, n_pred: int, n_gold: int) -> float:
    if n_pred == 0 and n_gold == 0:
        return 1.0
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def score_document(doc: str, gold: dict[str, Any], pred: dict[str, Any] | None,
                   evidence: dict[str, dict[str, Any]] | None = None) -> DocScore:
    """Score one predicted record (``None`` for a failed document) against gold."""
    pred = pred or {}
    evidence = evidence or {}
    result = DocScore(doc)
    for path in scalar_fields():
        g, p = get_path(gold, path), get_path(pred, path)
        c = Counts(docs=1, gold=int(g is not None), pred=int(p is not None))
        if g is None and p is None:
            c.agree = 1
        elif g is not None and p is not None and values_equal(path, g, p):
            c.tp, c.agree = 1, 1
        else:
            kind = "miss" if p is None else "false_positive" if g is None else "wrong"
            quote = (evidence.get(path) or {}).get("quote")
            result.differences.append(Difference(doc, path, g, p, kind, quote))
        result.counts[path] = c
    for path in LIST_PATHS:
        g_list = [str(v) for v in get_path(gold, path) or []]
        p_list = [str(v) for v in get_path(pred, path) or []]
        g_set, p_set = {norm_text(v) for v in g_list}, {norm_text(v) for v in p_list}
        tp = len(g_set & p_set)
        result.counts[path] = Counts(tp=tp, pred=len(p_set), gold=len(g_set), docs=1,
                                     agree=_list_f1(tp, len(p_set), len(g_set)))
        for v in sorted(g_set - p_set):
            result.differences.append(Difference(doc, path, v, None, "miss"))
        for v in sorted(p_set - g_set):
            result.differences.append(Difference(doc, path, None, v, "false_positive"))
    _score_sections(result, gold.get("sections") or [], pred.get("sections") or [])
    return result


def _score_sections(result: DocScore, gold: list[dict[str, Any]], pred: list[dict[str, Any]]) -> None:
    g_titles = [s.get("title") or "" for s in gold]
    p_titles = [s.get("title") or "" for s in pred]
    matches = match_strings(g_titles, p_titles)
    result.counts["sections.title"] = Counts(tp=len(matches), pred=len(p_titles), gold=len(g_titles), docs=1,
                                             agree=_list_f1(len(matches), len(p_titles), len(g_titles)))
    matched_g = {i for i, _ in matches}
    matched_p = {j for _, j in matches}
    for i, t in enumerate(g_titles):
        if i not in matched_g:
            result.differences.append(Difference(result.doc, "sections.title", t, None, "miss"))
    for j, t in enumerate(p_titles):
        if j not in matched_p:
            result.differences.append(Difference(result.doc, "sections.title", None, t, "false_positive"))
    tp = 0
    n_gold = sum(len(s.get("items") or []) for s in gold)
    n_pred = sum(len(s.get("items") or []) for s in pred)
    for i, j in matches:
        g_items = list(gold[i].get("items") or [])
        p_items = list(pred[j].get("items") or [])
        item_matches = match_strings(g_items, p_items)
        tp += len(item_matches)
        hit_g = {a for a, _ in item_matches}
        hit_p = {b for _, b in item_matches}
        for a, item in enumerate(g_items):
            if a not in hit_g:
                result.differences.append(Difference(result.doc, f"sections.items[{g_titles[i][:20]}]", item, None, "miss"))
        for b, item in enumerate(p_items):
            if b not in hit_p:
                result.differences.append(Difference(result.doc, f"sections.items[{g_titles[i][:20]}]", None, item, "false_positive"))
    result.counts["sections.items"] = Counts(tp=tp, pred=n_pred, gold=n_gold, docs=1, agree=_list_f1(tp, n_pred, n_gold))


@dataclass
class EvalResult:
    """Per-field tallies, per-document differences, and where the scored records came from.

    ``statuses`` counts the scored lines by ``status`` (``ok``, ``fallback``,
    ``error``, ``not_a_notice``), so every report can say how many records
    are the backend's own and label a score that is partly the rules'.
    """

    per_field: dict[str, Counts]
    documents: list[DocScore]
    missing_predictions: list[str]
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def origins(self) -> dict[str, int]:
        """Records by origin, every key present: ok, fallback, error, not_a_notice, missing."""
        return origin_counts(self.statuses, len(self.missing_predictions))

    @property
    def label(self) -> str | None:
        """The warning this score carries (fallbacks, failures), or ``None`` for a clean run."""
        return score_label(self.origins)

    @property
    def overall(self) -> Counts:
        total = Counts()
        for c in self.per_field.values():
            total.add(Counts(tp=c.tp, pred=c.pred, gold=c.gold))
        return total

    def per_family(self) -> dict[str, Counts]:
        out: dict[str, Counts] = {}
        for path, c in self.per_field.items():
            out.setdefault(field_family(path), Counts()).add(c)
        return out


def evaluate(gold: dict[str, dict[str, Any]], predictions: dict[str, dict[str, Any] | None],
             evidence: dict[str, dict[str, Any]] | None = None,
             statuses: dict[str, str] | None = None) -> EvalResult:
    """Score every gold document; a gold document with no prediction scores as all misses.

    ``statuses`` maps a document to its line's status; only gold documents' count.
    """
    evidence = evidence or {}
    per_field = {path: Counts() for path in ALL_FIELDS}
    docs = []
    missing = []
    for doc in sorted(gold):
        if doc not in predictions:
            missing.append(doc)
        scored = score_document(doc, gold[doc], predictions.get(doc), evidence.get(doc))
        for path, c in scored.counts.items():
            per_field[path].add(c)
        docs.append(scored)
    counted = Counter(str((statuses or {}).get(doc, "ok")) for doc in gold if doc in predictions)
    return EvalResult(per_field=per_field, documents=docs, missing_predictions=missing, statuses=dict(counted))


def iter_rows(result: EvalResult) -> Iterable[dict[str, Any]]:
    """One row per scored field, in the registry's order; a field with nothing to score has ``None`` figures."""
    for path, c in result.per_field.items():
        yield {"field": path, "family": field_family(path), "accuracy": None if c.empty else c.accuracy,
               "precision": c.precision, "recall": c.recall, "f1": c.f1, "gold": c.gold, "output": c.pred,
               "tp": c.tp}


def score_run(gold: dict[str, dict[str, Any]], run: Run) -> EvalResult:
    """Score a run's records against gold, with each line's status counted and each difference's quote in context."""
    result = evaluate(gold, run.records, run.evidence, run.status)
    attach_context(result, run)
    return result
