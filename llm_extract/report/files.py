"""Eval and comparison reports on disk: JSON, Markdown and (through :mod:`.pages`) HTML.

Every report says where its records came from (how many the backend made,
how many fell back to the rules, how many failed) and labels a score that is
not all the backend's own; a figure with nothing to score is "–", never a
perfect 1.000, and every figure has its count of gold values beside it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..score.runs import provenance_line
from ..score.scoring import Counts, Difference, EvalResult, iter_rows
from .pages import NOTHING, _num, compare_html, report_html

_fmt = _num  # a figure to three decimals, or NOTHING: the same in every report


def _counts(c: Counts) -> dict[str, Any]:
    return {"precision": c.precision, "recall": c.recall, "f1": c.f1, "tp": c.tp, "gold": c.gold, "output": c.pred}


def difference_dict(d: Difference) -> dict[str, Any]:
    """One disagreement as people read it: ``gold`` against ``output``, with the quote in context."""
    return {"field": d.field, "kind": d.kind, "gold": d.gold, "output": d.pred, "quote": d.quote,
            "context": "".join(d.context) if d.context else None}


def report_dict(result: EvalResult, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON report: provenance, overall, families, fields (registry order) and differences by document."""
    return {
        "meta": meta or {},
        "records": result.origins,
        "label": result.label,
        "overall": _counts(result.overall),
        "families": {name: _counts(c) for name, c in result.per_family().items()},
        "fields": list(iter_rows(result)),
        "documents": [{"doc": d.doc, "differences": [difference_dict(x) for x in d.differences]}
                      for d in result.documents],
        "missing_output": result.missing_predictions,
    }


def _short(value: Any, width: int = 60) -> str:
    s = "—" if value is None else str(value)
    return s if len(s) <= width else s[: width - 1] + "…"


def headline(result: EvalResult, meta: dict[str, Any] | None = None) -> list[str]:
    """The lines every report opens with: the score, where the records came from, and the score's label."""
    o = result.overall
    lines = [f"value F1 {_fmt(o.f1)} (precision {_fmt(o.precision)}, recall {_fmt(o.recall)}; "
             f"{o.gold} gold values, {len(result.documents)} notices)",
             provenance_line(result.origins, (meta or {}).get("backend"))]
    if result.label:
        lines.append(result.label)
    return lines


def _md_context(d: Difference) -> str:
    if d.context:
        before, quote, after = d.context
        return f"…{before}**{quote}**{after}…"
    return _short(d.quote) if d.quote else ""


def markdown(result: EvalResult, meta: dict[str, Any] | None = None) -> str:
    """The Markdown report: headline, families, fields and every difference with its quote in context."""
    head = headline(result, meta)
    lines = ["# Eval report", ""]
    for k, v in (meta or {}).items():
        lines.append(f"- {k}: `{v}`")
    lines += ["", f"**{head[0]}**", "", head[1]]
    if result.label:
        lines += ["", f"> **{result.label}**"]
    lines += ["", "## Families", "", "| family | precision | recall | F1 | gold | output |",
              "|---|---:|---:|---:|---:|---:|"]
    for name, c in result.per_family().items():
        lines.append(f"| {name} | {_fmt(c.precision)} | {_fmt(c.recall)} | {_fmt(c.f1)} | {c.gold} | {c.pred} |")
    lines += ["", f"“{NOTHING}”: neither gold nor output has a value there, so there is nothing to score.", "",
              "## Fields", "", "| field | family | accuracy | precision | recall | F1 | gold | output |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in iter_rows(result):
        lines.append(f"| `{r['field']}` | {r['family']} | {_fmt(r['accuracy'])} | {_fmt(r['precision'])} | "
                     f"{_fmt(r['recall'])} | {_fmt(r['f1'])} | {r['gold']} | {r['output']} |")
    lines += ["", "## Differences by document", ""]
    for doc in result.documents:
        lines.append(f"### {doc.doc}")
        if not doc.differences:
            lines += ["", "no differences", ""]
            continue
        lines += ["", "| field | kind | gold | output | evidence in context |", "|---|---|---|---|---|"]
        for d in doc.differences:
            cells = [d.field, d.kind, _short(d.gold), _short(d.pred), _md_context(d)]
            lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines) + "\n"


def write_reports(result: EvalResult, out_dir: Path, meta: dict[str, Any] | None = None) -> list[Path]:
    """``report.json``, ``report.md`` and ``report.html`` in ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "report.json"
    md_path = out_dir / "report.md"
    html_path = out_dir / "report.html"
    html_path.write_text(report_html(result, meta, headline(result, meta)), encoding="utf-8")
    json_path.write_text(json.dumps(report_dict(result, meta), ensure_ascii=False, indent=2, default=str),
                         encoding="utf-8")
    md_path.write_text(markdown(result, meta), encoding="utf-8")
    return [json_path, md_path, html_path]


def _md_rows(rows: list[str], width: int) -> list[str]:
    """The rows of a Markdown table, or one row saying "none" (an empty table reads as a broken report)."""
    return rows or ["| none |" + " |" * (width - 1)]


def write_comparison(data: dict[str, Any], out_dir: Path) -> list[Path]:
    """``compare.json``, ``compare.md`` and ``compare.html`` in ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "compare.json", out_dir / "compare.md", out_dir / "compare.html"]
    paths[0].write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    md = [f"# Comparison\n\nA: `{data['a']}`  \nB: `{data['b']}`\n",
          f"Value F1: A {_fmt(data['overall']['a'])} → B {_fmt(data['overall']['b'])}\n",
          "## Fields that changed\n\n| field | A | B | Δ | gold |\n|---|---:|---:|---:|---:|"]
    md += _md_rows([f"| `{r['field']}` | {_fmt(r['a'])} | {_fmt(r['b'])} | {r['delta']:+.3f} | {r['gold']} |"
                    for r in data["fields"] if r["delta"]], 5)
    for key in ("worse", "better"):
        md += [f"\n## Notices that got {key}\n", "| notice | differences A | differences B | fields |",
               "|---|---:|---:|---|"]
        md += _md_rows([f"| {r['doc']} | {r['a']} | {r['b']} | {', '.join(r['fields'])} |" for r in data[key]], 4)
    paths[1].write_text("\n".join(md) + "\n", encoding="utf-8")
    paths[2].write_text(compare_html(data), encoding="utf-8")
    return paths
