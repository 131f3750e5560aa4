"""Resuming over the real CLI: what is redone (failed and stale lines) and what is kept."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import NOTICES, ROOT
from support.fake_openai import ScriptedServer
from test_run import _answerer, _cmd, _docs

from llm_extract.run.resume import prepare_output


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_retry_errors_redoes_fallback_lines_once_the_server_is_back(tmp_path: Path) -> None:
    src, texts = _docs(tmp_path, 3)
    out = tmp_path / "out.jsonl"
    with ScriptedServer(default={"status": 503}) as srv:
        cfg = tmp_path / "c.toml"
        cfg.write_text(f'[backends.s]\nbase_url = "{srv.base_url}"\nmodel = "s"\nconcurrency = 1\n'
                       "transport_retries = 0\ntimeout = 30\n", encoding="utf-8")
        args = _cmd("extract", str(src), "--backend", "s", "--config", str(cfg), "--out", str(out), "--quiet",
                    "--no-cache")
        subprocess.run(args, cwd=tmp_path, check=True, timeout=120)
        assert {line["status"] for line in _lines(out)} == {"fallback"}  # the server was down
        srv.default = _answerer(texts)  # ... and is back
        before = srv.count
        subprocess.run([*args, "--retry-errors"], cwd=tmp_path, check=True, timeout=120)
        assert srv.count - before == 3
    lines = _lines(out)
    assert sorted(line["doc"] for line in lines) == sorted(texts)  # one line each, the fallbacks replaced
    assert {line["status"] for line in lines} == {"ok"}


def _package_copy(tmp_path: Path) -> Path:
    """A copy of the package whose code a test may change, as an installed copy would be upgraded."""
    root = tmp_path / "code"
    shutil.copytree(ROOT / "llm_extract", root / "llm_extract", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "prompts", root / "prompts")
    return root


def test_a_change_in_the_rules_code_redoes_the_records_on_resume(tmp_path: Path) -> None:
    code = _package_copy(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = tmp_path / "out.jsonl"
    args = [sys.executable, "-m", "llm_extract.cli", "extract", str(NOTICES), "--out", str(out), "--quiet"]
    subprocess.run(args, cwd=tmp_path, env=env, check=True, timeout=120)
    first = _lines(out)
    subprocess.run(args, cwd=tmp_path, env=env, check=True, timeout=120)
    assert _lines(out) == first  # same code: everything skipped
    figures = code / "llm_extract" / "rules" / "figures.py"
    figures.write_text(figures.read_text(encoding="utf-8") + "\n# the outcome patterns changed\n", encoding="utf-8")
    subprocess.run(args, cwd=tmp_path, env=env, check=True, timeout=120)
    again = _lines(out)
    assert sorted(line["doc"] for line in again) == sorted(line["doc"] for line in first)  # one line each
    assert {line["run"] for line in again}.isdisjoint({line["run"] for line in first})  # all made by the new code


def test_the_fingerprint_names_the_backend_and_changes_with_the_merge_code(tmp_path: Path) -> None:
    code = _package_copy(tmp_path)
    probe = ("from llm_extract.llm.backend import LLMBackend; from llm_extract.config import BackendConfig;"
             "print(LLMBackend(BackendConfig(name='s', base_url='http://127.0.0.1:9/v1', model='m')).fingerprint)")
    env = {**os.environ, "PYTHONPATH": str(code)}

    def fingerprint() -> str:
        return subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, check=True, capture_output=True,
                              text=True, timeout=60).stdout.strip()

    before = fingerprint()
    merge = code / "llm_extract" / "merge.py"
    merge.write_text(merge.read_text(encoding="utf-8") + "\n# rules win every tie now\n", encoding="utf-8")
    after = fingerprint()
    assert before.startswith("s@") and after.startswith("s@") and before != after


def test_resume_cuts_a_partial_last_line_in_place_and_sums_the_usage_it_keeps(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    kept = [{"doc": f"d{i}", "doc_sha256": f"{i:064x}", "run": "s@1", "backend": "s", "status": "ok",
             "usage": {"prompt_tokens": 10, "completion_tokens": 2, "requests": 1}, "cost": 0.5} for i in range(3)]
    other = {"doc": "d9", "doc_sha256": "0" * 64, "run": "t@1", "backend": "t", "status": "ok", "usage": {}}
    out.write_text("".join(json.dumps(x) + "\n" for x in [*kept, other]) + '{"doc": "d3", "sta', encoding="utf-8")
    state = prepare_output(out, "s@1", retry_errors=False, backend="s")
    assert state.cut_partial and len(state.done) == 3
    assert state.usage == {"prompt_tokens": 30, "completion_tokens": 6, "requests": 3, "cost": 1.5}
    assert _lines(out) == [*kept, other]  # another backend's lines are left alone


def test_resume_drops_this_backends_lines_from_other_settings(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    old = {"doc": "d0", "doc_sha256": "0" * 64, "run": "s@old", "backend": "s", "status": "ok"}
    other = {"doc": "d0", "doc_sha256": "0" * 64, "run": "t@1", "backend": "t", "status": "ok"}
    out.write_text(json.dumps(old) + "\n" + json.dumps(other) + "\n", encoding="utf-8")
    state = prepare_output(out, "s@new", retry_errors=False, backend="s")
    assert state.dropped_stale == 1 and state.done == set()
    assert _lines(out) == [other]


def test_a_rewrite_keeps_the_kept_lines_byte_for_byte_between_dropped_ones(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    mine = [json.dumps({"doc": f"d{i}", "doc_sha256": f"{i:064x}", "run": "s@1", "backend": "s",
                        "status": "error" if i % 3 == 1 else "ok"}, ensure_ascii=False) + "\n" for i in range(7)]
    garbage = "not json at all\n"
    text = mine[0] + mine[1] + garbage + mine[2] + mine[3] + mine[4] + garbage + mine[5] + mine[6]
    out.write_text(text, encoding="utf-8")
    state = prepare_output(out, "s@1", retry_errors=True, backend="s")
    # the error lines (d1, d4) are redone, the lines that are not JSON go, the rest stay as written
    assert out.read_text(encoding="utf-8") == mine[0] + mine[2] + mine[3] + mine[5] + mine[6]
    assert state.cut_partial and len(state.done) == 5
