"""Lanes: each document's CPU steps in one worker process, waited-on steps first, a dead worker survived."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from llm_extract.config import BackendConfig
from llm_extract.documents import Document
from llm_extract.llm.backend import LLMBackend
from llm_extract.run import run_documents
from llm_extract.run.lanes import Lanes
from support.answers import faithful_answer
from support.fake_openai import ScriptedServer
from test_run import _docs


@pytest.fixture
def lanes():
    made = Lanes(2, "llm_extract.llm.tail")
    for lane in made.lanes:
        lane.ready.result(timeout=60)
    yield made
    made.close()


def test_a_documents_steps_run_in_one_worker_process_and_new_documents_go_to_the_emptier_lane(lanes: Lanes) -> None:
    first, second = lanes.desk(), lanes.desk()
    assert first.index != second.index  # the second document went to the lane with no document on it
    pid = first.call(os.getpid)
    assert pid != os.getpid() and first.call(os.getpid) == pid and first.submit(os.getpid).result() == pid
    assert second.call(os.getpid) not in (pid, os.getpid())
    lanes.release(first)
    assert lanes.desk().index == first.index  # the lane that finished a document takes the next one


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here")
def test_the_workers_are_forked_from_one_server_that_imported_the_project_once(lanes: Lanes) -> None:
    """Not spawned, each importing the project anew (~0.35 s of CPU a lane at the start of every run)."""
    first, second = lanes.desk(), lanes.desk()
    server = first.call(os.getppid)
    assert server != os.getpid() and second.call(os.getppid) == server


def test_making_lanes_does_not_wait_for_their_processes_to_start(tmp_path: Path) -> None:
    """The first process a fork server makes waits for the server's imports (~0.3 s): the run's first
    requests must go out meanwhile, their steps done in the run's own process until the lane is ready."""
    gate = tmp_path / "gate"
    code = f"""
import threading
from pathlib import Path
from llm_extract.run.lanes import Lanes
made = []
maker = threading.Thread(target=lambda: made.append(Lanes(1, "support.gated_import")), daemon=True)
maker.start()
maker.join(timeout=20)
assert made, "Lanes() waited for its process's imports"
lane = made[0].lanes[0]
assert not lane.ready.done() and made[0].desk().call(len, "here") == 4
Path({str(gate)!r}).touch()
lane.ready.result(timeout=60)
made[0].close()
print("ok")
"""
    tests = str(Path(__file__).parent)  # the fork server imports by PYTHONPATH (3.11 drops the sys.path it is given)
    env = {**os.environ, "LLM_EXTRACT_TEST_GATE": str(gate),
           "PYTHONPATH": os.pathsep.join(filter(None, [tests, os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.stdout.strip() == "ok", out.stderr


def test_a_lane_whose_process_cannot_be_made_does_its_steps_here(monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from llm_extract.run import lanes as lanes_module

    class NoProcesses(ProcessPoolExecutor):
        def submit(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            raise OSError(24, "Too many open files")

    monkeypatch.setattr(lanes_module, "_process", lambda module: NoProcesses(max_workers=1))
    made = Lanes(1, "llm_extract.llm.tail")
    assert isinstance(made.lanes[0].ready.exception(timeout=30), OSError)
    desk = made.desk()
    assert desk.call(os.getpid) == os.getpid() and desk.submit(os.getpid).result(timeout=30) == os.getpid()
    made.close()


def test_a_step_a_request_waits_on_passes_the_tails_queued_before_it(lanes: Lanes) -> None:
    desk = lanes.desk()
    tails = [desk.submit(_sleep_then_clock, 0.3) for _ in range(5)]
    waited = desk.call(time.monotonic)  # the same clock in every process of this machine
    ends = sorted(tail.result(timeout=60) for tail in tails)
    # one tail was running and one handed to the process behind it; the other three wait their turn
    assert waited < ends[2]


def test_a_lane_whose_worker_was_killed_does_its_documents_steps_here_and_takes_no_new_ones(lanes: Lanes) -> None:
    doomed, other = lanes.desk(), lanes.desk()
    os.kill(doomed.call(os.getpid), signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and doomed.call(os.getpid) != os.getpid():
        time.sleep(0.05)  # the pool notices its process is gone
    assert doomed.call(os.getpid) == os.getpid() and doomed.submit(os.getpid).result() == os.getpid()
    assert all(lanes.desk().index == other.index for _ in range(3))


def test_closing_the_lanes_releases_the_queues_of_a_lane_whose_worker_died(lanes: Lanes) -> None:
    # a run that exits without finalizers (Ctrl-C) must not leave a queue's semaphore behind, or
    # multiprocessing's resource tracker warns of a leak; a lane whose worker died was not shut down
    queues = [lane.pool._result_queue for lane in lanes.lanes]
    doomed = lanes.desk()
    os.kill(doomed.call(os.getpid), signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and lanes.lanes[doomed.index].pool is not None:
        doomed.call(os.getpid)  # the lane learns its process is gone
        time.sleep(0.05)
    assert lanes.lanes[doomed.index].pool is None
    lanes.close()
    assert all(queue._reader.closed for queue in queues)


def test_a_step_for_a_lane_shut_down_under_it_runs_here_rather_than_waiting_for_ever(lanes: Lanes) -> None:
    from llm_extract.run.lanes import LaneDesk

    lanes.lanes[0].made.shutdown(wait=True)  # as Ctrl-C does while request threads still hand steps over
    desk = LaneDesk(lanes, 0)
    assert desk.call(os.getpid) == os.getpid() and lanes.lanes[0].pool is None


def test_ctrl_c_ends_the_lanes_even_when_a_worker_died_half_way_through_sending_a_result(lanes: Lanes) -> None:
    import struct
    import threading

    # what a worker ended in the middle of writing its answer leaves: a message's length, a few of its bytes
    lanes.lanes[0].made._result_queue._writer._send(struct.pack("!i", 100) + b"0123456789")
    stopping = threading.Thread(target=lanes.stop, daemon=True)
    stopping.start()
    stopping.join(timeout=60)
    assert not stopping.is_alive()  # it returned, rather than waiting for the other 90 bytes for ever


def test_a_worker_ends_at_once_without_tearing_its_interpreter_down(tmp_path: Path) -> None:
    """Closing the lanes waits for their processes; a worker skips the teardown of its modules
    (~0.1 s of a run's end, spent on objects that die with the process anyway)."""
    made = Lanes(1, "llm_extract.llm.tail")
    made.lanes[0].ready.result(timeout=60)
    witness = tmp_path / "torn-down"
    assert made.desk().call(_keep_witness, str(witness)) != os.getpid()
    made.close()
    assert not witness.exists()


class _Witness:
    """Writes a file when it is collected: in a worker's interpreter teardown, if there is one."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __del__(self) -> None:
        Path(self.path).write_text("torn down", encoding="utf-8")


_KEPT: list[_Witness] = []


def _keep_witness(path: str) -> int:
    _KEPT.append(_Witness(path))
    return os.getpid()


def _sleep_then_clock(seconds: float) -> float:
    time.sleep(seconds)
    return time.monotonic()


def test_a_misquoting_answer_is_re_asked_with_the_grounding_errors_found_in_the_worker(tmp_path: Path) -> None:
    src, texts = _docs(tmp_path, 4)
    seen: dict[str, int] = {}

    def answer(body: dict) -> dict:
        doc = re.search(r"文档编号 (doc\d+)", body["messages"][1]["content"]).group(1)  # [system, user, …]
        seen[doc] = seen.get(doc, 0) + 1
        good = faithful_answer(texts[doc])
        if seen[doc] == 1:  # first answer: a figure with a quote the notice does not contain
            good["outcomes"]["party_discipline"] = {"value": 999, "quote": "给予党纪处分999人"}
        return {"json": good}

    with ScriptedServer(default=answer) as srv:
        backend = LLMBackend(BackendConfig(name="s", base_url=srv.base_url, model="s", concurrency=4, timeout=30))
        out = tmp_path / "out.jsonl"
        run_documents([src], backend, out, concurrency=4)
        reasks = [m["content"] for r in srv.requests for m in r["messages"][2:] if m["role"] == "user"]
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {line["status"] for line in lines} == {"ok"} and len(lines) == 4
    assert all(line["reasks"] == 1 for line in lines)
    assert len(reasks) == 4 and all("给予党纪处分999人" in text and "does not occur" in text for text in reasks)
    assert all(line["record"]["outcomes"]["party_discipline"] != 999 for line in lines)


def test_the_document_run_in_lanes_gives_the_line_it_gives_in_one_thread(tmp_path: Path) -> None:
    text = (Path(__file__).parent.parent / "notices" / "002_3560743218ed87cc.txt").read_text(encoding="utf-8")
    doc = Document(id="d", text=text, source="t")
    with ScriptedServer(default={"json": faithful_answer(text)}) as srv:
        backend = LLMBackend(BackendConfig(name="s", base_url=srv.base_url, model="s", timeout=30))
        here = backend.extract(doc).to_line()
        made = Lanes(1, "llm_extract.llm.tail")
        try:
            made.lanes[0].ready.result(timeout=60)
            desk = made.desk()
            asked = backend.ask(doc, desk)
            there = desk.submit(backend.tail, doc, asked).result(timeout=60).to_line()
        finally:
            made.close()
    assert there == here and there["status"] == "ok"
