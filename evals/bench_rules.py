"""Rules-backend throughput on the bundled notices (a benchmark, not a test).

Reports notices per second over the samples, and the time for one notice
blown up to 50,000 characters (the longest notices seen), as measured in
this run on this machine.  Usage: python evals/bench_rules.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from llm_extract.rules import extract as _extract, layout_of
from llm_extract.text import _fold_whole, prepare


def extract(text: str):  # noqa: ANN201
    """Cold: the layout and fold caches are cleared so every call does the whole work (the fold's class of
    changing characters stays built, as in any process that has read more than a few documents)."""
    layout_of.cache_clear()
    _fold_whole.cache_clear()
    return _extract(text)

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    prepare()
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "notices").glob("*.txt"))]
    for text in texts:  # warm caches and regex compilation
        extract(text)
    start = time.perf_counter()
    for _ in range(args.rounds):
        for text in texts:
            extract(text)
    elapsed = time.perf_counter() - start
    n = args.rounds * len(texts)
    chars = sum(map(len, texts)) * args.rounds
    print(f"samples: {n} notices in {elapsed:.3f} s = {n / elapsed:.1f} notices/s ({chars / elapsed / 1e6:.2f} M chars/s, "
          f"{elapsed / chars * 1e4 * 1000:.2f} ms per 10,000 chars; target < 10)")

    # A 50,000-character notice: the longest sample's findings repeated until that long.
    base = max(texts, key=len)
    head, _, tail = base.rpartition("欢迎广大干部群众")
    big = head
    while len(big) < 50_000:
        big += head[len(head) // 3:]
    big = big[:50_000] + "\n欢迎广大干部群众" + tail
    times = []
    for _ in range(max(5, args.rounds // 2)):
        t = time.perf_counter()
        extract(big)
        times.append(time.perf_counter() - t)
    print(f"50,000-char notice ({len(big)} chars): median {statistics.median(times) * 1000:.1f} ms, "
          f"max {max(times) * 1000:.1f} ms over {len(times)} runs")


if __name__ == "__main__":
    main()
