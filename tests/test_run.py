"""Batch runs: killed and resumed, cached, sharded."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from support.answers import faithful_answer
from conftest import NOTICES
from support.fake_openai import ScriptedServer
from llm_extract.run import Shard


def _docs(tmp_path: Path, n: int) -> tuple[Path, dict[str, str]]:
    """n documents, each the text of a sample with its own numbered first line."""
    samples = [p.read_text(encoding="utf-8") for p in sorted(NOTICES.glob("*.txt"))]
    texts = {f"doc{i:02d}": f"文档编号 doc{i:02d}\n" + samples[i % len(samples)] for i in range(n)}
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps({"id": k, "text": v}, ensure_ascii=False) + "\n" for k, v in texts.items()),
                    encoding="utf-8")
    return path, texts


def _answerer(texts: dict[str, str], delay: float = 0.0):
    def answer(body: dict) -> dict:
        doc = re.search(r"文档编号 (doc\d+)", body["messages"][-1]["content"]).group(1)
        return {"json": faithful_answer(texts[doc]), "delay": delay}
    return answer


def _config(tmp_path: Path, srv: ScriptedServer, concurrency: int = 2) -> Path:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[backends.s]\nbase_url = "{srv.base_url}"\nmodel = "s"\nmode = "json_schema"\n'
                   f"concurrency = {concurrency}\ntimeout = 30\n", encoding="utf-8")
    return cfg


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "llm_extract.cli", *args]


def _requested(srv: ScriptedServer, start: int = 0) -> list[str]:
    return [re.search(r"文档编号 (doc\d+)", r["messages"][-1]["content"]).group(1) for r in srv.requests[start:]]


def test_a_run_killed_mid_way_resumes_without_losing_or_resending(tmp_path: Path) -> None:
    src, texts = _docs(tmp_path, 10)
    out = tmp_path / "out.jsonl"
    with ScriptedServer(default=_answerer(texts, delay=0.3)) as srv:
        cfg = _config(tmp_path, srv)
        args = _cmd("extract", str(src), "--backend", "s", "--config", str(cfg), "--out", str(out), "--quiet",
                    "--no-cache")
        proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not out.exists() or out.read_text(encoding="utf-8").count("\n") < 3):
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        first = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines() if x.endswith("}")]
        finished = {line["doc"] for line in first}
        assert 3 <= len(finished) < 10
        before = srv.count
        again = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        resent = set(_requested(srv, before)) & finished
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["doc"] for line in lines) == sorted(texts)  # exactly one line each
    assert resent == set()
    assert {line["status"] for line in lines} == {"ok"}


def test_retry_errors_redoes_only_the_failed_documents(tmp_path: Path) -> None:
    src, texts = _docs(tmp_path, 4)
    bad = tmp_path / "in" / "broken.txt"
    bad.parent.mkdir()
    bad.write_bytes(b"")
    out = tmp_path / "out.jsonl"
    with ScriptedServer(default=_answerer(texts)) as srv:
        cfg = _config(tmp_path, srv)
        base = ("extract", str(src), str(bad), "--backend", "s", "--config", str(cfg), "--out", str(out), "--quiet")
        subprocess.run(_cmd(*base), cwd=tmp_path, check=True, timeout=120)
        n = srv.count
        subprocess.run(_cmd(*base), cwd=tmp_path, check=True, timeout=120)
        assert srv.count == n  # nothing redone
        subprocess.run(_cmd(*base, "--retry-errors"), cwd=tmp_path, check=True, timeout=120)
        assert srv.count == n
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["doc"] for line in lines) == sorted([*texts, "broken"])


def test_an_eval_rerun_with_a_warm_cache_makes_zero_requests(tmp_path: Path, sample_gold: Path) -> None:
    texts = {p.stem: p.read_text(encoding="utf-8") for p in NOTICES.glob("*.txt")}

    def answer(body: dict) -> dict:
        user = body["messages"][-1]["content"]
        return {"json": next(faithful_answer(t) for t in texts.values() if t[:150] in user)}

    with ScriptedServer(default=answer) as srv:
        cfg = _config(tmp_path, srv)
        args = _cmd("eval", "--gold", str(sample_gold), "--notices", str(NOTICES), "--backend", "s", "--config", str(cfg),
                    "--quiet")
        cold = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert cold.returncode == 0 and srv.count == 5, cold.stderr
        warm = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert warm.returncode == 0 and srv.count == 5
        assert warm.stdout == cold.stdout
        subprocess.run([*args, "--no-cache"], cwd=tmp_path, check=True, capture_output=True, timeout=120)
        assert srv.count == 10


def test_shards_split_a_corpus_deterministically_and_completely() -> None:
    ids = [f"notice-{i}" for i in range(1000)]
    shards = [Shard.parse(f"{i}/4") for i in range(4)]
    owners = [[s.index for s in shards if s.takes(doc)] for doc in ids]
    assert all(len(o) == 1 for o in owners)
    assert min(sum(1 for o in owners if o == [i]) for i in range(4)) > 200
    assert [Shard.parse("1/4").takes(d) for d in ids] == [Shard(1, 4).takes(d) for d in ids]


def test_batch_submit_then_collect_through_a_provider(tmp_path: Path) -> None:
    texts = {p.stem: p.read_text(encoding="utf-8") for p in NOTICES.glob("*.txt")}
    cfg = tmp_path / "c.toml"
    cfg.write_text('[backends.b]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\nmode = "tools"\n', encoding="utf-8")
    requests = tmp_path / "requests.jsonl"
    proc = subprocess.run(_cmd("batch", "submit", str(NOTICES), "--backend", "b", "--config", str(cfg),
                               "--out", str(requests)), cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in requests.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["custom_id"] for line in lines) == sorted(texts)
    assert all(line["url"] == "/v1/chat/completions" and line["body"]["tools"] for line in lines)
    # play the provider: send each request body to a model server, write the Batch output format
    results = tmp_path / "results.jsonl"
    import openai

    def answer(body: dict) -> dict:
        doc = next(k for k, t in texts.items() if t[:150] in body["messages"][-1]["content"])
        return {"json": faithful_answer(texts[doc]) if doc != "003_600e6c513e5b2d0c" else {"title": 5}}

    with ScriptedServer(default=answer) as srv, results.open("w", encoding="utf-8") as handle:
        client = openai.OpenAI(base_url=srv.base_url, api_key="k", max_retries=0)
        for line in lines:
            completion = client.chat.completions.create(**line["body"])
            handle.write(json.dumps({"custom_id": line["custom_id"],
                                     "response": {"status_code": 200, "body": completion.model_dump()}},
                                    ensure_ascii=False) + "\n")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run(_cmd("batch", "collect", str(results), str(NOTICES), "--backend", "b", "--config", str(cfg),
                               "--out", str(out)), cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = {line["doc"]: line for line in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert {d: line["status"] for d, line in got.items()} == {d: "ok" for d in texts}
    from llm_extract.rules import extract

    for doc, text in texts.items():
        assert got[doc]["record"] == extract(text).record_json()
    assert got["003_600e6c513e5b2d0c"]["rejections"]  # the off-schema answer was dropped, rules kept


def test_ctrl_c_stops_the_run_and_keeps_every_finished_line(tmp_path: Path) -> None:
    src, texts = _docs(tmp_path, 10)
    out = tmp_path / "out.jsonl"
    with ScriptedServer(default=_answerer(texts, delay=0.4)) as srv:
        cfg = _config(tmp_path, srv)
        args = _cmd("extract", str(src), "--backend", "s", "--config", str(cfg), "--out", str(out), "--no-cache")
        proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not out.exists() or out.read_text(encoding="utf-8").count("\n") < 2):
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "interrupted" in stderr and "Traceback" not in stderr
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]  # every line complete
    assert 2 <= len(lines) < 10 and len({line["doc"] for line in lines}) == len(lines)


def test_a_server_dying_mid_run_leaves_rules_records_for_the_rest(tmp_path: Path) -> None:
    import threading

    src, texts = _docs(tmp_path, 5)
    out = tmp_path / "out.jsonl"
    served = []

    with ScriptedServer() as srv:
        def answer(body: dict) -> dict:
            served.append(1)
            if len(served) == 2:  # answer this one, then the server goes away
                threading.Timer(0.2, srv.__exit__).start()
            if len(served) > 2:  # a connection still open dies without an answer
                return {"drop": True}
            return _answerer(texts)(body)

        srv.default = answer
        cfg = _config(tmp_path, srv, concurrency=1)
        proc = subprocess.run(_cmd("extract", str(src), "--backend", "s", "--config", str(cfg), "--out", str(out),
                                   "--no-cache", "--quiet"), cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    statuses = sorted(line["status"] for line in lines)
    assert len(lines) == 5 and statuses.count("ok") == 2 and statuses.count("fallback") == 3
    assert all(line["record"]["inspection_body"] for line in lines)
