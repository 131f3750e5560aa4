"""A corpus at a glance: totals and distributions over a run, on the terminal and as a self-contained HTML page.

Analysts tracking inspections across many counties ask first: how many
notices, from which years and which level of the party hierarchy, how many
people disciplined, how much money.  The level is read from the issuer's
name (else the target's): the last administrative unit it names decides
(中共东阳市委 is a city, 南湾区委 a county-level district), and a department,
company or school (…局党组, …公司) is a bureau.
"""

from __future__ import annotations

import re
from pathlib import Path
from collections import Counter
from html import escape
from typing import Any

from rich.table import Table

from ..fields import BY_PATH
from .pages import _page

LEVELS = ("province", "city", "county", "bureau", "unknown")
_BUREAU = re.compile(r"局|厅|办公室|公司|集团|医院|学校|学院|大学|研究院|中心|银行|党组|党校|联合会|协会")
_UNIT = re.compile(r"自治区|省|自治州|州|盟|市|县|旗|区")
_UNIT_LEVEL = {"自治区": "province", "省": "province", "自治州": "city", "州": "city", "盟": "city", "市": "city",
               "县": "county", "旗": "county", "区": "county"}
#: Outcome counts of people and the money fields, in the registry's wording.
DISCIPLINE = ("party_discipline", "government_discipline", "combined_discipline", "organizational_handling",
              "admonishment", "education_reminder")
MONEY = ("funds_returned", "funds_confiscated", "losses_recovered")
PLAN = ("problems", "measures", "problems_rectified")
SCORED_STATUSES = ("ok", "fallback")


def level_of(name: str | None) -> str | None:
    """``province``, ``city``, ``county`` or ``bureau`` from a unit's name, or ``None`` when it names no level."""
    if not name:
        return None
    if _BUREAU.search(name):
        return "bureau"
    units = _UNIT.findall(name)
    return _UNIT_LEVEL[units[-1]] if units else None


def year_of(record: dict[str, Any]) -> str:
    """The notice's year: of publication, else feedback, else the inspection's start; ``unknown`` otherwise."""
    for key in ("publish_date", "feedback_date", "inspection_start"):
        if isinstance(record.get(key), str) and record[key][:4].isdigit():
            return record[key][:4]
    return "unknown"


def _total(records: list[dict[str, Any]], group: str, key: str) -> dict[str, Any]:
    values = [(r.get(group) or {}).get(key) for r in records]
    stated = [v for v in values if isinstance(v, (int, float))]
    return {"label": BY_PATH[f"{group}.{key}"].label, "total": sum(stated), "notices": len(stated)}


def summarise(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals and distributions over the notices of a run (lines with status ok or fallback)."""
    records = [line.get("record") or {} for line in lines if line.get("status") in SCORED_STATUSES]
    levels = Counter(level_of(r.get("issuer")) or level_of(r.get("target")) or "unknown" for r in records)
    return {
        "lines": len(lines),
        "statuses": dict(Counter(str(line.get("status")) for line in lines)),
        "notices": len(records),
        "years": dict(sorted(Counter(year_of(r) for r in records).items())),
        "levels": {level: levels[level] for level in LEVELS if levels[level]},
        "discipline": {k: _total(records, "outcomes", k) for k in DISCIPLINE},
        "money": {k: _total(records, "outcomes", k) for k in MONEY},
        "plan": {k: _total(records, "plan", k) for k in PLAN},
        "findings": {"total": sum(len(r.get("sections") or []) for r in records),
                     "notices": sum(1 for r in records if r.get("sections"))},
    }


def _yuan(x: float) -> str:
    return f"{x:,.0f}"


def summary_tables(data: dict[str, Any]) -> list[Table]:
    """The summary on the terminal: counts, years and levels, discipline, money (each table fits 80 columns)."""
    head = Table(title=f"{data['notices']} notices in {data['lines']} lines")
    head.add_column("status")
    head.add_column("lines", justify="right")
    for status, n in sorted(data["statuses"].items()):
        head.add_row(status, str(n))
    spread = Table(title="notices per year and per issuer level")
    for col in ("year", "notices", "level", "notices "):
        spread.add_column(col, justify="right" if col.startswith("notices") else "left")
    years, levels = list(data["years"].items()), list(data["levels"].items())
    for i in range(max(len(years), len(levels))):
        y, lv = (years[i] if i < len(years) else ("", "")), (levels[i] if i < len(levels) else ("", ""))
        spread.add_row(y[0], str(y[1]), lv[0], str(lv[1]))
    figures = Table(title="outcomes and plans (totals over the notices that state each)")
    for col in ("figure", "label", "total", "notices"):
        figures.add_column(col, justify="right" if col in ("total", "notices") else "left", overflow="fold")
    for group, unit in (("discipline", "people"), ("money", "yuan"), ("plan", "")):
        for key, t in data[group].items():
            total = _yuan(t["total"]) if group == "money" else str(t["total"])
            figures.add_row(key, t["label"], f"{total} {unit}".strip(), str(t["notices"]))
    return [head, spread, figures]


def bar_chart(chart_id: str, title: str, items: list[tuple[str, float]], unit: str = "") -> str:
    """A horizontal bar chart as inline SVG (no script, no network): one labelled bar per item."""
    top = max((v for _, v in items), default=0) or 1
    height = 22 * len(items) + 30
    bars = [f"<text x='0' y='14' font-size='13' font-weight='bold'>{escape(title)}</text>"]
    for i, (label, value) in enumerate(items):
        y = 26 + i * 22
        w = round(340 * value / top, 1)
        shown = _yuan(value) if unit == "yuan" else f"{value:g}"
        bars.append(f"<text x='0' y='{y + 12}' font-size='12'>{escape(label)}</text>"
                    f"<rect x='250' y='{y}' width='{w}' height='15' fill='#4a7bd0'/>"
                    f"<text x='{255 + w}' y='{y + 12}' font-size='12'>{escape(shown)} {escape(unit)}</text>")
    return (f"<svg id='{chart_id}' role='img' aria-label='{escape(title)}' xmlns='http://www.w3.org/2000/svg' "
            f"width='760' height='{height}'>{''.join(bars)}</svg>")


def summary_html(data: dict[str, Any], source: str) -> str:
    """The summary as one self-contained page: four inline SVG charts and the totals table."""
    label = {k: f"{t['label']} {k}" for group in ("discipline", "money") for k, t in data[group].items()}
    charts = [
        bar_chart("chart-years", "notices per year", [(y, n) for y, n in data["years"].items()]),
        bar_chart("chart-levels", "notices per issuer level", [(lv, n) for lv, n in data["levels"].items()]),
        bar_chart("chart-discipline", "people disciplined or handled",
                  [(label[k], t["total"]) for k, t in data["discipline"].items()], "people"),
        bar_chart("chart-money", "money (yuan)", [(label[k], t["total"]) for k, t in data["money"].items()], "yuan"),
    ]
    rows = "".join(f"<tr><td>{escape(k)}</td><td>{escape(t['label'])}</td><td class='num'>"
                   f"{_yuan(t['total']) if g == 'money' else t['total']}</td><td class='num'>{t['notices']}</td></tr>"
                   for g in ("discipline", "money", "plan") for k, t in data[g].items())
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(data["statuses"].items()))
    body = (f"<h1>Summary of {escape(source)}</h1><p>{data['notices']} notices ({escape(statuses)}); "
            f"{data['findings']['total']} findings in {data['findings']['notices']} notices.</p>"
            + "".join(f"<div class='chart'>{c}</div>" for c in charts)
            + "<h2>Totals</h2><table id='totals'><tr><th>figure</th><th>label</th><th>total</th>"
              "<th>notices stating it</th></tr>" + rows + "</table>")
    return _page("Summary", body)


def write_summary_html(data: dict[str, Any], out: Path, source: str) -> Path:
    """Write :func:`summary_html` to ``out`` (its folder made if needed); returns ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(summary_html(data, source), encoding="utf-8")
    return out
