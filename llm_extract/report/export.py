"""Runs as tables for analysts: one row per notice, one column per field, as CSV, Excel or Parquet.

Columns follow the field registry (:data:`llm_extract.fields.FIELDS`) and are
named by their dotted paths (``outcomes.party_discipline``), after ``doc``,
``status`` and ``backend``.  Lists (phones, emails) are joined with "; "; the
findings are a count and their titles joined with " | ".  Money is in yuan, as
in the record.  CSV is UTF-8 with a byte-order mark so spreadsheet programs
show the Chinese; it needs nothing beyond the standard library, while xlsx
and parquet use openpyxl and pyarrow (the ``export`` extra).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

from ..fields import BY_PATH, FIELDS, Kind
from ..score.runs import RunFileError
from ..score.runs import output_lines as read_lines
from ..score.scoring import get_path

FORMATS = ("csv", "xlsx", "parquet")
LIST_JOIN, TITLE_JOIN = "; ", " | "


class ReportInputError(RunFileError):
    """A run file that cannot be read as output lines, or an export that cannot be written; exit 2."""



def output_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of an output JSONL (:func:`~llm_extract.score.runs.output_lines`), as a list."""
    return list(read_lines(path))


def columns() -> list[str]:
    """The header: ``doc``, ``status``, ``backend``, then every field in the registry's order."""
    names = ["doc", "status", "backend"]
    for spec in FIELDS:
        names += ["sections.count", "sections.titles"] if spec.kind is Kind.sections else [spec.path]
    return names


def row(line: dict[str, Any]) -> dict[str, Any]:
    """One notice's row: scalars as they are, lists joined, findings counted and their titles joined."""
    record = line.get("record") or {}
    out: dict[str, Any] = {"doc": line.get("doc"), "status": line.get("status"), "backend": line.get("backend")}
    for spec in FIELDS:
        value = get_path(record, spec.path)
        if spec.kind is Kind.sections:
            sections = value or []
            out["sections.count"] = len(sections)
            out["sections.titles"] = TITLE_JOIN.join(s.get("title") or "" for s in sections) or None
        elif spec.kind is Kind.list:
            out[spec.path] = LIST_JOIN.join(map(str, value)) if value else None
        else:
            out[spec.path] = value
    return out


def _typed(name: str, value: Any) -> Any:
    """A date column's ISO text as a date (Excel and Parquet have date types), the rest unchanged."""
    spec = BY_PATH.get(name)
    if spec is not None and spec.kind is Kind.date and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def write_csv(rows: list[dict[str, Any]], out: Path) -> None:
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns())
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)


def write_xlsx(rows: list[dict[str, Any]], out: Path) -> None:
    openpyxl = _need("openpyxl", "xlsx")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "notices"
    names = columns()
    sheet.append(names)
    for r in rows:
        sheet.append([_typed(n, r.get(n)) for n in names])
    sheet.freeze_panes = "B2"
    book.save(out)


def _arrow_type(pa: Any, name: str) -> Any:
    spec = BY_PATH.get(name)
    if name == "sections.count":
        return pa.int64()
    if spec is None or spec.kind in (Kind.text, Kind.enum, Kind.list, Kind.sections):
        return pa.string()
    if spec.kind is Kind.date:
        return pa.date32()
    return pa.float64() if spec.kind is Kind.money else pa.int64()


def write_parquet(rows: list[dict[str, Any]], out: Path) -> None:
    pa = _need("pyarrow", "parquet")
    import pyarrow.parquet as pq

    names = columns()
    schema = pa.schema([(n, _arrow_type(pa, n)) for n in names])
    table = pa.Table.from_pylist([{n: _typed(n, r.get(n)) for n in names} for r in rows], schema=schema)
    pq.write_table(table, out)


def _need(module: str, fmt: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        raise ReportInputError(f"{fmt} export needs {module}: pip install 'llm_extract[export]' "
                               "(CSV needs nothing extra)") from None


def export(lines: list[dict[str, Any]], out: Path, fmt: str | None = None) -> int:
    """Write ``lines`` to ``out`` as ``fmt`` (default: from ``out``'s ending); returns the number of rows."""
    fmt = fmt or out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ReportInputError(f"cannot tell the format from {out.name}: pass --format {'|'.join(FORMATS)}")
    if out.is_dir():
        raise ReportInputError(f"--out {out} is a folder; give the file to write (e.g. {out / ('run.' + fmt)})")
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = [row(line) for line in lines]
    {"csv": write_csv, "xlsx": write_xlsx, "parquet": write_parquet}[fmt](rows, out)
    return len(rows)
