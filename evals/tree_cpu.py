"""CPU seconds of the processes below this one, for benchmarks (Linux: read from /proc).

A run's worker processes are forked by multiprocessing's fork server, so
they are not this process's children and its rusage never counts them.  A
helper process (whose own CPU is not counted, and which reads only the
``children`` files of the process tree) samples each descendant's CPU time
every 50 ms and keeps the last it saw; a process's CPU in its last 50 ms
before it exits may be missed.
"""

from __future__ import annotations

import subprocess
import sys

_SAMPLER = r"""
import os, sys, threading, time
root, skip = int(sys.argv[1]), {int(x) for x in sys.argv[2:]} | {os.getpid()}
tck = os.sysconf("SC_CLK_TCK")
seen, lock = {}, threading.Lock()

def children(pid):
    out = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out

def sample():
    todo = [p for p in children(root) if p not in skip]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / tck
        except (OSError, IndexError, ValueError):
            continue
        with lock:
            seen[pid] = max(cpu, seen.get(pid, 0.0))
        todo += children(pid)

def loop():
    while True:
        sample()
        time.sleep(0.05)

threading.Thread(target=loop, daemon=True).start()
for _ in sys.stdin:
    sample()
    with lock:
        print(sum(seen.values()), flush=True)
"""


class TreeCPU:
    """``seconds()``: CPU seconds used so far by every process below this one but those in ``skip``."""

    def __init__(self, root: int, skip: list[int]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _SAMPLER, str(root), *map(str, skip)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def seconds(self) -> float:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
