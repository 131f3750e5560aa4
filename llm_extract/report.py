"""Eval reports for people: a rich table on the terminal, JSON and Markdown on disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from .scoring import EvalResult, iter_rows


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


def print_report(result: EvalResult, console: Console | None = None, *, show_differences: int = 40) -> None:
    console = console or Console()
    table = Table(title="Field accuracy", show_lines=False)
    table.add_column("field", overflow="fold", min_width=24)
    for col in ("family", "accuracy", "precision", "recall", "F1", "gold", "pred"):
        table.add_column(col, justify="left" if col == "family" else "right", no_wrap=True)
    for row in iter_rows(result):
        style = "red" if row["accuracy"] < 0.8 else "yellow" if row["accuracy"] < 1 else None
        table.add_row(row["field"], row["family"], _fmt(row["accuracy"]), _fmt(row["precision"]),
                      _fmt(row["recall"]), _fmt(row["f1"]), str(row["gold"]), str(row["pred"]), style=style)
    console.print(table)
    fam = Table(title="Field families")
    for col in ("family", "precision", "recall", "F1", "gold", "pred"):
        fam.add_column(col, justify="left" if col == "family" else "right")
    for name, c in result.per_family().items():
        fam.add_row(name, _fmt(c.precision), _fmt(c.recall), _fmt(c.f1), str(c.gold), str(c.pred))
    console.print(fam)
    diffs = [d for doc in result.documents for d in doc.differences]
    if diffs:
        t = Table(title=f"Differences ({len(diffs)}; first {min(len(diffs), show_differences)})")
        for col in ("doc", "field", "kind", "gold", "output"):
            t.add_column(col, overflow="fold")
        for d in diffs[:show_differences]:
            t.add_row(d.doc, d.field, d.kind, _short(d.gold), _short(d.pred))
        console.print(t)
    o = result.overall
    console.print(f"[bold]value precision {_fmt(o.precision)}  recall {_fmt(o.recall)}  F1 {_fmt(o.f1)}[/bold] "
                  f"over {o.gold} gold values, {len(result.documents)} documents")
    if result.missing_predictions:
        console.print(f"[red]no prediction for: {', '.join(result.missing_predictions)}[/red]")


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
    from .html import report_html

    json_path = out_dir / "report.json"
    md_path = out_dir / "report.md"
    html_path = out_dir / "report.html"
    html_path.write_text(report_html(result, meta), encoding="utf-8")
    json_path.write_text(json.dumps(report_dict(result, meta), ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    md_path.write_text(markdown(result, meta), encoding="utf-8")
    return [json_path, md_path, html_path]
