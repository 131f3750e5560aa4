"""Reading what sites serve: encodings, HTML, JSONL, and files that are not text."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from hypothesis import given, settings, strategies as st

from llm_extract.run import count_inputs
from llm_extract.documents import BadInput, Document, decode, html_to_text, iter_documents, iter_inputs

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


def test_a_gbk_file_with_one_nul_byte_is_text_not_binary(tmp_path: Path) -> None:
    data = SAMPLE.encode("gbk")
    cut = len("根据省委统一部署，".encode("gbk"))
    (tmp_path / "nul.txt").write_bytes(data[:cut] + b"\x00" + data[cut:])
    (doc,) = list(iter_documents([tmp_path / "nul.txt"]))
    assert isinstance(doc, Document) and doc.text == SAMPLE[:9] + "\x00" + SAMPLE[9:]


def test_sub_folders_are_read_and_every_skipped_path_is_named(tmp_path: Path) -> None:
    for rel in ("top.txt", "2021/a.txt", "2021/zj/b.html", "2022/a.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "2022" / "scan.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "2022" / "up").symlink_to("..")  # a loop back to the root
    (tmp_path / "2022" / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    os.mkfifo(tmp_path / "2022" / "pipe.txt")  # reading it would block for ever
    warnings: list[str] = []
    items = list(iter_inputs([tmp_path], warn=warnings.append))
    assert [(type(i).__name__, i.id) for i in items] == [
        ("Found", "top"), ("Found", "2021/a"), ("Found", "2021/zj/b"), ("Found", "2022/a"), ("BadInput", "2022/gone")]
    assert "dangling link" in items[-1].error  # type: ignore[union-attr]
    assert {w.split(":")[0] for w in warnings} == {
        f"skipped 1 file(s) in {tmp_path / '2022'} that are not .txt/.html/.htm/.jsonl",
        f"skipped {tmp_path / '2022' / 'pipe.txt'}", f"skipped {tmp_path / '2022' / 'up'}"}
    assert "scan.pdf" in " ".join(warnings)
    docs = [d for d in iter_documents([tmp_path]) if isinstance(d, Document)]
    assert [d.id for d in docs] == ["top", "2021/a", "2021/zj/b", "2022/a"] and all(d.text == SAMPLE for d in docs)
    assert count_inputs([tmp_path]) == 5  # the progress bar counts what is read: four notices, one error line


def test_deeply_nested_html_reads_in_linear_time() -> None:
    """50,000 nested <div>s took 158 s in BeautifulSoup; unterminated tags were quadratic in HTMLParser."""
    deep = "<html><body>" + "<div>" * 50_000 + f"<p>{SAMPLE}</p>" + "</div>" * 50_000 + "</body></html>"
    assert html_to_text(deep) == SAMPLE
    for hostile in ("<a " * 50_000, "<div class=x" * 30_000, '<a b="' * 30_000, "<!--" * 50_000, "<p><b>" * 50_000):
        assert SAMPLE in html_to_text(f"<html><body><p>{SAMPLE}</p>{hostile}")


def test_html_text_keeps_block_lines_and_drops_what_is_not_shown() -> None:
    page = ("<!DOCTYPE html><html><head><title>通报</title><style>p>b{x:1}</style></head><body>"
            "<div>首页 &gt; 巡视</div><!-- <p>注释</p> --><p title='a>b'>一<br>二<br/>三</p>"
            "<svg><text>图</text></svg><noscript>请启用</noscript><script>var s='</p>';</script>"
            "<ul><li>甲<li>乙</ul></body></html>")
    assert html_to_text(page) == "通报\n\n首页 > 巡视\n\n一\n\n二\n\n三\n\n甲\n乙"


HTML_PIECES = ["<div>", "</div>", "<p class='x'>", "<a ", '"', "'", ">", "<", "<!--", "-->", "<script>", "</script>",
               "<svg>", "</svg>", "<br/>", "<![CDATA[", "]]>", "&amp;", "&#", "巡视整改", " ", "\n"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(HTML_PIECES), min_size=1, max_size=10), st.integers(3000, 6000))
def test_html_reading_stays_linear_on_generated_hostile_pages(pieces: list[str], repeat: int) -> None:
    """Any mix of tag fragments, repeated: a bound of 2 s per page only catches a quadratic (old: minutes)."""
    page = "<html><body>" + "".join(pieces) * repeat
    started = time.monotonic()
    text = html_to_text(page)
    assert time.monotonic() - started < 2.0, f"{len(page):,} characters took too long"
    assert "<script>" not in text or "<![CDATA[" in page


def test_source_texts_read_each_jsonl_line_as_the_run_read_it(tmp_path: Path) -> None:
    from llm_extract.documents import SourceTexts

    path = tmp_path / "batch.jsonl"
    lines = [json.dumps({"id": "a", "text": "第一篇 巡视整改"}, ensure_ascii=False), "",
             json.dumps({"id": "b", "text": "<p>第二篇</p><p>整改</p>"}, ensure_ascii=False), "not json",
             json.dumps({"text": "第三篇"}, ensure_ascii=False)]
    path.write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode("utf-8"))
    text_of = SourceTexts()
    read = {item.source: item for item in iter_documents([path])}
    for lineno in range(1, len(lines) + 3):  # past the end too
        source = f"{path}:{lineno}"
        item = read.get(source)
        assert text_of(source) == (item.text if isinstance(item, Document) else None), source
    assert text_of(f"{tmp_path / 'gone.jsonl'}:1") is None and text_of(None) is None
    notice = tmp_path / "one.txt"
    notice.write_text("巡察整改", encoding="utf-8")
    assert text_of(str(notice)) == "巡察整改"
