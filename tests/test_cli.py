"""The command-line contract outside tools rely on, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import DATA, GOLD, NOTICES

KEYS = {"doc", "status", "record", "evidence", "backend", "error"}


def cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "llm_extract.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120, env=env)


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


# --- failing fast: a backend that cannot answer stops the run before any document is read ---


def _no_env(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}


def test_a_backend_whose_key_variable_is_unset_stops_at_once_naming_it(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    proc = cli("extract", str(tmp_path / "not-read.txt"), "--backend", "deepseek", "--out", str(out),
               env=_no_env("DEEPSEEK_API_KEY"), cwd=tmp_path)
    assert proc.returncode == 2
    assert "DEEPSEEK_API_KEY" in proc.stderr and "--allow-fallback" in proc.stderr
    assert not out.exists() or out.read_text(encoding="utf-8") == ""  # no document was read
    ev = cli("eval", "--gold", str(GOLD), "--backend", "deepseek", env=_no_env("DEEPSEEK_API_KEY"), cwd=tmp_path)
    assert ev.returncode == 2 and "DEEPSEEK_API_KEY" in ev.stderr and "F1" not in ev.stdout


def _dead_server_config(tmp_path: Path) -> Path:
    cfg = tmp_path / "dead.toml"
    cfg.write_text('[backends.dead]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\ntransport_retries = 0\n'
                   'max_retries = 0\ntimeout = 2\n', encoding="utf-8")
    return cfg


def test_a_server_that_does_not_answer_stops_at_once_naming_its_address(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    proc = cli("extract", str(NOTICES), "--backend", "dead", "--config", str(_dead_server_config(tmp_path)),
               "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2 and "http://127.0.0.1:9/v1" in proc.stderr
    assert not out.exists() or out.read_text(encoding="utf-8") == ""


def test_allow_fallback_runs_anyway_and_the_eval_says_every_record_fell_back(tmp_path: Path) -> None:
    cfg = _dead_server_config(tmp_path)
    gold = tmp_path / "gold"
    gold.mkdir()
    for text in NOTICES.glob("*.txt"):
        (gold / f"{text.stem}.json").write_bytes((GOLD / f"{text.stem}.json").read_bytes())
    proc = cli("eval", "--gold", str(gold), "--notices", str(NOTICES), "--backend", "dead", "--config", str(cfg),
               "--allow-fallback", "--no-cache", "--report", str(tmp_path / "rep"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "0 from dead, 5 fell back to rules, 0 failed" in proc.stdout
    assert "WITH FALLBACKS" in proc.stdout
    report = json.loads((tmp_path / "rep" / "report.json").read_text(encoding="utf-8"))
    assert report["records"]["fallback"] == 5 and report["records"]["ok"] == 0 and "FALLBACKS" in report["label"]
    for name in ("report.md", "report.html"):
        page = (tmp_path / "rep" / name).read_text(encoding="utf-8")
        assert "5 fell back to rules" in page and "WITH FALLBACKS" in page, name


# --- errors people hit: one clear line and exit 2 ---


def test_show_of_a_text_file_is_one_clear_line(tmp_path: Path) -> None:
    proc = cli("show", str(NOTICES / "000_52b65cbec59bb7bf.txt"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "is not an output line" in proc.stderr


def test_extract_out_to_a_folder_is_one_clear_line(tmp_path: Path) -> None:
    proc = cli("extract", str(NOTICES), "--out", str(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "is a folder" in proc.stderr


def test_a_misspelled_flag_gets_the_sub_commands_usage_and_a_suggestion(tmp_path: Path) -> None:
    proc = cli("extract", str(NOTICES), "--ot", str(tmp_path / "o.jsonl"))
    assert proc.returncode == 2
    assert "usage: llm-extract extract" in proc.stderr and "did you mean --out?" in proc.stderr


def test_concurrency_below_one_and_a_shard_of_zero_are_refused_by_name(tmp_path: Path) -> None:
    for bad in ("0", "-3"):
        proc = cli("extract", str(NOTICES), "--out", str(tmp_path / "o.jsonl"), "--concurrency", bad)
        assert proc.returncode == 2 and "--concurrency" in proc.stderr and "at least 1" in proc.stderr, bad
    proc = cli("extract", str(NOTICES), "--out", str(tmp_path / "o.jsonl"), "--shard", "1/0")
    assert proc.returncode == 2 and "N (the number of shards) must be at least 1" in proc.stderr


def test_a_missing_config_is_refused_for_every_backend_rules_included(tmp_path: Path) -> None:
    proc = cli("extract", str(NOTICES), "--config", str(tmp_path / "nosuch.toml"), "--out", str(tmp_path / "o.jsonl"))
    assert proc.returncode == 2 and "nosuch.toml" in proc.stderr


def test_a_backend_table_typo_is_warned(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[backend.mine]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\n', encoding="utf-8")
    proc = cli("extract", str(NOTICES / "000_52b65cbec59bb7bf.txt"), "--config", str(cfg), "--quiet")
    assert proc.returncode == 0 and "[backend] is not read" in proc.stderr and "[backends" in proc.stderr


def test_batch_collect_with_no_matching_result_lines_says_so(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[backends.b]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\nmode = "tools"\n', encoding="utf-8")
    results = tmp_path / "results.jsonl"
    results.write_text('{"custom_id": "someone-else", "response": {"status_code": 200, "body": {}}}\n', encoding="utf-8")
    proc = cli("batch", "collect", str(results), str(NOTICES), "--backend", "b", "--config", str(cfg),
               "--out", str(tmp_path / "o.jsonl"))
    assert proc.returncode == 2 and "answers any of the 5 documents" in proc.stderr
