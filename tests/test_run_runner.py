"""The run loop over the real CLI: worker processes change nothing in what is written."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import NOTICES
from support.fake_openai import ScriptedServer
from test_run import _answerer, _cmd, _config, _docs


def _by_doc(path: Path) -> dict[str, dict]:
    return {line["doc"]: line for line in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def test_a_rules_run_in_worker_processes_writes_the_lines_a_sequential_run_writes(tmp_path: Path) -> None:
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    subprocess.run(_cmd("extract", str(NOTICES), "--out", str(one), "--quiet"), cwd=tmp_path, check=True, timeout=120)
    subprocess.run(_cmd("extract", str(NOTICES), "--out", str(two), "--quiet", "--concurrency", "2"), cwd=tmp_path,
                   check=True, timeout=120)
    assert _by_doc(one) == _by_doc(two) and len(_by_doc(one)) == 5


def test_a_model_run_with_its_tail_in_worker_processes_matches_one_request_at_a_time(tmp_path: Path) -> None:
    src, texts = _docs(tmp_path, 8)
    with ScriptedServer(default=_answerer(texts)) as srv:
        runs = {}
        for c in (1, 4):
            cfg = _config(tmp_path, srv, concurrency=c)
            out = tmp_path / f"c{c}.jsonl"
            proc = subprocess.run(_cmd("extract", str(src), "--backend", "s", "--config", str(cfg), "--out", str(out),
                                       "--quiet", "--no-cache"), cwd=tmp_path, capture_output=True, text=True,
                                  timeout=120)
            assert proc.returncode == 0, proc.stderr
            runs[c] = _by_doc(out)
    assert runs[1] == runs[4] and sorted(runs[4]) == sorted(texts)
    assert {line["status"] for line in runs[4].values()} == {"ok"}
    assert all(line["sources"] for line in runs[4].values())  # the merge ran (in a worker) and said where each came from
