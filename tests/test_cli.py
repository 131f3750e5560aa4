"""The command-line contract outside tools rely on, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import DATA, GOLD, NOTICES

KEYS = {"doc", "status", "record", "evidence", "backend", "error"}


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "llm_extract.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_extract_a_folder_writes_one_line_per_notice(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    proc = cli("extract", str(NOTICES), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    lines = read_lines(out)
    assert [line["doc"] for line in lines] == sorted(p.stem for p in NOTICES.glob("*.txt"))
    for line in lines:
        assert KEYS <= set(line) and line["status"] == "ok" and line["backend"] == "rules" and line["error"] is None
        for path, span in line["evidence"].items():
            assert set(span) == {"start", "end", "quote"}, path
    assert "total" in proc.stderr  # the summary table


def test_bad_inputs_are_lines_and_the_run_still_exits_0(tmp_path: Path) -> None:
    batch = tmp_path / "in"
    batch.mkdir()
    (batch / "good.txt").write_text((DATA / "county_special.txt").read_text(encoding="utf-8"), encoding="gb18030")
    (batch / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (batch / "news.txt").write_text("今天天气晴朗，市民纷纷外出踏青。", encoding="utf-8")
    (batch / "docs.jsonl").write_text('{"id": "j1", "text": "省委巡视组反馈整改"}\nnot json\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = cli("extract", str(batch), str(tmp_path / "nope.txt"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    status = {line["doc"]: line["status"] for line in read_lines(out)}
    assert status == {"binary": "error", "j1": "ok", "docs:2": "error", "good": "ok", "news": "not_a_notice",
                      "nope": "error"}
    good = next(line for line in read_lines(out) if line["doc"] == "good")
    assert good["record"]["plan"]["measures"] == 45  # GB18030 read like UTF-8


def test_extract_reads_jsonl_documents(tmp_path: Path) -> None:
    text = (NOTICES / "000_52b65cbec59bb7bf.txt").read_text(encoding="utf-8")
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "dongyang", "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert cli("extract", str(src), "--out", str(out), "--quiet").returncode == 0
    (line,) = read_lines(out)
    assert line["doc"] == "dongyang" and line["record"]["target"] == "东阳市"
    span = line["evidence"]["target"]
    assert text[span["start"]:span["end"]] == span["quote"] == "东阳市"


def test_unknown_backend_is_a_usage_error(tmp_path: Path) -> None:
    proc = cli("extract", str(NOTICES), "--backend", "nosuch", "--out", str(tmp_path / "o.jsonl"))
    assert proc.returncode == 2 and "unknown backend" in proc.stderr


def test_eval_of_predictions_writes_json_and_markdown(tmp_path: Path) -> None:
    out = tmp_path / "rules.jsonl"
    cli("extract", str(NOTICES), "--out", str(out), "--quiet")
    proc = cli("eval", "--gold", str(GOLD), "--pred", str(out), "--report", str(tmp_path / "rep"))
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "rep" / "report.json").read_text(encoding="utf-8"))
    assert {"overall", "families", "fields", "documents"} <= set(report)
    assert "| field | family | accuracy |" in (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    assert "Field accuracy" in proc.stdout


def test_schema_prints_json_schema() -> None:
    proc = cli("schema")
    assert proc.returncode == 0 and json.loads(proc.stdout)["title"] == "Notice"


def test_backends_lists_presets_and_says_which_are_usable(tmp_path: Path) -> None:
    proc = cli("backends", "--no-probe", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in ("rules", "openai", "deepseek", "qwen", "ollama", "vllm", "llamacpp"):
        assert name in proc.stdout


def test_compare_names_the_fields_and_notices_that_got_worse(tmp_path: Path) -> None:
    good = tmp_path / "rules.jsonl"
    cli("extract", str(NOTICES), "--out", str(good), "--quiet")
    broken = tmp_path / "broken.jsonl"
    lines = read_lines(good)
    lines[2]["record"]["outcomes"]["party_discipline"] = 1  # 002 had 94
    lines[4]["record"]["contact"]["phones"] = []
    broken.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    proc = cli("compare", str(good), str(broken), "--gold", str(GOLD), "--report", str(tmp_path / "cmp"))
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "cmp" / "compare.json").read_text(encoding="utf-8"))
    assert {r["doc"] for r in data["worse"]} == {"002_3560743218ed87cc", "004_a2fdee0aed3fff2e"}
    assert data["better"] == []
    worse_fields = {r["field"] for r in data["fields"] if r["delta"] < 0}
    assert worse_fields == {"outcomes.party_discipline", "contact.phones"}
    assert "outcomes.party_discipline" in proc.stdout and "002_3560743218ed87cc" in proc.stdout
    assert (tmp_path / "cmp" / "compare.html").exists() and (tmp_path / "cmp" / "compare.md").exists()


def test_show_prints_each_notices_main_facts(tmp_path: Path) -> None:
    out = tmp_path / "rules.jsonl"
    cli("extract", str(NOTICES), "--out", str(out), "--quiet")
    proc = cli("show", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "000_52b65cbec59bb7bf · ok" in proc.stdout and "中共东阳市委 · 东阳市" in proc.stdout
