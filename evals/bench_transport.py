"""What one request costs the run's own process below instructor: the SDK's way against the transport's (a
benchmark, not a test).

At 64 requests in flight the run's process sends and reads every one of
them on one core (the GIL), so the CPU a request takes there is what the
others wait for.  Three ways, in turn, in one run, against the same local
server (its own process, answering a faithful answer after ``--delay``
seconds), each with C threads sending the same body (the one instructor
builds for a notice in json_schema mode, schema included):

* ``sdk``: one connection pool shared by the threads, the body encoded and
  the answer built by the SDK (``client.post(..., cast_to=ChatCompletion)``),
  as the transport did before;
* ``pools``: the same, but a connection pool for each thread
  (:class:`~llm_extract.llm.transport._ThreadPools`);
* ``ours``: :func:`~llm_extract.llm.transport.post_chat` on the backend's own
  client: a pool for each thread, the body encoded and the answer validated
  by pydantic's core.

Each figure is the run process's CPU per request (ms), the median of
``--rounds``; the ratios are against ``sdk``.  Usage:

    python evals/bench_transport.py [--concurrency 64] [--requests 256] [--delay 0.5] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "evals"))


def main() -> None:
    import httpx2
    import openai
    from openai.types.chat import ChatCompletion

    from bench_overhead import start_server
    from support.answers import faithful_answer
    from llm_extract.config import BackendConfig
    from llm_extract.llm import transport
    from llm_extract.llm.prompts import load_prompt
    from llm_extract.llm.request import request_body

    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--requests", type=int, default=256)
    parser.add_argument("--delay", type=float, default=0.5, help="seconds the server takes to answer")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    text = (ROOT / "notices" / "002_3560743218ed87cc.txt").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        server, base_url = start_server(faithful_answer(text), args.delay, Path(tmp))
        cfg = BackendConfig(name="bench", base_url=base_url, model="bench", timeout=60)
        body = request_body(cfg, load_prompt(cfg.prompt_dir), text)

        tls = httpx2.create_ssl_context()

        def sdk_client(pools: bool) -> openai.OpenAI:
            http = transport._ThreadPools(base_url) if pools else transport._deadline_transport(base_url, tls)
            return openai.OpenAI(base_url=base_url, api_key="k", max_retries=0, timeout=60,
                                 http_client=openai.DefaultHttpxClient(transport=http, timeout=60))

        def sdk_post(client: openai.OpenAI) -> Any:
            return client.post("/chat/completions", body=body, cast_to=ChatCompletion,
                               options={"security": {"bearer_auth": True}})

        ways: dict[str, tuple[Callable[[], openai.OpenAI], Callable[[openai.OpenAI], Any]]] = {
            "sdk": (lambda: sdk_client(False), sdk_post),
            "pools": (lambda: sdk_client(True), sdk_post),
            "ours": (lambda: transport.make_client(cfg, None), lambda client: transport.post_chat(client, body)),
        }
        cpu: dict[str, list[float]] = {name: [] for name in ways}
        try:
            for _ in range(args.rounds):
                for name, (make, post) in ways.items():
                    cpu[name].append(_round(make(), post, args.concurrency, args.requests))
        finally:
            server.kill()
    print(f"{args.requests} requests, {args.concurrency} threads, answers after {args.delay} s; "
          f"run-process CPU per request (ms), median of {args.rounds} rounds (range)")
    base = statistics.median(cpu["sdk"])
    for name, values in cpu.items():
        median = statistics.median(values)
        print(f"  {name:<6} {median:6.2f} ({min(values):.2f}-{max(values):.2f})  {median / base:.2f} of sdk")


def _round(client: Any, post: Callable[[Any], Any], concurrency: int, requests: int) -> float:
    """CPU (ms) of this process per request, once every thread has its connection."""
    with ThreadPoolExecutor(concurrency) as threads:
        list(threads.map(lambda _: post(client), range(concurrency)))  # connections made, modules loaded
        started = time.process_time()
        list(threads.map(lambda _: post(client), range(requests)))
        spent = time.process_time() - started
    client.close()
    return spent / requests * 1000


if __name__ == "__main__":
    main()
