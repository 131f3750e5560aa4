"""``llm-extract summary``: totals and distributions over a run, and a self-contained chart page."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import NOTICES
from llm_extract.report.summary import level_of, summarise, year_of


def test_the_issuer_level_is_read_from_the_last_unit_named() -> None:
    assert level_of("中共浙江省委") == "province"
    assert level_of("中共东阳市委") == "city"
    assert level_of("中共南湾区委") == "county" and level_of("中共松江县委") == "county"
    assert level_of("中共北岭市住房和城乡建设局党组") == "bureau"
    assert level_of("中共广西壮族自治区委员会") == "province"
    assert level_of(None) is None and level_of("某单位") is None


def test_summarise_counts_years_levels_discipline_and_money() -> None:
    lines = [
        {"doc": "a", "status": "ok", "record": {"issuer": "中共东阳市委", "publish_date": "2022-11-11",
                                                "outcomes": {"party_discipline": 3, "funds_returned": 1000.5}}},
        {"doc": "b", "status": "fallback", "record": {"target": "松江县", "feedback_date": "2021-05-01",
                                                      "outcomes": {"party_discipline": 2}}},
        {"doc": "c", "status": "error", "record": None},
    ]
    data = summarise(lines)
    assert data["notices"] == 2 and data["statuses"] == {"ok": 1, "fallback": 1, "error": 1}
    assert data["years"] == {"2021": 1, "2022": 1} and data["levels"] == {"city": 1, "county": 1}
    assert data["discipline"]["party_discipline"] == {"label": "党纪处分", "total": 5, "notices": 2}
    assert data["money"]["funds_returned"]["total"] == 1000.5
    assert year_of({}) == "unknown"


def test_the_summary_command_prints_totals_and_writes_an_offline_page(tmp_path: Path) -> None:
    run = tmp_path / "rules.jsonl"
    cmd = [sys.executable, "-m", "llm_extract.cli"]
    subprocess.run([*cmd, "extract", str(NOTICES), "--out", str(run), "--quiet"], check=True)
    proc = subprocess.run([*cmd, "summary", str(run), "--html", str(tmp_path / "s.html")], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "5 notices" in proc.stdout and "per year" in proc.stdout and "funds_returned" in proc.stdout
    page = (tmp_path / "s.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 4 and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page and "<script src" not in page
