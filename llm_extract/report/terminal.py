"""What people read on the terminal: eval and comparison tables, records, run summaries, backends."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..score.scoring import EvalResult, iter_rows
from .files import _fmt, _short


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




def _v(x: Any) -> str:
    return "—" if x is None else str(x)


def record_table(line: dict[str, Any]) -> Table:
    """One notice's main facts as a small two-column table (readable in 80 columns)."""
    r = line.get("record") or {}
    o, p, c = r.get("outcomes") or {}, r.get("plan") or {}, r.get("contact") or {}
    sections = r.get("sections") or []
    table = Table(title=f"{line.get('doc')} · {line.get('status')}", show_header=False, title_justify="left")
    table.add_column("field", style="dim", no_wrap=True)
    table.add_column("value", overflow="fold")
    if line.get("error"):
        table.add_row("error", str(line["error"]))
    for name, value in (
        ("issuer · target", f"{_v(r.get('issuer'))} · {_v(r.get('target'))}"),
        ("team · type", f"{_v(r.get('inspection_body'))} · {_v(r.get('inspection_type'))} · round {_v(r.get('round'))}"),
        ("dates", f"on site {_v(r.get('inspection_start'))} to {_v(r.get('inspection_end'))}, feedback "
                  f"{_v(r.get('feedback_date'))}, published {_v(r.get('publish_date'))}"),
        ("plan", f"{_v(p.get('problem_areas'))} areas, {_v(p.get('problems'))} problems, "
                 f"{_v(p.get('measures'))} measures, {_v(p.get('problems_rectified'))} rectified"),
        ("discipline", _labelled(o, ("party_discipline", "government_discipline", "combined_discipline",
                                     "organizational_handling", "admonishment", "education_reminder"))),
        ("money (yuan)", _labelled(o, ("funds_returned", "funds_confiscated", "losses_recovered"))),
        ("findings", f"{len(sections)} with {sum(len(x.get('items') or []) for x in sections)} items"
                     + (f"; first: {sections[0]['title']}" if sections else "")),
        ("contact", ", ".join([*c.get("phones", []), *c.get("emails", [])]) or "—"),
    ):
        table.add_row(name, value)
    return table


def _labelled(outcomes: dict[str, Any], keys: tuple[str, ...]) -> str:
    """``党纪处分 94, 政务处分 16, …``: each figure behind its registry label."""
    from ..fields import BY_PATH

    return ", ".join(f"{BY_PATH['outcomes.' + k].label} {_v(outcomes.get(k))}" for k in keys)


def run_summary(counts: dict[str, int], usage: dict[str, float], backend: str, out: str) -> Table:
    """The table printed after a run: documents by status, then tokens and cost."""
    table = Table(title=f"llm-extract · backend {backend} → {out}")
    table.add_column("status")
    table.add_column("documents", justify="right")
    for status, n in sorted(counts.items()):
        table.add_row(status, str(n))
    table.add_row("[bold]total[/bold]", f"[bold]{sum(counts.values())}[/bold]")
    for key, value in (usage or {}).items():
        table.add_row(f"[dim]{key}[/dim]", f"{value:,.4f}" if key == "cost" else f"{int(value):,}")
    return table


def backends_table(statuses: list[dict[str, Any]]) -> Table:
    """``rules`` first, then each configured backend: whether its key is set and its server answers."""
    table = Table(title="backends")
    for col in ("name", "model", "base_url", "mode", "key", "server", "usable"):
        table.add_column(col)
    table.add_row("rules", "—", "offline", "—", "not needed", "not needed", "[green]yes (default)[/green]")
    for s in statuses:
        key = f"[red]{escape(s['key'])}[/red]" if s["key_missing"] else escape(s["key"])
        table.add_row(escape(s["name"]), escape(s["model"]), escape(s["base_url"]), s["mode"], key,
                      escape(s["server"]), "[green]yes[/green]" if s["usable"] else "no")
    return table
