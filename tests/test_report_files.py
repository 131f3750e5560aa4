"""Report files say where their records came from, label scores with fallbacks, and show "–" for nothing to score."""

from __future__ import annotations

import json
from pathlib import Path

from llm_extract.report.files import markdown, report_dict, write_reports
from llm_extract.score.runs import Run
from llm_extract.score.scoring import score_run

TEXT = "2022年5月9日，省委第九巡视组向东阳市委反馈了巡视意见。受到党纪处分8人。"
GOLD = {"a": {"target": "东阳市", "outcomes": {"party_discipline": 8}}, "b": {"target": "义乌市"}}


def run_with(status_b: str) -> Run:
    run = Run()
    i = TEXT.index("8")
    run.add({"doc": "a", "status": "ok", "backend": "m", "record": {"target": "东阳市", "outcomes": {"party_discipline": 9}},
             "evidence": {"outcomes.party_discipline": {"start": i, "end": i + 1, "quote": "8"}}})
    run.add({"doc": "b", "status": status_b, "backend": "m", "record": {"target": "义乌市"}})
    return run


def test_a_run_with_a_fallback_is_labelled_in_json_markdown_and_html(tmp_path: Path) -> None:
    result = score_run(GOLD, run_with("fallback"))
    assert result.origins == {"ok": 1, "fallback": 1, "error": 0, "not_a_notice": 0, "missing": 0}
    data = report_dict(result, {"backend": "m"})
    assert data["records"]["fallback"] == 1 and "WITH FALLBACKS" in data["label"]
    paths = write_reports(result, tmp_path, {"backend": "m"})
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert "1 from m, 1 fell back to rules, 0 failed" in text or path.suffix == ".json", path.name
        assert "WITH FALLBACKS" in text, path.name


def test_a_clean_run_carries_no_label() -> None:
    result = score_run(GOLD, run_with("ok"))
    assert result.label is None and "WITH" not in markdown(result)


def test_nothing_to_score_is_a_dash_and_never_a_perfect_score() -> None:
    result = score_run(GOLD, run_with("ok"))
    rows = {r["field"]: r for r in report_dict(result)["fields"]}
    empty = rows["plan.problems_rectified"]
    assert (empty["accuracy"], empty["precision"], empty["recall"], empty["f1"], empty["gold"]) == (None, None, None, None, 0)
    assert "| `plan.problems_rectified` | plan | – | – | – | – | 0 | 0 |" in markdown(result)


def test_one_word_output_and_the_quote_in_context(tmp_path: Path) -> None:
    run = run_with("ok")
    result = score_run(GOLD, run)
    from llm_extract.score.runs import attach_context

    attach_context(result, run, texts={"a": TEXT})
    data = report_dict(result)
    diff = next(d for doc in data["documents"] for d in doc["differences"] if d["field"] == "outcomes.party_discipline")
    assert diff["gold"] == 8 and diff["output"] == 9 and "pred" not in diff
    assert diff["context"] == "市委反馈了巡视意见。受到党纪处分8人。"  # 16 characters either side, within the line
    assert "pred" not in json.dumps(data["overall"]) and "…市委反馈了巡视意见。受到党纪处分**8**人。…" in markdown(result)
    write_reports(result, tmp_path)
    assert "<mark>8</mark>" in (tmp_path / "report.html").read_text(encoding="utf-8")
