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

from answers import faithful_answer
from conftest import GOLD, NOTICES
from fake_openai import ScriptedServer
from llm_extract.runner import Shard


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


def test_an_eval_rerun_with_a_warm_cache_makes_zero_requests(tmp_path: Path) -> None:
    texts = {p.stem: p.read_text(encoding="utf-8") for p in NOTICES.glob("*.txt")}

    def answer(body: dict) -> dict:
        user = body["messages"][-1]["content"]
        return {"json": next(faithful_answer(t) for t in texts.values() if t[:150] in user)}

    with ScriptedServer(default=answer) as srv:
        cfg = _config(tmp_path, srv)
        args = _cmd("eval", "--gold", str(GOLD), "--backend", "s", "--config", str(cfg), "--quiet")
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
