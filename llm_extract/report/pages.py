"""Self-contained HTML for people: the eval report and run comparisons (review pages: :mod:`.review`).

Every page inlines its CSS, chart (SVG) and script, and loads nothing from
anywhere, so it works from ``file://`` and offline.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from ..score.scoring import EvalResult, iter_rows

CSS = """
body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC",sans-serif;margin:1.5rem;color:#222;line-height:1.5}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;vertical-align:top;text-align:left}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.bad{background:#fde8e8}.warn{background:#fff6dd}.good{background:#e9f7ee}
.bar{display:inline-block;height:.7rem;background:#4a7bd0;vertical-align:middle}
.layout{display:flex;gap:1.5rem;align-items:flex-start}
.text{flex:3;white-space:pre-wrap;border:1px solid #ddd;padding:1rem;max-height:85vh;overflow:auto;font-size:.95rem}
.record{flex:2;max-height:85vh;overflow:auto;font-size:.85rem}
.record table{width:100%;table-layout:fixed}.record td{word-break:break-all}.record td:first-child{width:36%;word-break:normal}
.gold{color:#8a1f11}
mark{background:#fff1a8;border-bottom:2px solid #e0b000;padding:0 1px;cursor:pointer}
mark mark{background:#ffe066;border-bottom-color:#b07d00}
mark.active,mark mark.active{background:#ffb347;outline:2px solid #d9534f}
mark[data-tag]::after{content:attr(data-tag);font-size:.65rem;color:#7a5b00;vertical-align:super;margin-left:1px}
button.field{background:none;border:none;color:#1a5fb4;cursor:pointer;padding:0;text-align:left;font:inherit}
button.field:hover{text-decoration:underline}
tr.diff td{background:#fde8e8}
.muted{color:#777}
"""


def _page(title: str, body: str, script: str = "") -> str:
    return (f"<!DOCTYPE html><html lang='zh'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{CSS}</style></head>"
            f"<body>{body}{f'<script>{script}</script>' if script else ''}</body></html>")


def _cls(acc: float | None) -> str:
    if acc is None:
        return "muted"
    return "good" if acc >= 0.999 else "warn" if acc >= 0.8 else "bad"


#: Shown where there is nothing to score (no gold value and no output value).
NOTHING = "–"


def _num(x: float | None) -> str:
    """A figure to three decimals, or "–" where there is nothing to score."""
    return NOTHING if x is None else f"{x:.3f}"


def _value(v: Any) -> str:
    if v is None:
        return "<span class='muted'>—</span>"
    if isinstance(v, (dict, list)):
        return escape(json.dumps(v, ensure_ascii=False))
    return escape(str(v))


def accuracy_chart(rows: list[dict[str, Any]]) -> str:
    """A horizontal bar chart of per-field accuracy with each field's gold count, as inline SVG.

    A field with nothing to score gets no bar and "–", not a full green one.
    """
    height = 16 * len(rows) + 20
    bars = []
    for i, row in enumerate(rows):
        y = 10 + i * 16
        acc = row["accuracy"]
        label = f"<text x='0' y='{y + 10}' font-size='10'>{escape(row['field'])} ({row['gold']} gold)</text>"
        if acc is None:
            bars.append(label + f"<text x='335' y='{y + 10}' font-size='10' fill='#777'>– nothing to score</text>")
            continue
        w = round(300 * acc, 1)
        colour = "#3c9a5f" if acc >= 0.999 else "#e0a800" if acc >= 0.8 else "#d9534f"
        bars.append(label + f"<rect x='330' y='{y}' width='{w}' height='12' fill='{colour}'/>"
                    f"<text x='{335 + w}' y='{y + 10}' font-size='10'>{acc:.2f}</text>")
    return (f"<svg id='accuracy-chart' role='img' aria-label='per-field accuracy' xmlns='http://www.w3.org/2000/svg' "
            f"width='720' height='{height}'>{''.join(bars)}</svg>")


def _in_context(d: Any) -> str:
    """The evidence cell: the quote marked inside a few characters of its text, or the bare quote."""
    if d.context:
        before, quote, after = d.context
        return f"<span class='muted'>…{escape(before)}</span><mark>{escape(quote)}</mark><span class='muted'>{escape(after)}…</span>"
    return _value(d.quote) if d.quote else ""


def report_html(result: EvalResult, meta: dict[str, Any] | None = None, headline: list[str] | None = None) -> str:
    """The eval report: headline with provenance, families, per-field chart and table, every disagreement."""
    rows = list(iter_rows(result))
    headline = headline or []
    parts = ["<h1>Eval report</h1>"]
    if headline:
        parts.append(f"<p id='score'><b>{escape(headline[0])}</b></p><p id='provenance'>{escape(headline[1])}</p>")
    if result.label:
        parts.append(f"<p id='score-label' class='bad'><b>{escape(result.label)}</b></p>")
    if meta:
        parts.append("<p class='muted'>" + " · ".join(f"{escape(k)}: {escape(str(v))}" for k, v in meta.items()) + "</p>")
    parts.append("<h2>Field families</h2><table id='families'><tr><th>family</th><th>precision</th><th>recall</th>"
                 "<th>F1</th><th>gold</th><th>output</th></tr>")
    for name, c in result.per_family().items():
        parts.append(f"<tr class='{_cls(c.f1)}'><td>{name}</td><td class='num'>{_num(c.precision)}</td>"
                     f"<td class='num'>{_num(c.recall)}</td><td class='num'>{_num(c.f1)}</td>"
                     f"<td class='num'>{c.gold}</td><td class='num'>{c.pred}</td></tr>")
    parts.append("</table><h2>Per-field accuracy</h2><p class='muted'>“–”: neither gold nor output has a value "
                 "there, so there is nothing to score.</p>" + accuracy_chart(rows))
    parts.append("<table id='fields'><tr><th>field</th><th>family</th><th>accuracy</th><th></th><th>precision</th>"
                 "<th>recall</th><th>F1</th><th>gold</th><th>output</th></tr>")
    for r in rows:
        width = 0 if r["accuracy"] is None else r["accuracy"] * 80
        parts.append(f"<tr class='{_cls(r['accuracy'])}'><td>{escape(r['field'])}</td><td>{r['family']}</td>"
                     f"<td class='num'>{_num(r['accuracy'])}</td><td><span class='bar' style='width:{width:.0f}px'>"
                     f"</span></td><td class='num'>{_num(r['precision'])}</td><td class='num'>{_num(r['recall'])}</td>"
                     f"<td class='num'>{_num(r['f1'])}</td><td class='num'>{r['gold']}</td>"
                     f"<td class='num'>{r['output']}</td></tr>")
    parts.append("</table><h2>Disagreements</h2><table id='disagreements'><tr><th>notice</th><th>field</th><th>kind</th>"
                 "<th>gold</th><th>output</th><th>evidence in context</th></tr>")
    n = 0
    for doc in result.documents:
        for d in doc.differences:
            n += 1
            parts.append(f"<tr><td>{escape(d.doc)}</td><td>{escape(d.field)}</td><td>{d.kind}</td><td>{_value(d.gold)}</td>"
                         f"<td>{_value(d.pred)}</td><td>{_in_context(d)}</td></tr>")
    if not n:
        parts.append("<tr><td colspan='6' class='muted'>none: every field agrees with gold</td></tr>")
    parts.append("</table>")
    return _page("Eval report", "".join(parts))


def compare_html(data: dict[str, Any]) -> str:
    fa, fb = data["overall"]["a"], data["overall"]["b"]
    delta = f" (Δ {fb - fa:+.3f})" if fa is not None and fb is not None else ""
    parts = [f"<h1>Comparison</h1><p>A: {escape(data['a'])}<br>B: {escape(data['b'])}</p>",
             f"<p>Value F1: A {_num(fa)} → B {_num(fb)}{delta}</p>",
             "<h2>Fields that changed</h2><table id='field-deltas'><tr><th>field</th><th>A</th><th>B</th><th>Δ</th><th>gold</th></tr>"]
    changed = [row for row in data["fields"] if row["delta"]]
    for row in changed:
        cls = "good" if row["delta"] > 0 else "bad"
        parts.append(f"<tr class='{cls}'><td>{escape(row['field'])}</td><td class='num'>{row['a']:.3f}</td>"
                     f"<td class='num'>{row['b']:.3f}</td><td class='num'>{row['delta']:+.3f}</td>"
                     f"<td class='num'>{row['gold']}</td></tr>")
    if not changed:
        parts.append("<tr><td colspan='5' class='muted'>none</td></tr>")
    parts.append("</table>")
    for title, key in (("Notices that got worse", "worse"), ("Notices that got better", "better")):
        parts.append(f"<h2>{title}</h2><table id='{key}'><tr><th>notice</th><th>differences A</th>"
                     "<th>differences B</th><th>fields</th></tr>")
        for row in data[key]:
            parts.append(f"<tr><td>{escape(row['doc'])}</td><td class='num'>{row['a']}</td><td class='num'>{row['b']}</td>"
                         f"<td>{escape(', '.join(row['fields']))}</td></tr>")
        if not data[key]:
            parts.append("<tr><td colspan='4' class='muted'>none</td></tr>")
        parts.append("</table>")
    return _page("Comparison", "".join(parts))
