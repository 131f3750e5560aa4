"""Concurrency against a local OpenAI-compatible server that answers after a fixed delay.

A benchmark, not a test.  For C = 1, 8, 32 it runs D documents through the
LLM backend (rules, grounding and merge included) and reports the wall time
against the ideal D x delay / C, and the project's own time per document.
The server runs in its own process (tests/fake_openai.py), so its work does
not share this process's GIL.  Usage: python evals/bench_concurrency.py [--docs D] [--delay S]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

SERVER = """
import json, sys, time
sys.path.insert(0, {tests!r})
from fake_openai import ScriptedServer
answer = json.loads(open({answer!r}, encoding="utf-8").read())
with ScriptedServer(default={{"json": answer, "delay": {delay}}}) as srv:
    print(srv.base_url, flush=True)
    time.sleep(3600)
"""


def main() -> None:
    from answers import faithful_answer

    from llm_extract.llm.backend import LLMBackend
    from llm_extract.config import BackendConfig
    from llm_extract.documents import Document
    from llm_extract.run import run_documents as run_batch

    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=64)
    # 2 s: a plausible time for a hosted model to answer one notice
    parser.add_argument("--delay", type=float, default=2.0)
    parser.add_argument("--levels", default="1,8,32")
    args = parser.parse_args()
    text = (ROOT / "notices" / "002_3560743218ed87cc.txt").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        (tmpdir / "answer.json").write_text(json.dumps(faithful_answer(text), ensure_ascii=False), encoding="utf-8")
        src = tmpdir / "docs.jsonl"
        src.write_text("".join(json.dumps({"id": f"d{i}", "text": text + f"\n(副本 {i})"}, ensure_ascii=False) + "\n"
                               for i in range(args.docs)), encoding="utf-8")
        code = SERVER.format(tests=str(ROOT / "tests"), answer=str(tmpdir / "answer.json"), delay=args.delay)
        server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        try:
            base_url = server.stdout.readline().strip()  # type: ignore[union-attr]
            urllib.request.urlopen(base_url + "/models", timeout=5).read()
            # the project's own time per document, with the model answering at once (in-process, no delay)
            backend = LLMBackend(BackendConfig(name="bench", base_url=base_url, model="bench", timeout=60))
            doc = Document(id="x", text=text, source="bench")
            t = time.perf_counter()
            for _ in range(5):
                from llm_extract import rules
                from llm_extract.merge import merge
                from llm_extract.ground import ground

                rules.layout_of.cache_clear()  # cold, as for a new document
                rules_ex = rules.extract(doc.text)
                model_ex, _ = ground(faithful_answer(text), doc.text)
                merge(doc.text, rules_ex, model_ex)
            own = (time.perf_counter() - t) / 5
            print(f"{args.docs} documents, server delay {args.delay:.2f} s; "
                  f"project's own work per document (rules + grounding + merge): {own * 1000:.1f} ms")
            for c in (int(x) for x in args.levels.split(",")):
                backend = LLMBackend(BackendConfig(name=f"bench{c}", base_url=base_url, model="bench",
                                                   concurrency=c, timeout=60))
                out = tmpdir / f"out{c}.jsonl"
                t = time.perf_counter()
                summary = run_batch([src], backend, out, concurrency=c)
                wall = time.perf_counter() - t
                ideal = args.docs * args.delay / c
                print(f"C={c:>2}: wall {wall:6.2f} s, ideal {ideal:6.2f} s, ratio {wall / ideal:.3f}, "
                      f"overhead {(wall - ideal) / args.docs * 1000:.1f} ms/doc, statuses {dict(summary.counts)}")
        finally:
            server.kill()


if __name__ == "__main__":
    main()
