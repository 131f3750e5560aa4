"""What a step sent to a worker process costs the run's own process: lanes against a ``ProcessPoolExecutor``
of one process, in the same run (a benchmark, not a test).

The run's process holds every request in flight, so the CPU it spends
handing a document's steps to a worker and taking their results back is
CPU its requests wait for (a document makes three or four such round
trips).  Both ways run the same step (``len`` of a notice's text, and of a
one-character string) through a worker forked from the same kind of fork
server; each figure is the run's process CPU per round trip, and the ratio
is the pool's over the lanes'.  Usage:

    python evals/bench_lanes.py [--calls 1000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def through_lanes(arg: str, calls: int) -> tuple[float, float]:
    """Run-process CPU (ms) per round trip through one lane: one step at a time, then all sent at once."""
    from llm_extract.run.lanes import Lanes

    lanes = Lanes(1, "llm_extract.llm.tail")
    lanes.lanes[0].ready.result(timeout=60)
    desk = lanes.desk()
    try:
        one = _per_call(lambda: [desk.call(len, arg) for _ in range(calls)], calls)
        many = _per_call(lambda: [f.result() for f in [desk.submit(len, arg) for _ in range(calls)]], calls)
    finally:
        lanes.close()
    return one, many


def through_pool(arg: str, calls: int) -> tuple[float, float]:
    """The same through a ``ProcessPoolExecutor`` of one process (what a lane was before), its process
    made as a lane's is."""
    from llm_extract.run.lanes import _context

    with ProcessPoolExecutor(1, mp_context=_context()) as pool:
        pool.submit(len, "").result(timeout=60)
        one = _per_call(lambda: [pool.submit(len, arg).result() for _ in range(calls)], calls)
        many = _per_call(lambda: [f.result() for f in [pool.submit(len, arg) for _ in range(calls)]], calls)
    return one, many


def _per_call(work: Callable[[], object], calls: int) -> float:
    work()  # warm: the worker's imports, the pipe's buffers
    start = time.process_time()
    work()
    return (time.process_time() - start) / calls * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    calls = parser.parse_args().calls
    text = next(iter(sorted((ROOT / "notices").glob("*.txt")))).read_text(encoding="utf-8")
    print(f"run-process CPU per round trip (ms), {calls} calls each; ratio = pool / lanes")
    for name, arg in ((f"a notice ({len(text):,} characters)", text), ("one character", "x")):
        lanes, pool = through_lanes(arg, calls), through_pool(arg, calls)
        for how, i in (("one at a time", 0), ("all sent at once", 1)):
            print(f"{name:>32}, {how:>16}: lanes {lanes[i]:.3f}, pool {pool[i]:.3f}, ratio {pool[i] / lanes[i]:.1f}")


if __name__ == "__main__":
    main()
