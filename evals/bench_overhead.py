"""The project's per-document time against bare instructor + openai (a benchmark, not a test).

Both ask the same local server (tests/support/fake_openai.py, in its own
process, answering at once) with the same model, prompt and response model,
one document after another.  The peer is what a user would write by hand:
``instructor.from_openai(OpenAI(...)).chat.completions.create(...)``.  The
project does what a run does for a document: the request, the rules,
grounding and merge.  ``--profile`` prints where the project's time goes.

Usage: python evals/bench_overhead.py [--docs N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SORT = "tottime"
sys.path.insert(0, str(ROOT / "tests"))

SERVER = """
import json, sys, time
sys.path.insert(0, {tests!r})
from support.fake_openai import ScriptedServer
answer = json.loads(open({answer!r}, encoding="utf-8").read())
with ScriptedServer(default={{"json": answer, "delay": {delay}}}) as srv:
    print(srv.base_url, flush=True)
    time.sleep(36000)
"""


def start_server(answer: dict, delay: float, tmpdir: Path) -> tuple[subprocess.Popen, str]:
    """A scripted OpenAI-compatible server in its own process, answering ``answer`` after ``delay`` s."""
    path = tmpdir / "answer.json"
    path.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    code = SERVER.format(tests=str(ROOT / "tests"), answer=str(path), delay=delay)
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    base_url = server.stdout.readline().strip()  # type: ignore[union-attr]
    urllib.request.urlopen(base_url + "/models", timeout=10).read()
    return server, base_url


def _docs(n: int) -> list:
    from llm_extract.documents import Document

    text = (ROOT / "notices" / "002_3560743218ed87cc.txt").read_text(encoding="utf-8")
    return [Document(id=f"d{i}", text=text + f"\n(副本 {i})", source="bench") for i in range(n)]


def project(base_url: str, n: int, rounds: int, profile: bool) -> list[float]:
    """Per-document seconds of the project: LLMBackend.extract (request, rules, grounding, merge)."""
    from llm_extract.config import BackendConfig
    from llm_extract.llm.backend import LLMBackend
    from llm_extract.rules import layout_of
    from llm_extract.text import prepare

    docs = _docs(n)
    backend = LLMBackend(BackendConfig(name="bench", base_url=base_url, model="bench", timeout=60))
    prepare()  # the fold's class, which a process builds once after its first 128 documents: part of warming up

    def once() -> None:
        for doc in docs:
            layout_of.cache_clear()  # cold, as for a new document
            assert backend.extract(doc).status.value == "ok"

    return _timed(once, n, rounds, profile)


def peer(base_url: str, n: int, rounds: int, profile: bool) -> list[float]:
    """Per-document seconds of bare instructor + openai with the same model, prompt and response model.

    Runs in its own process, which never imports the project's request
    module, so it gets nothing of the project's own speed-ups.
    """
    import instructor
    import openai

    from llm_extract.config import BackendConfig
    from llm_extract.llm.answer import LLMNotice
    from llm_extract.llm.prompts import load_prompt

    assert "llm_extract.llm.request" not in sys.modules
    cfg = BackendConfig(name="bench", base_url=base_url, model="bench")
    docs, prompt = _docs(n), load_prompt()
    client = instructor.from_openai(openai.OpenAI(base_url=base_url, api_key="k", max_retries=0),
                                    mode=instructor.Mode.JSON_SCHEMA)

    def once() -> None:
        for doc in docs:
            client.chat.completions.create(model=cfg.model, response_model=LLMNotice, max_retries=cfg.max_retries,
                                           messages=prompt.messages(doc.text), temperature=cfg.temperature,
                                           max_tokens=cfg.max_tokens)

    return _timed(once, n, rounds, profile)


def _timed(fn, n: int, rounds: int, profile: bool) -> list[float]:  # noqa: ANN001
    fn()  # warm: imports, schema, connections
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) / n)
    if profile:
        prof = cProfile.Profile()
        prof.runcall(fn)
        pstats.Stats(prof, stream=sys.stderr).sort_stats(SORT).print_stats(45)
    return times


def main() -> None:
    from support.answers import faithful_answer

    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per process")
    parser.add_argument("--pairs", type=int, default=2, help="project and peer processes, alternated")
    parser.add_argument("--profile", action="store_true", help="print each side's profile (by own time)")
    parser.add_argument("--role", choices=["project", "peer"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        fn = project if args.role == "project" else peer
        print(json.dumps(fn(args.url, args.docs, args.rounds, args.profile)))
        return
    text = (ROOT / "notices" / "002_3560743218ed87cc.txt").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        server, base_url = start_server(faithful_answer(text), 0.0, Path(tmp))
        try:
            times: dict[str, list[float]] = {"project": [], "peer": []}
            for _ in range(args.pairs):
                for role in ("project", "peer"):
                    cmd = [sys.executable, __file__, "--role", role, "--url", base_url, "--docs", str(args.docs),
                           "--rounds", str(args.rounds), *(["--profile"] if args.profile else [])]
                    out = subprocess.run(cmd, check=True, capture_output=not args.profile, text=True,
                                         stdout=subprocess.PIPE if args.profile else None)
                    times[role] += json.loads(out.stdout.strip().splitlines()[-1])
        finally:
            server.kill()
    p, q = statistics.median(times["project"]), statistics.median(times["peer"])
    print(f"{args.docs} documents, {args.pairs} × {args.rounds} rounds each, median per document: "
          f"project {p * 1000:.1f} ms, bare instructor + openai {q * 1000:.1f} ms, ratio {p / q:.2f}")


if __name__ == "__main__":
    main()
