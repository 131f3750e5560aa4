"""The LLM backend over real HTTP against a scripted OpenAI-compatible server.

No client object is mocked: the openai package talks to a server on
127.0.0.1 that plays the model, faults included.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.answers import faithful_answer, invented_answer
from support.fake_openai import ScriptedServer
from llm_extract.backends import RulesBackend
from llm_extract.llm.backend import LLMBackend
from llm_extract.config import BackendConfig
from llm_extract.documents import Document
from llm_extract.run import run_documents
from test_run import _docs

DOC_ID = "000_52b65cbec59bb7bf"


def backend(srv: ScriptedServer | str, **overrides) -> LLMBackend:
    base_url = srv if isinstance(srv, str) else srv.base_url
    settings = {"name": "scripted", "base_url": base_url, "model": "scripted", "mode": "json_schema",
                "timeout": 5.0, "max_retries": 2, "transport_retries": 3, **overrides}
    return LLMBackend(BackendConfig(**settings))


@pytest.fixture()
def doc(sample_texts: dict[str, str]) -> Document:
    return Document(id=DOC_ID, text=sample_texts[DOC_ID], source="test")


def rules_record(doc: Document) -> dict:
    return RulesBackend().extract(doc).extraction.record_json()  # type: ignore[union-attr]


@pytest.mark.parametrize("mode", ["json_schema", "tools", "json", "md_json"])
def test_a_faithful_model_in_every_mode(doc: Document, mode: str) -> None:
    answer = faithful_answer(doc.text)
    with ScriptedServer(default={"json": answer}) as srv:
        line = backend(srv, mode=mode).extract(doc).to_line()
    assert line["status"] == "ok" and line["error"] is None
    assert line["record"] == rules_record(doc)
    assert line["sources"]["plan.measures"] == "both" and line["sources"]["target"] == "both"
    assert line["reasks"] == 0 and line["transport_retries"] == 0
    assert line["usage"] == {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18, "requests": 1}
    assert line["prompt"].startswith("extract@")
    if mode == "tools":
        assert srv.requests[0]["tools"]
    if mode == "json_schema":
        assert srv.requests[0]["response_format"]["type"] == "json_schema"


def test_instructors_handlers_are_loaded_with_the_backend_not_by_the_first_requests() -> None:
    """instructor imports its OpenAI handlers (and requests, urllib3: ~90 ms) on the first call;
    a run's first requests would all wait for that import before any was sent."""
    code = ("import sys; from llm_extract.config import BackendConfig; from llm_extract.llm.backend import LLMBackend; "
            "LLMBackend(BackendConfig(name='b', base_url='http://127.0.0.1:9', model='m')); "
            "print('instructor.v2.providers.openai.handlers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_500s_are_retried_and_never_shown_to_the_model(doc: Document) -> None:
    answer = faithful_answer(doc.text)
    with ScriptedServer([{"status": 500}, {"status": 503}], default={"json": answer}) as srv:
        line = backend(srv).extract(doc).to_line()
    assert line["status"] == "ok" and line["transport_retries"] == 2 and line["reasks"] == 0
    assert srv.requests[0]["messages"] == srv.requests[2]["messages"]  # no error text added


def test_429_waits_as_long_as_retry_after_says(doc: Document) -> None:
    with ScriptedServer([{"status": 429, "retry_after": 1}], default={"json": faithful_answer(doc.text)}) as srv:
        started = time.monotonic()
        line = backend(srv).extract(doc).to_line()
        waited = time.monotonic() - started
    assert line["status"] == "ok" and line["transport_retries"] == 1
    assert waited >= 0.9  # a lower bound only: honouring Retry-After, not a speed claim
    assert srv.requests[0]["messages"] == srv.requests[1]["messages"]


def test_a_hung_request_times_out_and_is_retried(doc: Document) -> None:
    with ScriptedServer([{"delay": 5, "json": {}}], default={"json": faithful_answer(doc.text)}) as srv:
        line = backend(srv, timeout=0.5).extract(doc).to_line()
    assert line["status"] == "ok" and line["transport_retries"] == 1


def test_malformed_json_is_re_asked(doc: Document) -> None:
    with ScriptedServer([{"content": '{"title": {"value": "x", "quote": '}],
                        default={"json": faithful_answer(doc.text)}) as srv:
        line = backend(srv).extract(doc).to_line()
    assert line["status"] == "ok" and line["reasks"] == 1 and line["transport_retries"] == 0
    assert line["usage"]["requests"] == 2 and line["usage"]["total_tokens"] == 36  # failed attempt counted
    assert line["record"] == rules_record(doc)


def test_an_ungrounded_quote_goes_back_to_the_model_as_an_error(doc: Document) -> None:
    bad = faithful_answer(doc.text)
    bad["outcomes"]["admonishment"] = {"value": 80, "quote": "诫勉80人"}
    with ScriptedServer([{"json": bad}], default={"json": faithful_answer(doc.text)}) as srv:
        line = backend(srv).extract(doc).to_line()
    assert line["status"] == "ok" and line["reasks"] == 1
    reask = json.dumps(srv.requests[1]["messages"], ensure_ascii=False)
    assert "诫勉80人" in reask and "does not occur in the notice" in reask
    assert line["record"]["outcomes"]["admonishment"] == 8


def test_the_answer_that_passed_is_grounded_once_and_the_tail_takes_that_grounding(
        doc: Document, monkeypatch: pytest.MonkeyPatch) -> None:
    from llm_extract import merge
    from llm_extract.llm.tail import finish

    bad = faithful_answer(doc.text)
    bad["outcomes"]["admonishment"] = {"value": 80, "quote": "诫勉80人"}
    with ScriptedServer([{"json": bad}], default={"json": faithful_answer(doc.text)}) as srv:
        asked = backend(srv).ask(doc)
    assert asked.answer == faithful_answer(doc.text)  # the second answer, the one that passed
    groundings, ground_answer = [], merge.ground_answer
    monkeypatch.setattr(merge, "ground_answer", lambda *a: groundings.append(a) or ground_answer(*a))
    line = finish(doc, asked).to_line()
    assert groundings == []  # held since the validator grounded it
    assert line == finish(doc, asked).to_line() and len(groundings) == 1  # not held any more: grounded anew, alike
    assert line["record"]["outcomes"]["admonishment"] == 8


def test_invented_values_are_rejected_re_asked_then_dropped_for_rules(doc: Document) -> None:
    with ScriptedServer(default={"json": invented_answer()}) as srv:
        line = backend(srv, max_retries=2).extract(doc).to_line()
    assert srv.count == 3  # the first answer and two re-asks
    assert line["status"] == "ok" and line["reasks"] == 2
    assert line["record"] == rules_record(doc)
    assert "9999" not in json.dumps(line["record"]) and "虚构" not in json.dumps(line["record"], ensure_ascii=False)
    assert set(line["sources"].values()) == {"rules"}
    assert "9999" in line["rejected_output"] and line["rejections"]


def test_a_grounded_number_from_the_wrong_paragraph_loses_to_the_summary(doc: Document) -> None:
    answer = faithful_answer(doc.text)
    # a real sentence deep in the body: "对135名村社党员干部给予党纪处分"
    answer["outcomes"]["party_discipline"] = {"value": 135, "quote": "对135名村社党员干部给予党纪处分"}
    answer["outcomes"]["combined_discipline"] = {"value": 25, "quote": "党纪政务处分25人"}
    with ScriptedServer(default={"json": answer}) as srv:
        line = backend(srv).extract(doc).to_line()
    assert line["record"]["outcomes"]["party_discipline"] is None
    assert line["record"]["outcomes"]["combined_discipline"] == 163
    assert line["sources"]["outcomes.combined_discipline"] == "rules"


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def test_a_server_that_is_down_still_yields_the_rules_record(doc: Document) -> None:
    line = backend(_closed_port(), transport_retries=1).extract(doc).to_line()
    assert line["status"] == "fallback" and "APIConnectionError" in line["error"]
    assert line["record"] == rules_record(doc)


def test_the_api_key_never_reaches_the_output(doc: Document, monkeypatch: pytest.MonkeyPatch) -> None:
    sentinel = "sk-SENTINEL-do-not-leak-4242"
    monkeypatch.setenv("SCRIPTED_KEY", sentinel)
    echo_key = lambda body: {"status": 401, "message": f"Incorrect API key provided: {sentinel}"}  # noqa: E731
    with ScriptedServer(default=echo_key) as srv:
        line = backend(srv, api_key_env="SCRIPTED_KEY").extract(doc).to_line()
        assert srv.requests[0]["_headers"]["authorization"] == f"Bearer {sentinel}"
    assert line["status"] == "fallback"
    assert sentinel not in json.dumps(line, ensure_ascii=False)


def test_cost_is_tokens_times_the_configured_prices(doc: Document) -> None:
    with ScriptedServer(default={"json": faithful_answer(doc.text), "prompt_tokens": 1000, "completion_tokens": 500}) as srv:
        line = backend(srv, price_prompt_per_million=2.0, price_completion_per_million=8.0).extract(doc).to_line()
    assert line["cost"] == pytest.approx((1000 * 2.0 + 500 * 8.0) / 1e6)


def test_a_429_pauses_every_worker_of_the_run() -> None:
    import threading

    from llm_extract.llm.transport import RateLimiter

    limiter = RateLimiter(rpm=None, tpm=None)
    limiter.pause(0.5)  # what one worker does on a 429 with Retry-After
    waited = []

    def other_worker() -> None:
        started = time.monotonic()
        limiter.wait()
        waited.append(time.monotonic() - started)

    threads = [threading.Thread(target=other_worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(waited) == 3 and min(waited) >= 0.4


def test_documents_asked_at_once_each_count_only_their_own_transport_retries(tmp_path: Path) -> None:
    """One tenacity loop serves every request thread of a backend; each document's line counts its own."""
    src, texts = _docs(tmp_path, 6)
    failed: set[str] = set()

    def server(body: dict) -> dict:  # the first request of doc00, doc02 and doc04 fails once
        doc = next(d for d in texts if d in json.dumps(body["messages"], ensure_ascii=False))
        if doc in ("doc00", "doc02", "doc04") and doc not in failed:
            failed.add(doc)
            return {"status": 500}
        return {"json": faithful_answer(texts[doc])}

    with ScriptedServer(default=server) as srv:
        run_documents([src], backend(srv), tmp_path / "out.jsonl", concurrency=6)
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {line["doc"]: line["transport_retries"] for line in lines} == {
        "doc00": 1, "doc01": 0, "doc02": 1, "doc03": 0, "doc04": 1, "doc05": 0}
