"""Review pages: one HTML page per notice, its text with every evidence span marked, and an index.

A reviewer checks a record against its notice: each field's row shows the
value as the record holds it (normalised: 2020-08-10, 317700) beside the
quote it was read from (2020810日, 31.77万元), and a click brings the span into
view.  Spans nest (the team number 九 inside the team 省委第九巡视组, the target
inside the opening), so marks nest too; every span has its own mark.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from typing import Any, Callable, Iterable, NamedTuple

from ..documents import SourceTexts
from ..fields import FIELDS, spec_of
from ..score.scoring import score_document
from .pages import _page, _value


class Diff(NamedTuple):
    """One difference from gold as the review page shows it."""

    field: str
    gold: Any
    output: Any


REVIEW_SCRIPT = """
document.querySelectorAll('button.field').forEach(function (b) {
  b.addEventListener('click', function () {
    document.querySelectorAll('mark.active').forEach(function (m) { m.classList.remove('active'); });
    var m = document.getElementById(b.dataset.target);
    if (m) { m.classList.add('active'); m.scrollIntoView({block: 'center'}); }
  });
});
document.querySelectorAll('mark[id]').forEach(function (m) {
  m.addEventListener('click', function (e) {
    e.stopPropagation();
    var b = document.querySelector('button.field[data-target="' + m.id + '"]');
    if (b) { b.scrollIntoView({block: 'center'}); b.focus(); }
  });
});
"""

_ORDER = {f.path: i for i, f in enumerate(FIELDS)}
_PART_ORDER = {"title": 0, "items": 1}  # a finding's title before its items


def field_order(path: str) -> tuple[Any, ...]:
    """Sort key of an evidence path: the registry's order of fields, then list positions as numbers."""
    spec = spec_of(path)
    rank = _ORDER.get(spec.path, len(_ORDER)) if spec else len(_ORDER)
    return (rank, *[(0, int(p), "") if p.isdigit() else (1, _PART_ORDER.get(p, 2), p) for p in path.split(".")])


def value_at(record: dict[str, Any] | None, path: str) -> Any:
    """The value at a dotted evidence path (``sections.2.items.0``, ``contact.phones.1``), or ``None``."""
    node: Any = record
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def _valid_spans(evidence: dict[str, dict[str, Any]], text: str) -> list[tuple[int, int, str]]:
    """Spans that index ``text`` exactly, outer before inner: by start, then longest first."""
    spans = [(v["start"], v["end"], path) for path, v in evidence.items()
             if isinstance(v.get("start"), int) and isinstance(v.get("end"), int)
             and 0 <= v["start"] < v["end"] <= len(text) and text[v["start"]:v["end"]] == v.get("quote")]
    return sorted(spans, key=lambda t: (t[0], -t[1], field_order(t[2])))


def marked_text(text: str, evidence: dict[str, dict[str, Any]]) -> tuple[str, dict[str, str]]:
    """The text as HTML with a ``<mark>`` per evidence span, nested where spans nest; and each path's mark id.

    A span that crosses another's end is split at it: its first part carries
    the id (what a click scrolls to), the rest is marked as a continuation.
    """
    pending = [(s, e, path, True) for s, e, path in _valid_spans(evidence, text)]
    ids = {path: f"span-{i}" for i, (_, _, path, _) in enumerate(pending)}
    out: list[str] = []
    stack: list[int] = []
    pos = 0

    def close_to(limit: int) -> None:
        nonlocal pos
        while stack and stack[-1] <= limit:
            end = stack.pop()
            out.append(escape(text[pos:end]) + "</mark>")
            pos = end

    while pending:
        start, end, path, first = pending.pop(0)
        close_to(start)
        if stack and end > stack[-1]:
            rest = (stack[-1], end, path, False)
            end = stack[-1]
            at = next((i for i, p in enumerate(pending) if (p[0], -p[1]) > (rest[0], -rest[1])), len(pending))
            pending.insert(at, rest)
        out.append(escape(text[pos:start]))
        pos = start
        attrs = f" id='{ids[path]}' data-tag='{escape(path)}'" if first else " class='cont'"
        out.append(f"<mark{attrs} data-field='{escape(path)}' title='{escape(path)}'>")
        stack.append(end)
    close_to(len(text))
    out.append(escape(text[pos:]))
    return "".join(out), ids


def _record_rows(line: dict[str, Any], ids: dict[str, str], diffs: list[Diff]) -> list[str]:
    """One row per evidence path in the registry's order: label, value, quote; gold beside a difference."""
    record, evidence = line.get("record") or {}, line.get("evidence") or {}
    by_field = {d.field: d for d in diffs}
    rows = []
    for path in sorted(evidence, key=field_order):
        spec = spec_of(path)
        label = f"{escape(spec.label)} " if spec and spec.label else ""
        diff = by_field.pop(path, None)
        gold = f"<br><span class='gold'>gold: {_value(diff.gold)}</span>" if diff else ""
        name = escape(path).replace(".", ".<wbr>").replace("_", "_<wbr>")  # break a long path between words only
        button = f"<button class='field' data-target='{ids[path]}'>{name}</button>" if path in ids else name
        rows.append(f"<tr{' class=diff' if diff else ''} data-field='{escape(path)}'><td>{label}{button}</td>"
                    f"<td class='value'>{_value(value_at(record, path))}{gold}</td>"
                    f"<td class='quote'>{escape(str(evidence[path].get('quote')))}</td></tr>")
    for d in sorted(by_field.values(), key=lambda d: field_order(d.field)):
        rows.append(f"<tr class='diff' data-field='{escape(d.field)}'><td>{escape(d.field)}</td>"
                    f"<td class='value'>{_value(d.output)}<br><span class='gold'>gold: {_value(d.gold)}</span></td>"
                    f"<td class='quote muted'>—</td></tr>")
    return rows


def review_page(line: dict[str, Any], text: str, differences: list[Diff] | None = None) -> str:
    """One notice: its text with every evidence span highlighted and labelled, the record beside it."""
    body_text, ids = marked_text(text, line.get("evidence") or {})
    rows = _record_rows(line, ids, differences or [])
    head = (f"<h1>{escape(str(line.get('doc')))}</h1><p>status <b>{escape(str(line.get('status')))}</b> · backend "
            f"{escape(str(line.get('backend')))}{' · ' + escape(str(line.get('error'))) if line.get('error') else ''}</p>")
    body = (head + "<div class='layout'><div class='text' id='text'>" + body_text + "</div>"
            "<div class='record'><table id='record'><tr><th>field</th><th>value</th><th>quote</th></tr>"
            + "".join(rows) + "</table><details><summary>record JSON</summary><pre>"
            + escape(json.dumps(line.get("record"), ensure_ascii=False, indent=1)) + "</pre></details></div></div>")
    return _page(f"review {line.get('doc')}", body, REVIEW_SCRIPT)


class IndexEntry(NamedTuple):
    """One notice in the review index."""

    doc: str
    href: str
    status: str
    differences: int
    issuer: str
    target: str
    date: str


def review_index(entries: list[IndexEntry]) -> str:
    """The index: each notice with who issued it about whom and when, its status and gold differences."""
    rows = "".join(f"<tr><td><a href='{escape(e.href)}'>{escape(e.doc)}</a></td><td>{escape(e.issuer)}</td>"
                   f"<td>{escape(e.target)}</td><td>{escape(e.date)}</td><td>{escape(e.status)}</td>"
                   f"<td class='num'>{e.differences}</td></tr>" for e in entries)
    return _page("review", "<h1>Review</h1><table id='index'><tr><th>notice</th><th>issuer</th><th>target</th>"
                           f"<th>date</th><th>status</th><th>gold differences</th></tr>{rows}</table>")


def _entry(line: dict[str, Any], name: str, n_diffs: int) -> IndexEntry:
    r = line.get("record") or {}
    date = r.get("publish_date") or r.get("feedback_date") or r.get("inspection_start") or "—"
    return IndexEntry(str(line.get("doc")), name, str(line.get("status")), n_diffs, r.get("issuer") or "—",
                      r.get("target") or "—", str(date))


def write_review(lines: Iterable[dict[str, Any]], out: Path, gold: dict[str, dict[str, Any]],
                 warn: Callable[[str], None] = lambda _: None) -> int:
    """Write the pages for every output line (:func:`~llm_extract.score.runs.output_lines`) into ``out``; returns how many."""
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    text_of = SourceTexts()
    for line in lines:
        doc = str(line.get("doc"))
        text = text_of(line.get("source"))
        if text is None:
            warn(f"{doc}: its text ({line.get('source')}) cannot be read; page shows the record only")
            text = ""
        diffs = [Diff(d.field, d.gold, d.pred) for d in score_document(doc, gold[doc], line.get("record")).differences] \
            if doc in gold else []
        name = re.sub(r"[^\w.-]", "_", doc) + ".html"
        (out / name).write_text(review_page(line, text, diffs), encoding="utf-8")
        entries.append(_entry(line, name, len(diffs)))
    (out / "index.html").write_text(review_index(entries), encoding="utf-8")
    return len(entries)
