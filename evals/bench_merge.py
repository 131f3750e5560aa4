"""Model alone, rules alone and merged value F1 on the gold set, for models of known quality.

A model that knows the answers (``tests/support/gold_model.py``) answers
every gold notice: right (p, q = 0, 0), fallible (each number swapped for
another number of its quoted sentence with probability p, each field left
out with probability q) or inventing schema-valid values.  For each setting
the table gives micro F1 over every value (SPEC.md's scoring) of

* *model alone*: the grounded answer, no merge (what grounding lets through);
* *rules alone*: the rules backend's record;
* *merged*: ``merge.settle``, the record an LLM backend writes;

and, for invented answers, how many invented values reached a merged record.
Grounding and merging run in-process on the answers the gold server would
send (a re-ask gets the same answer at temperature 0, so the values refused
after the last re-ask are exactly those ``ground`` refuses here).

Usage: python evals/bench_merge.py [--seeds N] [--gold DIR] [--notices DIR ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.gold_model import gold_pairs, merge_scores  # noqa: E402

SETTINGS: tuple[tuple[str, str, float, float], ...] = (
    ("right answers (p=0, q=0)", "gold", 0.0, 0.0),
    ("fallible (p=0.1, q=0.05)", "noisy", 0.1, 0.05),
    ("fallible (p=0.2, q=0.1)", "noisy", 0.2, 0.1),
    ("invented values", "invent", 0.0, 0.0),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="noise seeds averaged per noisy setting")
    parser.add_argument("--gold", type=Path, default=ROOT / "gold")
    parser.add_argument("--notices", type=Path, nargs="*", default=[ROOT / "notices", ROOT / "tests/data/genre"])
    args = parser.parse_args()
    pairs = gold_pairs(args.gold, args.notices)
    print(f"{len(pairs)} gold notices; noisy settings averaged over {args.seeds} seeds")
    print(f"{'model played':<28} {'model alone':>11} {'rules alone':>11} {'merged':>8} {'merged - best':>13}"
          f" {'invented kept':>13}")
    for name, mode, p, q in SETTINGS:
        s = merge_scores(pairs, mode, p=p, q=q, seeds=args.seeds)  # type: ignore[arg-type]
        invent = mode == "invent"
        best = s.rules if invent else max(s.model, s.rules)
        model_cell = "–" if invent else f"{s.model:.4f}"
        kept_cell = str(s.from_model) if invent else ""
        print(f"{name:<28} {model_cell:>11} {s.rules:>11.4f} {s.merged:>8.4f} {s.merged - best:>+13.4f} {kept_cell:>13}")


if __name__ == "__main__":
    main()
