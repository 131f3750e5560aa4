"""Comparing two runs against gold: per-field deltas and the notices that got better or worse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from .html import compare_html
from .scoring import evaluate


def compare_runs(gold: dict[str, dict[str, Any]], a: dict[str, Any], b: dict[str, Any],
                 names: tuple[str, str] = ("A", "B")) -> dict[str, Any]:
    ra, rb = evaluate(gold, a), evaluate(gold, b)
    fields = [{"field": f, "a": ra.per_field[f].accuracy, "b": rb.per_field[f].accuracy,
               "delta": round(rb.per_field[f].accuracy - ra.per_field[f].accuracy, 6)} for f in ra.per_field]
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


def print_comparison(data: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"Field accuracy: A {data['a']} → B {data['b']}")
    table.add_column("field", overflow="fold", min_width=24)
    for col in ("A", "B", "Δ"):
        table.add_column(col, justify="right", no_wrap=True)
    for row in data["fields"]:
        if row["delta"]:
            style = "green" if row["delta"] > 0 else "red"
            table.add_row(row["field"], f"{row['a']:.3f}", f"{row['b']:.3f}", f"{row['delta']:+.3f}", style=style)
    console.print(table)
    for key, style in (("worse", "red"), ("better", "green")):
        t = Table(title=f"notices that got {key}")
        for col in ("notice", "differences A", "differences B", "fields"):
            t.add_column(col, overflow="fold")
        for row in data[key]:
            t.add_row(row["doc"], str(row["a"]), str(row["b"]), ", ".join(row["fields"]), style=style)
        console.print(t)
    console.print(f"value F1 A {data['overall']['a']:.3f} → B {data['overall']['b']:.3f}")


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
