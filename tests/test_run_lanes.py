"""Lanes: each document's CPU steps in one worker process, waited-on steps first, a dead worker survived."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import threading
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


MAIN_SCRIPT = """
import os, sys
from pathlib import Path
with open(os.environ["MAIN_RUNS"], "a") as runs:  # each process that runs this script says so
    print(__name__, file=runs)

from llm_extract.backends import RulesBackend


class ScriptBackend(RulesBackend):
    \"\"\"A script's own backend: its workers find it only by running this script again.\"\"\"
    name = "script"


if __name__ == "__main__":
    from llm_extract.run import run_documents
    backend = ScriptBackend() if sys.argv[1] == "script" else RulesBackend()
    summary = run_documents([Path(sys.argv[2])], backend, Path(sys.argv[3]), concurrency=2)
    print(dict(summary.counts))
"""


@pytest.mark.parametrize(("backend", "reruns"), [("ours", 0), ("script", 2)])
def test_workers_run_the_main_script_again_only_for_a_backend_defined_in_it(
        tmp_path: Path, backend: str, reruns: int) -> None:
    """The ``llm-extract`` command is such a script: run again in each worker, it imported the whole
    command line (a script that imports the LLM backend at its top: instructor and openai too) before
    the worker could take a step."""
    script, runs, out = tmp_path / "extract_all.py", tmp_path / "runs.txt", tmp_path / "out.jsonl"
    script.write_text(MAIN_SCRIPT, encoding="utf-8")
    src, _ = _docs(tmp_path, 4)
    proc = subprocess.run([sys.executable, str(script), backend, str(src), str(out)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "MAIN_RUNS": str(runs)})
    assert proc.stdout.strip() == "{'ok': 4}", proc.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {line["backend"] for line in lines} == {"rules" if backend == "ours" else "script"}
    cores = min(2, os.cpu_count() or 1)  # one lane a core
    assert runs.read_text().split() == ["__main__"] + ["__mp_main__"] * (min(reruns, cores))


def test_a_lane_made_without_main_does_not_run_the_script_and_one_made_with_it_does(tmp_path: Path) -> None:
    runs = tmp_path / "runs.txt"
    code = f"""
import os
with open({str(runs)!r}, "a") as runs:
    print(__name__, file=runs)
if __name__ == "__main__":
    from llm_extract.run.lanes import Lanes
    for with_main in (False, True):
        made = Lanes(1, "llm_extract.llm.tail", with_main=with_main)
        made.lanes[0].ready.result(timeout=60)
        print(made.desk().call(os.getpid) != os.getpid(), open({str(runs)!r}).read().split())
        made.close()
"""
    script = tmp_path / "lanes_script.py"
    script.write_text(code, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert proc.stdout.splitlines() == ["True ['__main__']", "True ['__main__', '__mp_main__']"], proc.stderr


def test_a_lane_whose_process_cannot_be_made_does_its_steps_here(monkeypatch: pytest.MonkeyPatch) -> None:
    from llm_extract.run import lanes as lanes_module

    class NoProcess:
        pid = None

        def start(self) -> None:
            raise OSError(24, "Too many open files")

    monkeypatch.setattr(lanes_module, "_process", lambda *_: NoProcess())
    made = Lanes(1, "llm_extract.llm.tail")
    assert isinstance(made.lanes[0].ready.exception(timeout=30), OSError)
    desk = made.desk()
    assert desk.call(os.getpid) == os.getpid() and desk.submit(os.getpid).result(timeout=30) == os.getpid()
    made.close()


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process priorities here")
def test_lanes_made_nice_run_their_workers_that_many_steps_below_the_run(lanes: Lanes) -> None:
    ours = os.nice(0)
    assert lanes.desk().call(os.nice, 0) == ours  # by default, at the run's priority
    made = Lanes(1, "llm_extract.llm.tail", nice=5)
    try:
        made.lanes[0].ready.result(timeout=60)
        assert made.desk().call(os.nice, 0) == min(19, ours + 5)
    finally:
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


def test_a_step_the_worker_is_told_of_while_busy_runs_before_the_tails_sent_ahead_of_it(lanes: Lanes) -> None:
    """The worker keeps the queue: everything sent is read before each step, and the most urgent runs."""
    desk = lanes.desk()
    tails = [desk.submit(_sleep_then_clock, 0.2) for _ in range(6)]
    time.sleep(0.05)  # the first tail is running, or all are still in the pipe on a busy machine
    waited = desk.call(time.monotonic)
    ends = sorted(tail.result(timeout=60) for tail in tails)
    assert waited < ends[1], (waited, ends)  # at most the tail already running went first


def test_a_step_sent_ahead_has_no_reply_and_a_later_step_sees_its_work(lanes: Lanes, tmp_path: Path) -> None:
    desk = lanes.desk()
    mark = tmp_path / "ahead"
    desk.ahead(Path.write_text, mark, "done")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not desk.call(Path.exists, mark):
        time.sleep(0.01)  # a step a request waits on outranks work ahead
    assert desk.call(Path.read_text, mark) == "done" and not lanes.lanes[desk.index].waiting


def test_what_a_step_raised_in_the_worker_is_raised_here_with_the_workers_traceback(lanes: Lanes) -> None:
    from llm_extract.run.lanes import RemoteTraceback

    with pytest.raises(ZeroDivisionError) as raised:
        lanes.desk().submit(_share_out, 1, 0).result(timeout=60)
    assert isinstance(raised.value.__cause__, RemoteTraceback) and "_share_out" in str(raised.value.__cause__)


def _share_out(total: int, people: int) -> float:
    return total / people


def test_closing_the_lanes_ends_their_workers_and_closes_their_pipes(lanes: Lanes) -> None:
    # a lane whose worker died is closed as well as one whose worker lives
    doomed = lanes.desk()
    os.kill(doomed.call(os.getpid), signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and lanes.lanes[doomed.index].alive:
        time.sleep(0.05)  # the reader thread meets the end of the pipe
    assert not lanes.lanes[doomed.index].alive
    lanes.close()
    assert all(lane.process.exitcode is not None and lane.conn.closed for lane in lanes.lanes)


def test_a_step_for_a_lane_closed_under_it_runs_here_rather_than_waiting_for_ever(lanes: Lanes) -> None:
    from llm_extract.run.lanes import LaneDesk

    lanes.lanes[0].close(wait=True)  # as Ctrl-C does while request threads still hand steps over
    desk = LaneDesk(lanes, 0)
    assert desk.call(os.getpid) == os.getpid() and desk.submit(os.getpid).result(timeout=30) == os.getpid()


def test_a_worker_that_dies_half_way_through_sending_a_result_fails_only_its_steps(lanes: Lanes) -> None:
    """What a worker ended in the middle of writing its answer leaves: a message's length and a few of its
    bytes.  The reader meets the end of the pipe there, rather than waiting for the rest for ever."""
    desk = lanes.desk()
    pid = desk.call(os.getpid)
    assert desk.call(_half_a_message_then_die, os.getpid()) == os.getpid()  # the step failed there, and ran here
    assert not lanes.lanes[desk.index].alive and pid != os.getpid()
    stopping = threading.Thread(target=lanes.stop, daemon=True)
    stopping.start()
    stopping.join(timeout=60)
    assert not stopping.is_alive()


def _half_a_message_then_die(run: int) -> int:
    """In a worker: write the start of a reply on its pipe and die; in the run's process (run again): its pid."""
    import gc
    import struct
    from multiprocessing.connection import Connection

    if os.getpid() == run:
        return run
    pipe = [obj for obj in gc.get_objects() if isinstance(obj, Connection) and not obj.closed]
    assert len(pipe) == 1
    pipe[0]._send(struct.pack("!i", 100) + b"0123456789")
    os._exit(1)


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
