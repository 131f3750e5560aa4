"""Reading what sites serve: encodings, HTML, JSONL, and files that are not text."""

from __future__ import annotations

import json
from pathlib import Path

from llm_extract.documents import BadInput, Document, decode, iter_documents

SAMPLE = "根据省委统一部署，2022年2月28日至3月31日，省委第九巡视组对东阳市开展了巡视“回头看”。"


def test_utf8_bom_gb18030_utf16_and_big5_decode_to_the_same_text() -> None:
    for data in (SAMPLE.encode("utf-8-sig"), SAMPLE.encode("gb18030"), SAMPLE.encode("utf-16"),
                 SAMPLE.encode("utf-16-le"), SAMPLE.encode("gbk")):
        assert decode(data)[0] == SAMPLE
    traditional = "根據省委統一部署，省委第九巡視組對東陽市開展了巡視。整改情況予以公布。"
    assert decode(traditional.encode("big5"))[0] == traditional


def test_html_is_reduced_to_visible_text(tmp_path: Path) -> None:
    page = ("<html><head><title>通报</title><script>var x='省委第一巡视组';</script></head>"
            f"<body><div class='nav'>首页</div><p>{SAMPLE}</p><p>联系电话：0579-86091025</p></body></html>")
    (tmp_path / "page.html").write_text(page, encoding="gbk")
    (doc,) = list(iter_documents([tmp_path]))
    assert isinstance(doc, Document)
    assert SAMPLE in doc.text and "var x" not in doc.text
    assert "\n联系电话：0579-86091025" in doc.text


def test_bad_inputs_are_reported_one_by_one_and_the_rest_still_read(tmp_path: Path) -> None:
    (tmp_path / "a_good.txt").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "b_binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "c_empty.txt").write_bytes(b"")
    jsonl = tmp_path / "d_batch.jsonl"
    jsonl.write_text(json.dumps({"id": "n1", "text": SAMPLE}, ensure_ascii=False) + "\n{not json\n"
                     + json.dumps({"id": "n3"}) + "\n", encoding="utf-8")
    items = list(iter_documents([tmp_path, tmp_path / "missing.txt"]))
    kinds = [(type(i).__name__, i.id) for i in items]
    assert kinds == [("Document", "a_good"), ("BadInput", "b_binary"), ("Document", "c_empty"),
                     ("Document", "n1"), ("BadInput", "d_batch:2"), ("BadInput", "d_batch:3"), ("BadInput", "missing")]
    assert "binary" in items[1].error  # type: ignore[union-attr]
    assert isinstance(items[-1], BadInput) and "no such file" in items[-1].error
