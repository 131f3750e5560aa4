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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from llm_extract import rules  # noqa: E402
from llm_extract.ground import ground  # noqa: E402
from llm_extract.merge import grounding_regions, merge  # noqa: E402
from llm_extract.score.scoring import evaluate  # noqa: E402
from support.gold_model import answer_from_gold, gold_pairs, invented_answer_for  # noqa: E402

SETTINGS: tuple[tuple[str, float, float], ...] = (
    ("right answers (p=0, q=0)", 0.0, 0.0),
    ("fallible (p=0.1, q=0.05)", 0.1, 0.05),
    ("fallible (p=0.2, q=0.1)", 0.2, 0.1),
    ("invented values", -1.0, -1.0),
)


def from_model(sources: dict[str, str]) -> int:
    """How many fields of a merged record the model supplied (``model``, ``model:<why>``; not a null).

    Under an inventing model every such field is an invented value that
    reached the record; a rules value that happens to equal an invention
    (the notice really is 专项) is ``rules`` or ``both`` and not counted.
    """
    return sum(1 for source in sources.values() if source.startswith("model") and source != "model:null")


def score_setting(pairs: list[tuple[str, str, dict[str, Any]]], p: float, q: float,
                  seeds: int) -> tuple[float, float, float, int]:
    """(model alone, rules alone, merged) F1 and invented values kept, for one setting of the gold model."""
    golds = {stem: gold for stem, _, gold in pairs}
    readings = {stem: rules.read(text) for stem, text, _ in pairs}
    rules_f1 = evaluate(golds, {s: r.extraction.record_json() for s, r in readings.items()}).overall.f1
    model_f1 = merged_f1 = 0.0
    kept = 0
    runs = 1 if p < 0 or (p == 0 and q == 0) else seeds
    for seed in range(runs):
        model, merged = {}, {}
        for stem, text, gold in pairs:
            answer = invented_answer_for(text) if p < 0 else answer_from_gold(text, gold, p=p, q=q, seed=seed)
            grounded, _ = ground(answer, text, grounding_regions(readings[stem].landmarks))
            final, sources = merge(readings[stem], grounded)
            model[stem], merged[stem] = grounded.record_json(), final.record_json()
            if p < 0:
                kept += from_model(sources)
        model_f1 += evaluate(golds, model).overall.f1 / runs
        merged_f1 += evaluate(golds, merged).overall.f1 / runs
    return model_f1, rules_f1, merged_f1, kept


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
    for name, p, q in SETTINGS:
        model, rules_f1, merged, kept = score_setting(pairs, p, q, args.seeds)
        best = rules_f1 if p < 0 else max(model, rules_f1)
        model_cell = "–" if p < 0 else f"{model:.4f}"
        kept_cell = str(kept) if p < 0 else ""
        print(f"{name:<28} {model_cell:>11} {rules_f1:>11.4f} {merged:>8.4f} {merged - best:>+13.4f} {kept_cell:>13}")


if __name__ == "__main__":
    main()
