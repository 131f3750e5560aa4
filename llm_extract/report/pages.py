"""Self-contained HTML for people: the eval report, run comparisons, and review pages.

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
.record table{width:100%;table-layout:fixed}.record td{word-break:break-all}.record td:first-child{width:45%}
mark{background:#fff1a8;border-bottom:2px solid #e0b000;padding:0 1px;cursor:pointer}
mark.active{background:#ffb347;outline:2px solid #d9534f}
mark .tag{font-size:.65rem;color:#7a5b00;vertical-align:super;margin-left:1px}
button.field{background:none;border:none;color:#1a5fb4;cursor:pointer;padding:0;text-align:left;font:inherit}
button.field:hover{text-decoration:underline}
tr.diff td{background:#fde8e8}
.muted{color:#777}
"""


def _page(title: str, body: str, script: str = "") -> str:
    return (f"<!DOCTYPE html><html lang='zh'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{CSS}</style></head>"
            f"<body>{body}{f'<script>{script}</script>' if script else ''}</body></html>")


def _cls(acc: float) -> str:
    return "good" if acc >= 0.999 else "warn" if acc >= 0.8 else "bad"


def _value(v: Any) -> str:
    if v is None:
        return "<span class='muted'>—</span>"
    if isinstance(v, (dict, list)):
        return escape(json.dumps(v, ensure_ascii=False))
    return escape(str(v))


def accuracy_chart(rows: list[dict[str, Any]]) -> str:
    """A horizontal bar chart of per-field accuracy, as inline SVG."""
    height = 16 * len(rows) + 20
    bars = []
    for i, row in enumerate(rows):
        y = 10 + i * 16
        w = round(300 * row["accuracy"], 1)
        colour = "#3c9a5f" if row["accuracy"] >= 0.999 else "#e0a800" if row["accuracy"] >= 0.8 else "#d9534f"
        bars.append(f"<text x='0' y='{y + 10}' font-size='10'>{escape(row['field'])}</text>"
                    f"<rect x='330' y='{y}' width='{w}' height='12' fill='{colour}'/>"
                    f"<text x='{335 + w}' y='{y + 10}' font-size='10'>{row['accuracy']:.2f}</text>")
    return (f"<svg id='accuracy-chart' role='img' aria-label='per-field accuracy' xmlns='http://www.w3.org/2000/svg' "
            f"width='700' height='{height}'>{''.join(bars)}</svg>")


def report_html(result: EvalResult, meta: dict[str, Any] | None = None) -> str:
    o = result.overall
    rows = list(iter_rows(result))
    parts = [f"<h1>Eval report</h1><p>Value F1 <b>{o.f1:.3f}</b> (precision {o.precision:.3f}, recall "
             f"{o.recall:.3f}) over {o.gold} gold values in {len(result.documents)} notices.</p>"]
    if meta:
        parts.append("<p class='muted'>" + " · ".join(f"{escape(k)}: {escape(str(v))}" for k, v in meta.items()) + "</p>")
    parts.append("<h2>Field families</h2><table id='families'><tr><th>family</th><th>precision</th><th>recall</th>"
                 "<th>F1</th><th>gold</th><th>output</th></tr>")
    for name, c in result.per_family().items():
        parts.append(f"<tr class='{_cls(c.f1)}'><td>{name}</td><td class='num'>{c.precision:.3f}</td>"
                     f"<td class='num'>{c.recall:.3f}</td><td class='num'>{c.f1:.3f}</td>"
                     f"<td class='num'>{c.gold}</td><td class='num'>{c.pred}</td></tr>")
    parts.append("</table><h2>Per-field accuracy</h2>" + accuracy_chart(rows))
    parts.append("<table id='fields'><tr><th>field</th><th>family</th><th>accuracy</th><th></th><th>precision</th>"
                 "<th>recall</th><th>F1</th><th>gold</th><th>output</th></tr>")
    for r in rows:
        parts.append(f"<tr class='{_cls(r['accuracy'])}'><td>{escape(r['field'])}</td><td>{r['family']}</td>"
                     f"<td class='num'>{r['accuracy']:.3f}</td><td><span class='bar' style='width:{r['accuracy'] * 80:.0f}px'>"
                     f"</span></td><td class='num'>{r['precision']:.3f}</td><td class='num'>{r['recall']:.3f}</td>"
                     f"<td class='num'>{r['f1']:.3f}</td><td class='num'>{r['gold']}</td><td class='num'>{r['pred']}</td></tr>")
    parts.append("</table><h2>Disagreements</h2><table id='disagreements'><tr><th>notice</th><th>field</th><th>kind</th>"
                 "<th>gold</th><th>output</th><th>evidence</th></tr>")
    n = 0
    for doc in result.documents:
        for d in doc.differences:
            n += 1
            parts.append(f"<tr><td>{escape(d.doc)}</td><td>{escape(d.field)}</td><td>{d.kind}</td><td>{_value(d.gold)}</td>"
                         f"<td>{_value(d.pred)}</td><td>{_value(d.quote)}</td></tr>")
    if not n:
        parts.append("<tr><td colspan='6' class='muted'>none: every field agrees with gold</td></tr>")
    parts.append("</table>")
    return _page("Eval report", "".join(parts))


def compare_html(data: dict[str, Any]) -> str:
    parts = [f"<h1>Comparison</h1><p>A: {escape(data['a'])}<br>B: {escape(data['b'])}</p>",
             f"<p>Value F1: A {data['overall']['a']:.3f} → B {data['overall']['b']:.3f} "
             f"(Δ {data['overall']['b'] - data['overall']['a']:+.3f})</p>",
             "<h2>Fields that changed</h2><table id='field-deltas'><tr><th>field</th><th>A</th><th>B</th><th>Δ</th></tr>"]
    for row in data["fields"]:
        if row["delta"]:
            cls = "good" if row["delta"] > 0 else "bad"
            parts.append(f"<tr class='{cls}'><td>{escape(row['field'])}</td><td class='num'>{row['a']:.3f}</td>"
                         f"<td class='num'>{row['b']:.3f}</td><td class='num'>{row['delta']:+.3f}</td></tr>")
    parts.append("</table>")
    for title, key in (("Notices that got worse", "worse"), ("Notices that got better", "better")):
        parts.append(f"<h2>{title}</h2><table id='{key}'><tr><th>notice</th><th>differences A</th>"
                     "<th>differences B</th><th>fields</th></tr>")
        for row in data[key]:
            parts.append(f"<tr><td>{escape(row['doc'])}</td><td class='num'>{row['a']}</td><td class='num'>{row['b']}</td>"
                         f"<td>{escape(', '.join(row['fields']))}</td></tr>")
        parts.append("</table>")
    return _page("Comparison", "".join(parts))


REVIEW_SCRIPT = """
document.querySelectorAll('button.field').forEach(function (b) {
  b.addEventListener('click', function () {
    document.querySelectorAll('mark.active').forEach(function (m) { m.classList.remove('active'); });
    var m = document.getElementById(b.dataset.target);
    if (m) { m.classList.add('active'); m.scrollIntoView({block: 'center'}); }
  });
});
document.querySelectorAll('mark').forEach(function (m) {
  m.addEventListener('click', function () {
    var b = document.querySelector('button.field[data-target="' + m.id + '"]');
    if (b) { b.scrollIntoView({block: 'center'}); b.focus(); }
  });
});
"""


def review_page(line: dict[str, Any], text: str, differences: dict[str, tuple[Any, Any]] | None = None) -> str:
    """One notice: its text with every evidence span highlighted and labelled, the record beside it."""
    evidence = line.get("evidence") or {}
    spans = sorted(((v["start"], v["end"], path) for path, v in evidence.items()
                    if 0 <= v["start"] < v["end"] <= len(text) and text[v["start"]:v["end"]] == v["quote"]),
                   key=lambda t: (t[0], -t[1]))
    ids = {path: f"span-{i}" for i, (_, _, path) in enumerate(spans)}
    out, pos = [], 0
    for start, end, path in spans:
        if start < pos:
            continue  # overlapping spans: the first stays highlighted, the field still lists its quote
        out.append(escape(text[pos:start]))
        out.append(f"<mark id='{ids[path]}' data-field='{escape(path)}' title='{escape(path)}'>{escape(text[start:end])}"
                   f"<span class='tag'>{escape(path)}</span></mark>")
        pos = end
    out.append(escape(text[pos:]))
    differences = differences or {}
    rows = []
    for path, span in sorted(evidence.items()):
        target = ids.get(path, "")
        cls = " class='diff'" if path in differences else ""
        gold = f"<br><span class='muted'>gold: {_value(differences[path][0])}</span>" if path in differences else ""
        rows.append(f"<tr{cls}><td><button class='field' data-target='{target}'>{escape(path)}</button></td>"
                    f"<td>{escape(span['quote'])}{gold}</td></tr>")
    for path, (gold_value, _) in sorted(differences.items()):
        if path not in evidence:
            rows.append(f"<tr class='diff'><td>{escape(path)}</td><td><span class='muted'>missing; gold: "
                        f"{_value(gold_value)}</span></td></tr>")
    head = (f"<h1>{escape(str(line.get('doc')))}</h1><p>status <b>{escape(str(line.get('status')))}</b> · backend "
            f"{escape(str(line.get('backend')))}{' · ' + escape(str(line.get('error'))) if line.get('error') else ''}</p>")
    body = (head + "<div class='layout'><div class='text' id='text'>" + "".join(out) + "</div>"
            "<div class='record'><table id='record'><tr><th>field</th><th>value as quoted</th></tr>"
            + "".join(rows) + "</table><details><summary>record JSON</summary><pre>"
            + escape(json.dumps(line.get("record"), ensure_ascii=False, indent=1)) + "</pre></details></div></div>")
    return _page(f"review {line.get('doc')}", body, REVIEW_SCRIPT)


def review_index(entries: list[tuple[str, str, str, int]]) -> str:
    rows = "".join(f"<tr><td><a href='{escape(href)}'>{escape(doc)}</a></td><td>{escape(status)}</td>"
                   f"<td class='num'>{n}</td></tr>" for doc, href, status, n in entries)
    return _page("review", "<h1>Review</h1><table id='index'><tr><th>notice</th><th>status</th>"
                           f"<th>gold differences</th></tr>{rows}</table>")
