"""The run loop over the real CLI: worker processes change nothing in what is written."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

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


def test_ctrl_c_ends_the_worker_processes_without_leaking_or_warning(tmp_path: Path) -> None:
    import signal

    src, texts = _docs(tmp_path, 40)
    out = tmp_path / "out.jsonl"
    with ScriptedServer(default=_answerer(texts, delay=0.5)) as srv:
        proc, below = _run_under_way(tmp_path, srv, src, out)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in stderr
    assert "Traceback" not in stderr and "leaked" not in stderr
    assert _all_end(below)


def test_a_run_killed_outright_leaves_no_worker_behind(tmp_path: Path) -> None:
    import signal

    src, texts = _docs(tmp_path, 40)
    out = tmp_path / "out.jsonl"
    with ScriptedServer(default=_answerer(texts, delay=0.5)) as srv:
        proc, below = _run_under_way(tmp_path, srv, src, out)
        proc.send_signal(signal.SIGKILL)  # no handler runs: the workers must notice on their own
        proc.communicate(timeout=60)
    assert _all_end(below)


def _run_under_way(tmp_path: Path, srv: ScriptedServer, src: Path, out: Path) -> tuple[subprocess.Popen, list[str]]:
    """A run at concurrency 8 that has written 4 lines, and every process below it (its two workers among them)."""
    import time

    cfg = _config(tmp_path, srv, concurrency=8)
    proc = subprocess.Popen(_cmd("extract", str(src), "--backend", "s", "--config", str(cfg), "--out", str(out),
                                 "--no-cache"), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.read_text(encoding="utf-8").count("\n") < 4):
        time.sleep(0.05)
    below, todo = [], [str(proc.pid)]
    while todo:
        children = subprocess.run(["pgrep", "-P", todo.pop()], capture_output=True, text=True).stdout.split()
        below += children
        todo += children
    assert len(below) >= 3  # the two workers, and multiprocessing's resource tracker (and fork server) were running
    return proc, below


def _all_end(pids: list[str]) -> bool:
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_running(pid) for pid in pids):
        time.sleep(0.1)
    return not any(_running(pid) for pid in pids)


def _running(pid: str) -> bool:
    """Alive and not a zombie waiting for whoever adopted it to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_run_of_several_documents_at_once_hands_the_gil_over_within_1_ms_and_then_puts_the_interval_back(
        tmp_path: Path) -> None:
    """A thread whose answer has arrived waits at most 1 ms behind another for the GIL while documents run
    side by side; one document at a time leaves the interval alone, and every run puts it back."""
    import sys

    from llm_extract.backends import RulesBackend
    from llm_extract.run import run_documents

    seen: list[float] = []

    class Watching(RulesBackend):  # a local class does not pickle: its documents run on threads here
        def extract(self, doc):  # noqa: ANN001, ANN202
            seen.append(sys.getswitchinterval())
            return super().extract(doc)

    before = sys.getswitchinterval()
    run_documents([NOTICES], Watching(), tmp_path / "two.jsonl", concurrency=2)
    assert len(seen) == 5 and set(seen) == {0.001}
    assert sys.getswitchinterval() == before
    run_documents([NOTICES], Watching(), tmp_path / "one.jsonl", concurrency=1)
    assert seen[5:] == [before] * 5


def test_a_run_of_several_documents_at_once_collects_its_garbage_less_often_and_then_puts_the_collector_back(
        tmp_path: Path) -> None:
    """What was alive when the run began is left out of its collections, and the youngest generation waits
    for 10,000 new objects; one document at a time leaves the collector alone, and every run puts it back."""
    import gc

    from llm_extract.backends import RulesBackend
    from llm_extract.run import run_documents

    seen: list[tuple[int, int]] = []

    class Watching(RulesBackend):  # a local class does not pickle: its documents run on threads here
        def extract(self, doc):  # noqa: ANN001, ANN202
            seen.append((gc.get_threshold()[0], gc.get_freeze_count()))
            return super().extract(doc)

    before = (gc.get_threshold(), gc.get_freeze_count())
    run_documents([NOTICES], Watching(), tmp_path / "two.jsonl", concurrency=2)
    assert len(seen) == 5 and all(young == 10_000 and frozen > 1000 for young, frozen in seen)
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
    run_documents([NOTICES], Watching(), tmp_path / "one.jsonl", concurrency=1)
    assert seen[5:] == [(before[0][0], before[1])] * 5


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process priorities here")
def test_a_model_runs_lanes_yield_the_core_to_the_run_that_holds_the_requests_and_a_rules_runs_do_not(
        tmp_path: Path) -> None:
    from llm_extract.backends import RulesBackend
    from llm_extract.config import BackendConfig
    from llm_extract.llm.backend import LLMBackend
    from llm_extract.run.runner import LANE_NICE, _Stages

    ours = os.nice(0)
    model = LLMBackend(BackendConfig(name="s", base_url="http://127.0.0.1:9/v1", model="s", timeout=5))
    for backend, below in ((model, LANE_NICE), (RulesBackend(), 0)):
        stages = _Stages(backend, 2)
        try:
            assert stages.lanes is not None
            stages.lanes.lanes[0].ready.result(timeout=60)
            assert stages.lanes.desk().call(os.nice, 0) == min(19, ours + below)
        finally:
            stages.close()
