"""Resuming over a large output: peak memory and start-up time against the output's size (a benchmark, not a test).

It writes a corpus of N notices (JSONL) and an output in which every one is
already done (N lines of ~9 KB, as the rules backend writes them), then
times ``llm-extract extract corpus.jsonl --out out.jsonl`` (which skips
everything) in a fresh process and reports its wall time and peak RSS.
Usage:

    python evals/bench_resume.py [--lines 5000,10000,20000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_corpus(folder: Path, n: int) -> tuple[Path, Path]:
    """N notices and an output holding a finished line for each."""
    from llm_extract.backends import RulesBackend
    from llm_extract.documents import Document

    backend = RulesBackend()
    samples = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "notices").glob("*.txt"))]
    templates = [backend.extract(Document(id="t", text=t, source="t")).to_line() for t in samples]
    corpus, out = folder / f"corpus{n}.jsonl", folder / f"out{n}.jsonl"
    with corpus.open("w", encoding="utf-8") as c, out.open("w", encoding="utf-8") as o:
        for i in range(n):
            text = samples[i % len(samples)] + f"\n(副本 {i})"
            c.write(json.dumps({"id": f"d{i}", "text": text}, ensure_ascii=False) + "\n")
            line = dict(templates[i % len(templates)], doc=f"d{i}", run=backend.fingerprint,
                        doc_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), source=str(corpus))
            o.write(json.dumps(line, ensure_ascii=False) + "\n")
    return corpus, out


def resume(corpus: Path, out: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one resuming run in a fresh process."""
    cmd = [sys.executable, "-m", "llm_extract.cli", "extract", str(corpus), "--out", str(out), "--quiet"]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the run failed: {cmd}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", default="5000,10000,20000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.lines.split(",")):
            corpus, out = write_corpus(Path(tmp), n)
            size = out.stat().st_size / 1e6
            wall, rss = resume(corpus, out)
            print(f"{n:>6} lines ({size:6.1f} MB output): resume {wall:6.2f} s "
                  f"({wall / n * 1e6:5.0f} µs/line), peak RSS {rss:6.1f} MB", flush=True)
            corpus.unlink()
            out.unlink()


if __name__ == "__main__":
    main()
