"""``llm-extract export``: one row per notice, one column per registry field, as CSV, xlsx and Parquet."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NOTICES
from llm_extract.report.export import columns


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "llm_extract.cli", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "rules.jsonl"
    subprocess.run([sys.executable, "-m", "llm_extract.cli", "extract", str(NOTICES), "--out", str(out), "--quiet"],
                   check=True)
    return out


def test_columns_are_doc_status_backend_then_the_registry_in_order() -> None:
    names = columns()
    assert names[:3] == ["doc", "status", "backend"]
    assert names.index("issuer") < names.index("plan.problems") < names.index("outcomes.party_discipline")
    assert "outcomes.party_discipline_breakdown.warning" in names
    assert {"sections.count", "sections.titles", "contact.phones"} <= set(names)


def test_csv_has_a_bom_one_row_per_notice_and_money_in_yuan(run: Path, tmp_path: Path) -> None:
    out = tmp_path / "run.csv"
    proc = cli("export", str(run), "--format", "csv", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(data.decode("utf-8-sig").splitlines()))
    assert len(rows) == len(list(NOTICES.glob("*.txt")))
    dongyang = next(r for r in rows if r["doc"] == "000_52b65cbec59bb7bf")
    assert dongyang["issuer"] == "中共东阳市委" and dongyang["status"] == "ok" and dongyang["backend"] == "rules"
    assert float(dongyang["outcomes.funds_returned"]) == 317700  # 31.77万元
    assert dongyang["contact.phones"] == "0579-86091025"
    assert int(dongyang["sections.count"]) == len(dongyang["sections.titles"].split(" | ")) > 0


def test_xlsx_and_parquet_hold_the_same_rows(run: Path, tmp_path: Path) -> None:
    import openpyxl
    import pyarrow.parquet as pq

    assert cli("export", str(run), "--out", str(tmp_path / "run.xlsx")).returncode == 0
    sheet = openpyxl.load_workbook(tmp_path / "run.xlsx").active
    header = [c.value for c in sheet[1]]
    assert header == columns() and sheet.max_row == 1 + len(list(NOTICES.glob("*.txt")))
    assert cli("export", str(run), "--format", "parquet", "--out", str(tmp_path / "run.parquet")).returncode == 0
    table = pq.read_table(tmp_path / "run.parquet")
    assert table.column_names == columns() and table.num_rows == sheet.max_row - 1
    row = table.to_pylist()[0]
    assert row["doc"] == "000_52b65cbec59bb7bf" and row["outcomes.losses_recovered"] == 625000
    assert str(row["publish_date"]) == "2022-11-11"


def test_an_unknown_ending_or_a_text_file_is_one_clear_line(run: Path, tmp_path: Path) -> None:
    proc = cli("export", str(run), "--out", str(tmp_path / "run.txt"))
    assert proc.returncode == 2 and "--format" in proc.stderr
    proc = cli("export", str(NOTICES / "000_52b65cbec59bb7bf.txt"), "--out", str(tmp_path / "x.csv"))
    assert proc.returncode == 2 and "not an output line" in proc.stderr and "Traceback" not in proc.stderr
