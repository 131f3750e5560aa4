"""What people read on the terminal: eval and comparison tables, records, run summaries, backends."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..score.scoring import EvalResult, iter_rows
from .files import _fmt, _short
from .summary import DISCIPLINE, MONEY


def fold_name(name: str, width: int, seps: str = "._") -> str:
    """``name`` broken into lines of at most ``width``, at its separators: dots first, then underscores.

    Field paths and document ids are read word by word; a break inside
    ``discipline`` makes them unreadable.  Only a single word longer than
    ``width`` is cut inside.
    """
    if len(name) <= width or width < 4 or not seps:
        return name if len(name) <= width or width < 4 else "\n".join(name[i:i + width] for i in range(0, len(name), width))
    sep, rest = seps[0], seps[1:]
    pieces = [p + sep for p in name.split(sep)]
    pieces[-1] = pieces[-1][:-1]
    lines: list[str] = []
    for piece in pieces:
        if lines and len(lines[-1]) + len(piece) <= width:
            lines[-1] += piece
        elif len(piece) <= width:
            lines.append(piece)
        else:
            lines.extend(fold_name(piece, width, rest).split("\n"))
    return "\n".join(lines)


def _room(console: Console, fixed: int, columns: int, least: int = 12) -> int:
    """Characters left for the one flexible column after ``fixed`` content and ``columns`` columns' borders."""
    return max(least, console.width - fixed - 3 * columns - 1)


def print_eval(result: EvalResult, meta: dict[str, Any], out: Console, err: Console, *, quiet: bool = False) -> None:
    """The eval on the terminal: the full report, or (``quiet``) one score line on stdout and provenance on stderr."""
    from .files import headline

    if not quiet:
        print_report(result, out, backend=meta.get("backend"))
        return
    o = result.overall
    out.print(f"value precision {_fmt(o.precision)} recall {_fmt(o.recall)} F1 {_fmt(o.f1)}", highlight=False)
    err.print("\n".join(escape(x) for x in headline(result, meta)[1:]))


def unmatched_note(unmatched: list[str], total: int, results: Any) -> str:
    """What ``batch collect`` says of documents with no line in the provider's results file."""
    if len(unmatched) == total:
        return (f"no line of {results} answers any of the {total} documents (a result's custom_id must be the "
                "document id): every record is the rules backend's fallback")
    return (f"{len(unmatched)} of {total} documents have no result line in {results} and fell back to rules: "
            f"{', '.join(unmatched[:5])}{' …' if len(unmatched) > 5 else ''}")


def print_report(result: EvalResult, console: Console | None = None, *, show_differences: int = 40,
                 backend: str | None = None) -> None:
    """The eval on the terminal: provenance first, fields (registry order), families, differences, the score.

    Fits 80 columns: short headers, field names folded at their dots, no column dropped.
    """
    console = console or Console()
    from .files import headline

    head = headline(result, {"backend": backend} if backend else None)
    console.print(escape(head[1]))
    if result.label:
        console.print(f"[bold red]{escape(result.label)}[/bold red]")
    room = _room(console, fixed=4 * 5 + 4 + 6, columns=7)
    table = Table(title="Field accuracy (– nothing to score; gold, output: how many values each has)",
                  caption="acc: documents agreeing · P/R/F1 over non-null values")
    table.add_column("field", no_wrap=True, max_width=room)
    for col in ("acc", "P", "R", "F1", "gold", "output"):
        table.add_column(col, justify="right", no_wrap=True)
    for row in iter_rows(result):
        acc = row["accuracy"]
        style = None if acc is None else "red" if acc < 0.8 else "yellow" if acc < 1 else None
        table.add_row(fold_name(row["field"], room), _fmt(acc), _fmt(row["precision"]),
                      _fmt(row["recall"]), _fmt(row["f1"]), str(row["gold"]), str(row["output"]), style=style)
    console.print(table)
    fam = Table(title="Field families")
    for col in ("family", "P", "R", "F1", "gold", "output"):
        fam.add_column(col, justify="left" if col == "family" else "right", no_wrap=True)
    for name, c in result.per_family().items():
        fam.add_row(name, _fmt(c.precision), _fmt(c.recall), _fmt(c.f1), str(c.gold), str(c.pred))
    console.print(fam)
    _print_differences(result, console, show_differences)
    console.print(f"[bold]{escape(head[0])}[/bold]")
    if result.missing_predictions:
        console.print(f"[red]no output line for: {escape(', '.join(result.missing_predictions))}[/red]")


def _print_differences(result: EvalResult, console: Console, limit: int) -> None:
    """The first ``limit`` differences; document ids and field names folded at separators, values folded anywhere."""
    diffs = [d for doc in result.documents for d in doc.differences]
    if not diffs:
        console.print("differences: none")
        return
    name_room = max(12, (console.width - 16) // 4)
    t = Table(title=f"Differences ({len(diffs)}; first {min(len(diffs), limit)})")
    t.add_column("doc", no_wrap=True, max_width=name_room)
    t.add_column("field", no_wrap=True, max_width=name_room)
    t.add_column("kind", no_wrap=True)
    t.add_column("gold", overflow="fold", ratio=1)
    t.add_column("output", overflow="fold", ratio=1)
    for d in diffs[:limit]:
        t.add_row(escape(fold_name(d.doc, name_room)), escape(fold_name(d.field, name_room)), d.kind.replace("false_positive", "extra"),
                  escape(_short(d.gold)), escape(_short(d.pred)))
    console.print(t)


def print_comparison(data: dict[str, Any], console: Console | None = None) -> None:
    """Two runs against gold: the fields whose accuracy changed (with their gold counts), notices worse and better.

    An empty table is printed as one line saying "none".
    """
    console = console or Console()
    changed = [row for row in data["fields"] if row["delta"]]
    if changed:
        room = _room(console, fixed=5 * 3 + 6 + 4, columns=5)
        table = Table(title=f"Field accuracy: A {escape(data['a'])} → B {escape(data['b'])}")
        table.add_column("field", no_wrap=True, max_width=room)
        for col in ("A", "B", "Δ", "gold"):
            table.add_column(col, justify="right", no_wrap=True)
        for row in changed:
            style = "green" if row["delta"] > 0 else "red"
            table.add_row(fold_name(row["field"], room), f"{row['a']:.3f}", f"{row['b']:.3f}", f"{row['delta']:+.3f}",
                          str(row["gold"]), style=style)
        console.print(table)
    else:
        console.print("fields whose accuracy changed: none")
    for key, style in (("worse", "red"), ("better", "green")):
        if not data[key]:
            console.print(f"notices that got {key}: none")
            continue
        room = max(12, (console.width - 30) // 2)
        t = Table(title=f"notices that got {key}")
        t.add_column("notice", no_wrap=True, max_width=room)
        t.add_column("diffs A", justify="right", no_wrap=True)
        t.add_column("diffs B", justify="right", no_wrap=True)
        t.add_column("fields", ratio=1)
        for row in data[key]:
            t.add_row(escape(fold_name(row["doc"], room)), str(row["a"]), str(row["b"]), escape(", ".join(row["fields"])),
                      style=style)
        console.print(t)
    console.print(f"value F1 A {_fmt(data['overall']['a'])} → B {_fmt(data['overall']['b'])}")


def _v(x: Any) -> str:
    return "—" if x is None else str(x)


def record_table(line: dict[str, Any]) -> Table:
    """One notice's main facts as a small two-column table (readable in 80 columns)."""
    r = line.get("record") or {}
    o, p, c = r.get("outcomes") or {}, r.get("plan") or {}, r.get("contact") or {}
    sections = r.get("sections") or []
    table = Table(title=escape(f"{line.get('doc')} · {line.get('status')}"), show_header=False, title_justify="left")
    table.add_column("field", style="dim", no_wrap=True)
    table.add_column("value", overflow="fold")
    if line.get("error"):
        table.add_row("error", escape(str(line["error"])))
    for name, value in (
        ("issuer · target", f"{_v(r.get('issuer'))} · {_v(r.get('target'))}"),
        ("team · type", f"{_v(r.get('inspection_body'))} · {_v(r.get('inspection_type'))} · round {_v(r.get('round'))}"),
        ("dates", f"on site {_v(r.get('inspection_start'))} to {_v(r.get('inspection_end'))}, feedback "
                  f"{_v(r.get('feedback_date'))}, published {_v(r.get('publish_date'))}"),
        ("plan", f"{_v(p.get('problem_areas'))} areas, {_v(p.get('problems'))} problems, "
                 f"{_v(p.get('measures'))} measures, {_v(p.get('problems_rectified'))} rectified"),
        ("discipline", _labelled(o, DISCIPLINE)),
        ("money (yuan)", _labelled(o, MONEY)),
        ("findings", f"{len(sections)} with {sum(len(x.get('items') or []) for x in sections)} items"
                     + (f"; first: {sections[0]['title']}" if sections else "")),
        ("contact", ", ".join([*c.get("phones", []), *c.get("emails", [])]) or "—"),
    ):
        table.add_row(name, escape(value))
    return table


def _labelled(outcomes: dict[str, Any], keys: tuple[str, ...]) -> str:
    """``党纪处分 94, 政务处分 16, …``: each figure behind its registry label."""
    from ..fields import BY_PATH

    return ", ".join(f"{BY_PATH['outcomes.' + k].label} {_v(outcomes.get(k))}" for k in keys)


def run_summary(counts: dict[str, int], usage: dict[str, float], backend: str, out: str) -> Table:
    """The table printed after a run: documents by status, then tokens and cost."""
    table = Table(title=f"llm-extract · backend {escape(backend)} → {escape(out)}")
    table.add_column("status")
    table.add_column("documents", justify="right")
    for status, n in sorted(counts.items()):
        table.add_row(status, str(n))
    table.add_row("[bold]total[/bold]", f"[bold]{sum(counts.values())}[/bold]")
    for key, value in (usage or {}).items():
        table.add_row(f"[dim]{key}[/dim]", f"{value:,.4f}" if key == "cost" else f"{int(value):,}")
    return table


def backends_table(statuses: list[dict[str, Any]], width: int = 100) -> Table:
    """``rules`` first, then each configured backend: whether its key is set and its server answers.

    Variable names are never cut (they are what a person must type); model,
    mode and address share a column, the address folded at its ``/`` and
    ``.``, so the table fits ``width`` columns (80 included).
    """
    room = max(16, width - 13 - 8 - 17 - 14)
    table = Table(title="backends")
    table.add_column("name", no_wrap=True)
    table.add_column("model · mode · address", no_wrap=True, max_width=room)
    table.add_column("key", no_wrap=True)
    table.add_column("usable · server", overflow="fold", max_width=14)
    table.add_row("rules", "offline", "not needed", "[green]yes[/green]")
    for s in statuses:
        var, _, state = s["key"].rpartition(" ")
        key = "not needed" if s["key"] == "not needed" else f"{escape(var)}\n{'[red]unset[/red]' if s['key_missing'] else state}"
        model = fold_name(f"{s['model']} · {s['mode']}", room, " ")
        usable = "[green]yes[/green]" if s["usable"] else "no"
        table.add_row(escape(s["name"]), escape(model + "\n" + fold_name(s["base_url"], room, "/.")), key,
                      f"{usable}\n{escape(s['server'])}")
    return table
