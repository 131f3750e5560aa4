"""The Batch API route's collect step: the provider's answers become lines like the live route's."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import NOTICES
from llm_extract.config import BackendConfig
from llm_extract.llm.backend import LLMBackend
from llm_extract.llm.openai_batch import collect

DOC = "000_52b65cbec59bb7bf"


def test_a_huge_unusable_batch_answer_is_cut_in_the_line(tmp_path: Path) -> None:
    """A 300,000-character answer that is not JSON falls back to the rules and keeps only a capped copy."""
    answer = "x" * 300_000
    results = tmp_path / "results.jsonl"
    results.write_text(json.dumps({"custom_id": DOC, "response": {"status_code": 200, "body": {
        "choices": [{"message": {"content": answer}}], "usage": {"prompt_tokens": 1, "completion_tokens": 1}}}}),
        encoding="utf-8")
    backend = LLMBackend(BackendConfig(name="b", base_url="http://127.0.0.1:9/v1", model="m"))
    (line,) = [r.to_line() for r in collect(results, [NOTICES / f"{DOC}.txt"], backend)]
    assert line["status"] == "fallback" and line["record"]["target"] == "东阳市"
    assert len(line["rejected_output"]) < 25_000 and "[cut: the answer was 300,000 characters" in line["rejected_output"]
