"""The gold model: a model that knows the right record and quotes the notice for it.

If the perfect answer does not ground, or grounds to something other than
the gold record, the fault is in grounding, scoring or the gold file, not in
any model: these tests are where such a gap shows first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest

import llm_extract
from llm_extract.config import BackendConfig
from llm_extract.documents import Document
from llm_extract.ground import ground
from llm_extract.llm.answer import LLMNotice
from llm_extract.llm.backend import LLMBackend
from llm_extract.score.scoring import evaluate, score_document
from support.gold_model import GoldServer, answer_from_gold, gold_pairs, invented_answer_for, unquoted

ROOT = Path(llm_extract.__file__).resolve().parent.parent
PAIRS = gold_pairs(ROOT / "gold", [ROOT / "notices"])
#: the bundled notices and the genre corpus: every gold file with its text
ALL_PAIRS = gold_pairs(ROOT / "gold", [ROOT / "notices", ROOT / "tests" / "data" / "genre"])
BY_STEM = {stem: (text, gold) for stem, text, gold in PAIRS}
STEMS = sorted(BY_STEM)
ALL_BY_STEM = {stem: (text, gold) for stem, text, gold in ALL_PAIRS}
NUMERIC_PREFIXES = ("plan.", "outcomes.")


def f1(scored: Any) -> float:
    """Micro F1 over every value of a scored document (what ``evaluate``'s overall line reports)."""
    tp = sum(c.tp for c in scored.counts.values())
    pred = sum(c.pred for c in scored.counts.values())
    gold = sum(c.gold for c in scored.counts.values())
    return 2 * tp / (pred + gold) if pred + gold else 1.0


def leaves(node: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """The ``{"value", "quote"}`` leaves of an answer by dotted path."""
    out: dict[str, dict[str, Any]] = {}
    for key, value in node.items():
        if isinstance(value, dict) and set(value) == {"value", "quote"}:
            out[prefix + key] = value
        elif isinstance(value, dict):
            out.update(leaves(value, prefix + key + "."))
    return out


def nested(path: str, leaf: Any) -> dict[str, Any]:
    """A one-field answer: ``{"outcomes": {"admonishment": leaf}}`` for ``outcomes.admonishment``."""
    node: Any = leaf
    for part in reversed(path.split(".")):
        node = {part: node}
    return node


def numbers(record: dict[str, Any]) -> dict[str, Any]:
    """The record's counts and sums of money (plan, outcomes, breakdowns) and team ordinal."""
    flat = {f"{k}.{key}": v for k in ("plan", "outcomes") for key, v in (record.get(k) or {}).items()}
    for k in ("party_discipline_breakdown", "government_discipline_breakdown"):
        flat.update({f"outcomes.{k}.{key}": v for key, v in (flat.pop(f"outcomes.{k}") or {}).items()})
    flat["team_number"] = record.get("team_number")
    return {k: v for k, v in flat.items() if v is not None}


def test_every_bundled_notice_has_a_gold_file() -> None:
    assert len(PAIRS) == 5
    assert len(ALL_PAIRS) == len(list((ROOT / "gold").glob("*.json")))  # and every gold file its text


# --- answers ---------------------------------------------------------------


@pytest.mark.parametrize("stem", sorted(ALL_BY_STEM))
def test_the_gold_answer_grounds_without_errors_to_the_gold_record(stem: str) -> None:
    text, gold = ALL_BY_STEM[stem]
    answer = answer_from_gold(text, gold)
    extraction, errors = ground(answer, text)
    assert errors == []
    assert unquoted(text, gold) == []  # every gold value found a quote ground accepts
    scored = score_document(stem, gold, extraction.record_json())
    assert f1(scored) >= 0.99, [(d.field, d.gold, d.pred) for d in scored.differences]


def test_the_gold_answers_score_perfectly_over_every_gold_notice() -> None:
    predictions = {stem: ground(answer_from_gold(text, gold), text)[0].record_json()
                   for stem, text, gold in ALL_PAIRS}
    overall = evaluate({stem: gold for stem, _, gold in ALL_PAIRS}, predictions).overall
    print(f"gold model over {len(ALL_PAIRS)} notices: P={overall.precision:.4f} R={overall.recall:.4f} "
          f"F1={overall.f1:.4f} ({overall.tp}/{overall.gold} values)")
    assert overall.f1 >= 0.99


def test_a_count_is_quoted_with_its_trigger_word() -> None:
    text, gold = BY_STEM["002_3560743218ed87cc"]
    outcomes = answer_from_gold(text, gold)["outcomes"]
    assert outcomes["party_discipline"] == {"value": 94, "quote": "给予党纪处分94人(党内警告53人"}
    assert outcomes["admonishment"] == {"value": 14, "quote": "诫勉14人"}


def test_money_and_dates_are_quoted_as_the_text_writes_them() -> None:
    text, gold = BY_STEM["000_52b65cbec59bb7bf"]
    answer = answer_from_gold(text, gold)
    assert answer["outcomes"]["funds_returned"]["quote"] == "清退款项31.77万元(含收缴款30.45万元)"
    assert answer["inspection_end"] == {"value": "2022-03-31", "quote": "3月31日"}  # year from 2022年2月28日
    packed = answer_from_gold(*BY_STEM["004_a2fdee0aed3fff2e"])  # the page lost 年 and 月
    assert packed["inspection_start"] == {"value": "2020-08-10", "quote": "2020810日"}
    assert packed["publish_date"] == {"value": "2021-06-18", "quote": "2021-06-18"}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noise_swaps_values_quoting_their_whole_sentence_and_leaves_fields_out(seed: int) -> None:
    changed = dropped = 0
    for _, text, gold in ALL_PAIRS:
        clean = leaves(answer_from_gold(text, gold))
        noisy = leaves(answer_from_gold(text, gold, p=0.2, q=0.1, seed=seed))
        assert all(leaf["quote"] in text for leaf in noisy.values())
        assert set(noisy) <= set(clean)
        dropped += len(set(clean) - set(noisy))
        for path, leaf in noisy.items():
            if leaf["value"] == clean[path]["value"]:
                assert leaf["quote"] == clean[path]["quote"]
                continue
            changed += 1
            # the sentence the figure was taken from, quoted whole, so the swap passes grounding
            assert clean[path]["quote"] in leaf["quote"]
            assert ground(nested(path, leaf), text)[1] == []
    assert changed > 0 and dropped > 0


def test_the_same_seed_gives_the_same_answer_and_another_seed_another() -> None:
    def run(seed: int) -> list[dict[str, Any]]:
        return [answer_from_gold(text, gold, p=0.2, q=0.1, seed=seed) for _, text, gold in PAIRS]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_a_swapped_number_comes_from_the_quoted_sentence() -> None:
    text, gold = BY_STEM["004_a2fdee0aed3fff2e"]
    clean = leaves(answer_from_gold(text, gold))
    noisy = leaves(answer_from_gold(text, gold, p=1.0))
    swapped = {path: leaf for path, leaf in noisy.items() if leaf["value"] != clean[path]["value"]}
    assert swapped
    summary = next(line for line in text.splitlines() if "党纪处分21人" in line)
    for path, leaf in swapped.items():
        if path.startswith("outcomes.") and leaf["quote"] in summary:
            value = leaf["value"]
            assert (f"{value // 10_000}万元" if path.endswith(("funds_returned", "losses_recovered")) else str(value)) in summary


def test_invented_answers_fit_the_schema_vary_by_notice_and_none_grounds() -> None:
    answers = [invented_answer_for(text) for _, text, _ in PAIRS]
    assert len({json.dumps(a, ensure_ascii=False) for a in answers}) == len(answers)
    for (_, text, _), answer in zip(PAIRS, answers):
        LLMNotice.model_validate(answer)  # schema-valid: only grounding can refuse it
        extraction, errors = ground(answer, text)
        assert len(errors) >= len(leaves(answer)) and not extraction.evidence
        assert invented_answer_for(text) == answer


# --- the server ------------------------------------------------------------


def backend(srv: GoldServer, mode: str = "json_schema", **overrides: Any) -> Any:
    return LLMBackend(BackendConfig(name="gold", base_url=srv.base_url, model="gold", mode=mode, timeout=10,
                                    **overrides))


@pytest.mark.parametrize("mode", ["json_schema", "tools", "json", "md_json"])
def test_the_server_answers_in_every_instructor_mode(mode: str) -> None:
    stem = "002_3560743218ed87cc"
    text, gold = BY_STEM[stem]
    with GoldServer([(t, g) for _, t, g in PAIRS], "gold") as srv:
        line = backend(srv, mode).extract(Document(id=stem, text=text, source="test")).to_line()
        request = srv.requests[0]
    assert line["status"] == "ok" and line["error"] is None
    assert line["reasks"] == 0 and srv.count == 1 and srv.matched == [STEMS.index(stem)]
    assert numbers(line["record"]) == numbers(gold)
    assert bool(request.get("tools")) == (mode == "tools")
    assert bool(request.get("response_format")) == (mode in ("json_schema", "json"))


def test_every_notice_is_recognised_from_its_excerpt_and_answered_right() -> None:
    with GoldServer([(t, g) for _, t, g in PAIRS], "gold") as srv:
        lines = {stem: backend(srv).extract(Document(id=stem, text=text, source="test")).to_line()
                 for stem, text, _ in PAIRS}
        assert srv.matched == list(range(len(PAIRS)))
    scores = {stem: f1(score_document(stem, gold, lines[stem]["record"])) for stem, _, gold in PAIRS}
    print("after merge with the rules record:", {stem[:3]: round(s, 4) for stem, s in scores.items()})
    for stem, _, gold in PAIRS:
        assert lines[stem]["status"] == "ok" and lines[stem]["reasks"] == 0
        assert numbers(lines[stem]["record"]) == numbers(gold)


def test_a_re_ask_gets_the_same_answer_and_an_unknown_notice_an_empty_one() -> None:
    text = PAIRS[0][1]
    with GoldServer([(t, g) for _, t, g in PAIRS], "noisy", p=0.5, q=0.2, seed=3) as srv:
        client = openai.OpenAI(base_url=srv.base_url, api_key="none", max_retries=0)
        ask = lambda content: client.chat.completions.create(  # noqa: E731
            model="gold", messages=[{"role": "user", "content": content}]).choices[0].message.content
        first, again = ask(text), ask(text)
        unknown = ask("一篇与任何金标准都无关的文字。")
    assert first == again and json.loads(first.strip("`").removeprefix("json")) == answer_from_gold(
        PAIRS[0][1], PAIRS[0][2], p=0.5, q=0.2, seed=3)
    assert unknown == "```json\n{}\n```"


def test_an_inventing_model_is_refused_and_the_rules_record_stands() -> None:
    stem, text, _ = PAIRS[0]
    with GoldServer([(t, g) for _, t, g in PAIRS], "invent") as srv:
        line = backend(srv, max_retries=1).extract(Document(id=stem, text=text, source="test")).to_line()
        assert srv.count == 2  # the answer and one re-ask, both the same invention
    assert line["status"] == "ok" and line["rejections"]
    assert set(line["sources"].values()) == {"rules"}


def test_a_noisy_model_is_re_asked_for_what_does_not_ground_and_each_notice_still_ends_ok() -> None:
    with GoldServer([(t, g) for _, t, g in PAIRS], "noisy", p=0.2, q=0.1, seed=1) as srv:
        lines = [backend(srv).extract(Document(id=stem, text=text, source="test")).to_line() for stem, text, _ in PAIRS]
        assert srv.count == sum(1 + line["reasks"] for line in lines)
    assert all(line["status"] == "ok" for line in lines)
    assert any(line["reasks"] for line in lines)  # a swapped figure outside its quote goes back to the model


def test_a_name_whose_text_carries_a_bracketed_addition_is_quoted_with_it() -> None:
    text = "根据省委统一部署,省委第三巡视组对某市卫(wèi)生健康委员会开展了巡视。"
    answer = answer_from_gold(text, {"target": "某市卫生健康委员会"})
    assert answer["target"]["quote"] in text and "(wèi)" in answer["target"]["quote"]
    assert ground(answer, text)[0].record.target == "某市卫生健康委员会"
