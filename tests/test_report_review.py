"""Review pages: every span marked (nested ones too), values beside quotes, fields in the registry's order."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import GOLD, NOTICES
from llm_extract.fields import FIELDS
from llm_extract.report.review import Diff, field_order, marked_text, review_page

TEXT = "根据省委统一部署，省委第九巡视组对东阳市开展了巡视。"


def span(text: str, quote: str, start: int = 0) -> dict:
    i = text.index(quote, start)
    return {"start": i, "end": i + len(quote), "quote": quote}


def test_nested_and_crossing_spans_each_get_their_own_mark() -> None:
    evidence = {"inspection_body": span(TEXT, "省委第九巡视组"), "team_number": span(TEXT, "九"),
                "target": span(TEXT, "东阳市"), "crossing": span(TEXT, "巡视组对东阳")}
    html, ids = marked_text(TEXT, evidence)
    assert set(ids) == set(evidence)
    for path, mark_id in ids.items():
        assert f"id='{mark_id}'" in html, path
    assert re.search(r"<mark id='span-\d+' data-tag='inspection_body'[^>]*>省委第<mark id='span-\d+' "
                     r"data-tag='team_number'[^>]*>九</mark>", html)
    assert re.sub(r"<[^>]+>", "", html) == TEXT  # the text is all there, once


def test_the_table_shows_the_value_and_the_quote_and_gold_beside_a_difference() -> None:
    text = "2020年8月10日至9月29日，省委第九巡视组对东阳市开展了巡视。"
    line = {"doc": "d", "status": "ok", "backend": "rules",
            "record": {"inspection_start": "2020-08-10", "target": "东阳市", "team_number": 9},
            "evidence": {"target": span(text, "东阳市"), "inspection_start": span(text, "2020年8月10日"),
                         "team_number": span(text, "九")}}
    page = review_page(line, text, [Diff("target", "东阳", "东阳市")])
    assert "<td class='value'>2020-08-10</td><td class='quote'>2020年8月10日</td>" in page
    target_row = re.search(r"<tr class=diff data-field='target'>.*?</tr>", page).group(0)
    assert "东阳市" in target_row and "gold: 东阳" in target_row
    order = [m for m in re.findall(r"data-field='([\w.]+)'><td>", page)]
    assert order == ["target", "team_number", "inspection_start"]  # the registry's order, not alphabetical


def test_field_order_follows_the_registry_and_list_positions_as_numbers() -> None:
    paths = ["sections.10.title", "contact.phones.0", "sections.2.items.0", "sections.2.title", "title", "issuer"]
    assert sorted(paths, key=field_order) == ["title", "issuer", "sections.2.title", "sections.2.items.0",
                                              "sections.10.title", "contact.phones.0"]
    assert [f.path for f in FIELDS][:2] == ["title", "issuer"]


def test_the_index_names_issuer_target_and_date(tmp_path: Path) -> None:
    run = tmp_path / "rules.jsonl"
    cmd = [sys.executable, "-m", "llm_extract.cli"]
    subprocess.run([*cmd, "extract", str(NOTICES), "--out", str(run), "--quiet"], check=True)
    proc = subprocess.run([*cmd, "review", str(run), "--out", str(tmp_path / "rv"), "--gold", str(GOLD)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    index = (tmp_path / "rv" / "index.html").read_text(encoding="utf-8")
    assert "<th>issuer</th><th>target</th><th>date</th>" in index
    assert "<td>中共东阳市委</td><td>东阳市</td><td>2022-11-11</td>" in index
    page = (tmp_path / "rv" / "000_52b65cbec59bb7bf.html").read_text(encoding="utf-8")
    line = json.loads(run.read_text(encoding="utf-8").splitlines()[0])
    assert page.count("<button class='field'") == len(line["evidence"])
