"""The output file's lock, over the real CLI: one run per output at a time."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

from support.fake_openai import ScriptedServer
from test_run import _answerer, _cmd, _config, _docs


def test_a_second_run_on_the_same_output_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    src, texts = _docs(tmp_path, 6)
    out = tmp_path / "out.jsonl"
    release = threading.Event()
    answer = _answerer(texts)

    def held(body: dict) -> dict:  # the first run stays in flight until the other two have been tried
        release.wait(timeout=120)
        return answer(body)

    with ScriptedServer(script=[answer], default=held) as srv:
        cfg = _config(tmp_path, srv, concurrency=1)
        args = _cmd("extract", str(src), "--backend", "s", "--config", str(cfg), "--out", str(out), "--quiet",
                    "--no-cache")
        first = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not out.exists() or out.read_text(encoding="utf-8").count("\n") < 1):
            time.sleep(0.05)
        second = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        overwrite = subprocess.run([*args, "--overwrite"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        release.set()
        _, first_err = first.communicate(timeout=120)
        requests = srv.count
    assert first.returncode == 0, first_err
    for refused in (second, overwrite):
        assert refused.returncode == 2
        words = " ".join(refused.stderr.split())  # rich wraps long lines
        assert "another run (pid" in words and "wait for it to finish" in words
        assert out.name in refused.stderr.replace("\n", "")
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["doc"] for line in lines) == sorted(texts)  # every document once: nothing doubled or lost
    assert requests == 6


def test_the_lock_is_free_again_once_a_run_ends(tmp_path: Path) -> None:
    src, texts = _docs(tmp_path, 2)
    out = tmp_path / "out.jsonl"
    with ScriptedServer(default=_answerer(texts)) as srv:
        cfg = _config(tmp_path, srv)
        args = _cmd("extract", str(src), "--backend", "s", "--config", str(cfg), "--out", str(out), "--quiet")
        subprocess.run(args, cwd=tmp_path, check=True, timeout=120)
        again = subprocess.run([*args, "--overwrite"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
