"""Terminal tables fit the terminal: at 80 columns nothing is cropped, no column dropped, no name broken mid-word."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GOLD, NOTICES
from llm_extract.fields import FIELDS
from llm_extract.report.terminal import fold_name


def cli(*args: str, columns: int, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([sys.executable, "-m", "llm_extract.cli", *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=cwd)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("terminal")
    good = root / "rules.jsonl"
    subprocess.run([sys.executable, "-m", "llm_extract.cli", "extract", str(NOTICES), "--out", str(good), "--quiet"],
                   check=True)
    lines = [json.loads(x) for x in good.read_text(encoding="utf-8").splitlines()]
    lines[0]["record"]["outcomes"]["party_discipline_breakdown"] = {"warning": 1}
    lines[1]["record"]["inspection_body"] = "省委第三巡视组（一个很长很长的名字，用来检验折行）"
    broken = root / "broken.jsonl"
    broken.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    return good, broken


def cells(text: str, column: int) -> list[str]:
    """The text of one column of every box-drawn row (│-separated), stripped."""
    out = []
    for line in text.splitlines():
        parts = line.split("│")
        if len(parts) > column + 1:
            out.append(parts[column + 1].strip())
    return out


def test_fold_name_breaks_at_dots_then_underscores_never_inside_a_word() -> None:
    folded = fold_name("outcomes.government_discipline_breakdown.major_demerit", 24)
    assert folded.split("\n") == ["outcomes.", "government_discipline_", "breakdown.major_demerit"]
    assert fold_name("target", 24) == "target"


@pytest.mark.parametrize("columns", [80, 100])
def test_the_eval_tables_fit_without_cropping(runs: tuple[Path, Path], columns: int) -> None:
    _, broken = runs
    proc = cli("eval", "--gold", str(GOLD), "--pred", str(broken), columns=columns)
    assert proc.returncode == 0, proc.stderr
    assert max(len(line) for line in proc.stdout.splitlines()) <= columns
    assert "…" not in "".join(line for line in proc.stdout.splitlines() if "│" in line and "Differences" not in line
                              and "gold" not in line)
    header = next(line for line in proc.stdout.splitlines() if "field" in line and "F1" in line)
    for col in ("acc", "P", "R", "F1", "gold", "output"):
        assert re.search(rf"\b{col}\b", header), col
    # every field name is there whole, read down its folded cell
    table = proc.stdout.split("Field families")[0]
    joined = "".join(c for c in cells(table, 0) if c)
    for spec in FIELDS:
        if spec.kind.value != "sections":
            assert spec.path in joined, spec.path
    words = {w for spec in FIELDS for w in re.split(r"[._]", spec.path)} | {"title", "items"}
    for cell in cells(table, 0):
        for word in filter(None, re.split(r"[._]", cell)):
            assert word in words, f"{cell!r} breaks a word"


def test_compare_fits_80_columns_and_says_none_for_empty_tables(runs: tuple[Path, Path]) -> None:
    good, broken = runs
    same = cli("compare", str(good), str(good), "--gold", str(GOLD), columns=80)
    assert same.returncode == 0, same.stderr
    assert "fields whose accuracy changed: none" in same.stdout
    assert "notices that got worse: none" in same.stdout and "notices that got better: none" in same.stdout
    diff = cli("compare", str(good), str(broken), "--gold", str(GOLD), columns=80)
    assert max(len(line) for line in diff.stdout.splitlines()) <= 80
    assert "gold" in diff.stdout and "notices that got better: none" in diff.stdout


def test_backends_shows_every_variable_name_whole_at_80_columns(tmp_path: Path) -> None:
    proc = cli("backends", "--no-probe", columns=80, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80
    for whole in ("OPENAI_API_KEY", "DEEPSEEK_API_KEY", "DASHSCOPE_API_KEY", "json_schema", "not needed",
                  "https://api.deepseek.com/v1", "Qwen/Qwen2.5-7B-Instruct"):
        assert whole in proc.stdout, whole


def test_one_word_output_everywhere_and_never_pred(runs: tuple[Path, Path]) -> None:
    _, broken = runs
    proc = cli("eval", "--gold", str(GOLD), "--pred", str(broken), columns=100)
    assert "pred" not in proc.stdout.replace(str(broken), "") and "output" in proc.stdout


def test_the_eval_says_nothing_to_score_where_no_value_exists(runs: tuple[Path, Path]) -> None:
    good, _ = runs
    proc = cli("eval", "--gold", str(GOLD), "--pred", str(good), columns=100)
    row = next(line for line in proc.stdout.splitlines() if "contact.website" in line or "petitions_closed" in line)
    assert row  # a field present in the table
    assert "–" in proc.stdout and "nothing to score" in proc.stdout
