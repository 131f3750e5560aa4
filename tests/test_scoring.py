"""Scoring follows SPEC.md's last section."""

from __future__ import annotations

from llm_extract.score.scoring import evaluate, score_document


def counts(gold: dict, pred: dict | None, field: str):
    return score_document("d", gold, pred).counts[field]


def test_strings_compare_after_nfkc_without_spaces_or_quotes() -> None:
    c = counts({"target": "“东阳市”"}, {"target": " 东阳市 "}, "target")
    assert (c.tp, c.agree) == (1, 1)


def test_money_within_one_yuan_and_counts_exactly() -> None:
    assert counts({"outcomes": {"funds_returned": 317700}}, {"outcomes": {"funds_returned": 317700.6}}, "outcomes.funds_returned").tp == 1
    assert counts({"outcomes": {"admonishment": 8}}, {"outcomes": {"admonishment": 9}}, "outcomes.admonishment").tp == 0


def test_null_agreement_false_positive_and_miss() -> None:
    both_null = counts({}, {}, "round")
    assert (both_null.agree, both_null.pred, both_null.gold) == (1, 0, 0)
    fp = counts({}, {"round": "第十轮"}, "round")
    assert (fp.agree, fp.pred, fp.tp) == (0, 1, 0)
    miss = counts({"round": "第十轮"}, {}, "round")
    assert (miss.agree, miss.gold, miss.tp) == (0, 1, 0)


def test_sections_match_by_title_similarity_then_items() -> None:
    gold = {"sections": [{"title": "主体责任落实还有短板", "items": ["持续总结推广“寀卢经验”", "加速推进污水项目建设"]}]}
    pred = {"sections": [{"title": "主体责任落实还有短板问题", "items": ["持续总结推广寀卢经验", "别的"]},
                         {"title": "下一步工作打算", "items": []}]}
    result = score_document("d", gold, pred)
    titles, items = result.counts["sections.title"], result.counts["sections.items"]
    assert (titles.tp, titles.pred, titles.gold) == (1, 2, 1)
    assert (items.tp, items.pred, items.gold) == (1, 2, 2)


def test_lists_score_as_sets() -> None:
    c = counts({"contact": {"phones": ["0579-86091025", "12388"]}}, {"contact": {"phones": ["12388"]}}, "contact.phones")
    assert (c.tp, c.pred, c.gold) == (1, 1, 2)


def test_a_missing_prediction_is_all_misses() -> None:
    result = evaluate({"a": {"target": "东阳市"}}, {})
    assert result.missing_predictions == ["a"] and result.per_field["target"].recall == 0
