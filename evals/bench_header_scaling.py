"""Header rules on adversarial long texts: time at 4x the length, as a ratio (a benchmark, not a test).

Linear code shows a ratio near 4; a rescan per match (quadratic) shows 16.
Each text is one long run of what the header grammars look for: dates,
team words, digits, headline-like lines, bracketed aliases.
Usage: python evals/bench_header_scaling.py
"""

from __future__ import annotations

import statistics
import time

from llm_extract.record import Draft
from llm_extract.rules import header, landmarks_of, layout_of

UNITS = {
    "dates": "2021年3月1日至",
    "page dates": "发布时间:2021-03-01 ",
    "team words": "市委巡视",
    "digits": "1",
    "openings": "市委第一巡察组对我区开展了巡视",
    "headlines": "中共关于巡视整改情况\n",
    "aliases": "我区(简称",
}


def seconds(text: str, rounds: int = 3) -> float:
    """Median time of the header step alone (layout and landmarks built beforehand)."""
    times = []
    for _ in range(rounds):
        layout_of.cache_clear()
        layout = layout_of(text)
        marks = landmarks_of(layout)
        start = time.perf_counter()
        header.extract_header(layout, Draft(text), marks)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    for name, unit in UNITS.items():
        small, big = (unit * (n // len(unit)) for n in (100_000, 400_000))
        a, b = seconds(small), seconds(big)
        print(f"{name:12s} 100k chars {a * 1e3:7.1f} ms   400k chars {b * 1e3:7.1f} ms   ratio {b / a:4.1f} (linear: 4)")


if __name__ == "__main__":
    main()
