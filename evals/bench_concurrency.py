"""Concurrency against a local OpenAI-compatible server that answers after a fixed delay (a benchmark, not a test).

For each delay and each concurrency C it runs D documents through
``run_documents`` with the LLM backend (requests on threads; rules,
grounding and merge in worker processes) and reports the wall time against
the ideal D × delay / C, and the client's CPU seconds per document (this
process, and its worker processes as ``tree_cpu`` samples them, with the
fork server they come from: its imports count in the first level; the
server, in its own process, is not counted).  Beside each level it
runs the peer: bare instructor + openai on C threads, the same documents,
prompt and response model, no grounding or rules, the floor a threaded
client reaches on this machine (``--no-peer`` skips it).  Usage:

    python evals/bench_concurrency.py [--docs 256] [--delays 1,3] [--levels 8,32,64] [--no-peer] [--repeat N]

On a shared 2-core machine one run's ratio moves by ±0.05 at C = 64 from
one run to the next (the peer's too); ``--repeat N`` runs each level N times,
the project and the peer in turn, and ends with each one's median and range.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "evals"))


def main() -> None:
    from bench_overhead import start_server
    from tree_cpu import TreeCPU
    from support.answers import faithful_answer

    from llm_extract.config import BackendConfig
    from llm_extract.llm.backend import LLMBackend
    from llm_extract.run import run_documents

    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=256)
    parser.add_argument("--delays", default="1,3", help="seconds the server takes to answer, comma-separated")
    parser.add_argument("--levels", default="8,32,64", help="concurrency levels, comma-separated")
    parser.add_argument("--no-peer", action="store_true", help="skip bare instructor + openai at each level")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each level (the summary gives medians)")
    args = parser.parse_args()
    ratios: dict[tuple[float, int, str], list[float]] = {}
    text = (ROOT / "notices" / "002_3560743218ed87cc.txt").read_text(encoding="utf-8")
    print(f"{args.docs} documents, {os.cpu_count()} cores; ratio = wall / (documents × delay / C)")
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        src = tmpdir / "docs.jsonl"
        src.write_text("".join(json.dumps({"id": f"d{i}", "text": text + f"\n(副本 {i})"}, ensure_ascii=False) + "\n"
                               for i in range(args.docs)), encoding="utf-8")
        for delay in (float(x) for x in args.delays.split(",")):
            server, base_url = start_server(faithful_answer(text), delay, tmpdir)
            below = TreeCPU(os.getpid(), skip=[server.pid])  # the run's workers (and their fork server)
            gc_clock = _GCClock()
            try:
                for run, c in enumerate(int(x) for x in args.levels.split(",") for _ in range(args.repeat)):
                    backend = LLMBackend(BackendConfig(name=f"bench{c}", base_url=base_url, model="bench",
                                                       concurrency=c, timeout=120))
                    out = tmpdir / f"out-{delay}-{c}-{run}.jsonl"  # a new file each time: an old one would be resumed
                    cpu, kids, collecting = time.process_time(), below.seconds(), gc_clock.seconds
                    t = time.perf_counter()
                    summary = run_documents([src], backend, out, concurrency=c)
                    wall, own, workers = time.perf_counter() - t, time.process_time() - cpu, below.seconds() - kids
                    collecting = gc_clock.seconds - collecting
                    ideal = args.docs * delay / c
                    ratios.setdefault((delay, c, "project"), []).append(wall / ideal)
                    print(f"delay {delay:.0f} s  C={c:>2}: wall {wall:6.2f} s, ideal {ideal:6.2f} s, "
                          f"ratio {wall / ideal:.3f}; client CPU {(own + workers) / args.docs * 1000:.1f} ms/doc "
                          f"(main process {own / args.docs * 1000:.1f}, of which collecting garbage "
                          f"{collecting / args.docs * 1000:.2f}; workers "
                          f"{workers / args.docs * 1000:.1f}); statuses {dict(summary.counts)}", flush=True)
                    if not args.no_peer:
                        wall, cpu = _peer(base_url, src, c)
                        ratios.setdefault((delay, c, "peer"), []).append(wall / ideal)
                        print(f"{'':13}peer: wall {wall:6.2f} s, ratio {wall / ideal:.3f}; "
                              f"CPU {cpu / args.docs * 1000:.1f} ms/doc", flush=True)
            finally:
                below.close()
                server.kill()
                server.wait()
    if args.repeat > 1:
        print(f"medians over {args.repeat} runs (range):")
        for (delay, c, who), got in ratios.items():
            print(f"delay {delay:.0f} s  C={c:>2} {who:>7}: ratio {statistics.median(got):.3f} "
                  f"({min(got):.3f}-{max(got):.3f})")


class _GCClock:
    """Seconds this process has spent collecting garbage since it was made (wall time in the collector,
    which holds the GIL: every request thread waits it out)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0
        gc.callbacks.append(self._tick)

    def _tick(self, phase: str, _info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started


def _peer(base_url: str, src: Path, c: int) -> tuple[float, float]:
    """Wall and CPU seconds of bare instructor + openai over the same documents on ``c`` threads, in a
    process of its own: run in the project's process, it left the project's later levels slower (C = 64
    medians 1.26-1.27 against 1.21 with no peer between them)."""
    out = subprocess.run([sys.executable, __file__, "--peer", base_url, str(src), str(c)], check=True,
                         capture_output=True, text=True)
    wall, cpu = json.loads(out.stdout.strip().splitlines()[-1])
    return wall, cpu


def _peer_here(base_url: str, src: Path, c: int) -> tuple[float, float]:
    """What :func:`_peer` runs in its own process."""
    from concurrent.futures import ThreadPoolExecutor

    import instructor
    import openai

    from llm_extract.llm.answer import LLMNotice
    from llm_extract.llm.prompts import load_prompt

    texts = [json.loads(line)["text"] for line in src.read_text(encoding="utf-8").splitlines()]
    prompt = load_prompt()
    client = instructor.from_openai(openai.OpenAI(base_url=base_url, api_key="k", max_retries=0, timeout=120),
                                    mode=instructor.Mode.JSON_SCHEMA)

    def one(text: str) -> None:
        client.chat.completions.create(model="bench", response_model=LLMNotice, max_retries=1,
                                       messages=prompt.messages(text), temperature=0.0, max_tokens=4000)

    one(texts[0])  # warm, untimed: instructor's handlers, the response model's schema, a connection
    cpu, t = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=c) as pool:
        list(pool.map(one, texts))
    return time.perf_counter() - t, time.process_time() - cpu


if __name__ == "__main__":
    if sys.argv[1:2] == ["--peer"]:
        print(json.dumps(_peer_here(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))))
    else:
        main()
