"""Eval and comparison reports on disk: JSON, Markdown and (through :mod:`.pages`) HTML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..score.scoring import EvalResult, iter_rows
from .pages import compare_html, report_html


def _fmt(x: float) -> str:
    return f"{x:.3f}"


def report_dict(result: EvalResult, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    overall = result.overall
    return {
        "meta": meta or {},
        "overall": {"precision": overall.precision, "recall": overall.recall, "f1": overall.f1,
                    "tp": overall.tp, "pred": overall.pred, "gold": overall.gold},
        "families": {name: {"precision": c.precision, "recall": c.recall, "f1": c.f1, "gold": c.gold, "pred": c.pred}
                     for name, c in result.per_family().items()},
        "fields": list(iter_rows(result)),
        "documents": [
            {"doc": d.doc, "differences": [vars(x) for x in d.differences]} for d in result.documents
        ],
        "missing_predictions": result.missing_predictions,
    }


def _short(value: Any, width: int = 60) -> str:
    s = "—" if value is None else str(value)
    return s if len(s) <= width else s[: width - 1] + "…"


def markdown(result: EvalResult, meta: dict[str, Any] | None = None) -> str:
    o = result.overall
    lines = ["# Eval report", ""]
    for k, v in (meta or {}).items():
        lines.append(f"- {k}: `{v}`")
    lines += ["", f"**Value F1 {_fmt(o.f1)}** (precision {_fmt(o.precision)}, recall {_fmt(o.recall)}; "
              f"{o.gold} gold values, {len(result.documents)} documents)", "", "## Families", "",
              "| family | precision | recall | F1 | gold | pred |", "|---|---:|---:|---:|---:|---:|"]
    for name, c in result.per_family().items():
        lines.append(f"| {name} | {_fmt(c.precision)} | {_fmt(c.recall)} | {_fmt(c.f1)} | {c.gold} | {c.pred} |")
    lines += ["", "## Fields", "", "| field | family | accuracy | precision | recall | F1 | gold | pred |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in iter_rows(result):
        lines.append(f"| `{r['field']}` | {r['family']} | {_fmt(r['accuracy'])} | {_fmt(r['precision'])} | "
                     f"{_fmt(r['recall'])} | {_fmt(r['f1'])} | {r['gold']} | {r['pred']} |")
    lines += ["", "## Differences by document", ""]
    for doc in result.documents:
        lines.append(f"### {doc.doc}")
        if not doc.differences:
            lines += ["", "no differences", ""]
            continue
        lines += ["", "| field | kind | gold | output | evidence |", "|---|---|---|---|---|"]
        for d in doc.differences:
            cells = [d.field, d.kind, _short(d.gold), _short(d.pred), _short(d.quote) if d.quote else ""]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines) + "\n"


def write_reports(result: EvalResult, out_dir: Path, meta: dict[str, Any] | None = None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "report.json"
    md_path = out_dir / "report.md"
    html_path = out_dir / "report.html"
    html_path.write_text(report_html(result, meta), encoding="utf-8")
    json_path.write_text(json.dumps(report_dict(result, meta), ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    md_path.write_text(markdown(result, meta), encoding="utf-8")
    return [json_path, md_path, html_path]


def write_comparison(data: dict[str, Any], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "compare.json", out_dir / "compare.md", out_dir / "compare.html"]
    paths[0].write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    md = [f"# Comparison\n\nA: `{data['a']}`  \nB: `{data['b']}`\n",
          f"Value F1: A {data['overall']['a']:.3f} → B {data['overall']['b']:.3f}\n",
          "## Fields that changed\n\n| field | A | B | Δ |\n|---|---:|---:|---:|"]
    md += [f"| `{r['field']}` | {r['a']:.3f} | {r['b']:.3f} | {r['delta']:+.3f} |" for r in data["fields"] if r["delta"]]
    for key in ("worse", "better"):
        md += [f"\n## Notices that got {key}\n", "| notice | differences A | differences B | fields |", "|---|---:|---:|---|"]
        md += [f"| {r['doc']} | {r['a']} | {r['b']} | {', '.join(r['fields'])} |" for r in data[key]]
    paths[1].write_text("\n".join(md) + "\n", encoding="utf-8")
    paths[2].write_text(compare_html(data), encoding="utf-8")
    return paths
