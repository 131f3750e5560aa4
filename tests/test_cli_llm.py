"""The issue's bars, end to end through the command line against a scripted server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support.answers import invented_answer
from conftest import GOLD, NOTICES
from support.fake_openai import ScriptedServer


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "llm_extract.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def config(tmp_path: Path, srv: ScriptedServer) -> Path:
    path = tmp_path / "llm_extract.toml"
    path.write_text(f'[backends.scripted]\nbase_url = "{srv.base_url}"\nmodel = "scripted"\nmode = "tools"\n'
                    "max_retries = 1\ntransport_retries = 3\ntimeout = 10\n", encoding="utf-8")
    return path


def value_f1(tmp_path: Path, pred: Path) -> float:
    proc = run_cli("eval", "--gold", str(GOLD), "--pred", str(pred), "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return float(proc.stdout.split("F1")[1])


def test_a_model_that_invents_everything_scores_no_lower_than_rules(tmp_path: Path) -> None:
    with ScriptedServer(default={"json": invented_answer()}) as srv:
        cfg = config(tmp_path, srv)
        proc = run_cli("extract", str(NOTICES), "--backend", "scripted", "--config", str(cfg),
                       "--out", str(tmp_path / "llm.jsonl"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in (tmp_path / "llm.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 5 and {line["status"] for line in lines} <= {"ok", "fallback"}
    invented = json.dumps(invented_answer(), ensure_ascii=False)
    for line in lines:
        record = json.dumps(line["record"], ensure_ascii=False)
        for fake in ("虚构", "9999", "777", "888", "010-99999999", "fake@example.com", "2001-01-01"):
            assert fake in invented and fake not in record
    run_cli("extract", str(NOTICES), "--out", str(tmp_path / "rules.jsonl"), "--quiet", cwd=tmp_path)
    assert value_f1(tmp_path, tmp_path / "llm.jsonl") >= value_f1(tmp_path, tmp_path / "rules.jsonl")


def test_a_server_failing_the_first_requests_with_500s_still_yields_every_record(tmp_path: Path) -> None:
    from support.answers import faithful_answer

    by_text = {p.read_text(encoding="utf-8")[:200]: faithful_answer(p.read_text(encoding="utf-8"))
               for p in NOTICES.glob("*.txt")}

    def answer(body: dict) -> dict:
        user = body["messages"][-1]["content"]
        for head, ans in by_text.items():
            if head[:120] in user:
                return {"json": ans}
        return {"status": 500}

    with ScriptedServer([{"status": 500}] * 3, default=answer) as srv:
        cfg = config(tmp_path, srv)
        proc = run_cli("extract", str(NOTICES), "--backend", "scripted", "--config", str(cfg),
                       "--out", str(tmp_path / "llm.jsonl"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in (tmp_path / "llm.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [line["status"] for line in lines] == ["ok"] * 5
    assert sum(line["transport_retries"] for line in lines) == 3  # lines come in finishing order
    assert all(line["record"]["inspection_body"] for line in lines)
