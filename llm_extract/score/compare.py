"""Comparing two runs against gold: per-field deltas and the notices that got better or worse."""

from __future__ import annotations

from typing import Any

from .scoring import evaluate


def compare_runs(gold: dict[str, dict[str, Any]], a: dict[str, Any], b: dict[str, Any],
                 names: tuple[str, str] = ("A", "B")) -> dict[str, Any]:
    """Per-field accuracy of A and B (with the field's gold count), and the notices with more or fewer differences."""
    ra, rb = evaluate(gold, a), evaluate(gold, b)
    fields = [{"field": f, "a": ra.per_field[f].accuracy, "b": rb.per_field[f].accuracy,
               "delta": round(rb.per_field[f].accuracy - ra.per_field[f].accuracy, 6), "gold": ra.per_field[f].gold}
              for f in ra.per_field]
    docs_a = {d.doc: d for d in ra.documents}
    better, worse = [], []
    for doc in rb.documents:
        da, db = docs_a[doc.doc].differences, doc.differences
        changed = sorted({x.field for x in da} ^ {x.field for x in db} | {x.field for x in db if x not in da})
        row = {"doc": doc.doc, "a": len(da), "b": len(db), "fields": changed}
        if len(db) > len(da):
            worse.append(row)
        elif len(db) < len(da):
            better.append(row)
    return {"a": names[0], "b": names[1], "overall": {"a": ra.overall.f1, "b": rb.overall.f1},
            "fields": fields, "better": better, "worse": worse}
