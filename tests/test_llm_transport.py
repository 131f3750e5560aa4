"""The transport over real HTTP: deadlines against servers that drip, budgets for retries, keys that never leak.

Every test runs the real command line against the scripted server on
127.0.0.1 (tests/support/fake_openai.py); the time bounds only catch a hang.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import openai
import pytest

from conftest import NOTICES
from support.answers import faithful_answer
from support.fake_openai import ScriptedServer
from llm_extract.config import BackendConfig
from llm_extract.llm.transport import _ThreadPools, clip, make_client, post_chat, raw_output, redact

OUHAI = NOTICES / "004_a2fdee0aed3fff2e.txt"
KEY = "ZZtest-echoed-key-0123456789"  # not shaped like sk-…: only scrubbing by value can hide it


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "llm_extract.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def config(tmp_path: Path, srv: ScriptedServer, **settings: object) -> Path:
    path = tmp_path / "c.toml"
    lines = [f'[backends.s]\nbase_url = "{srv.base_url}"\nmodel = "s"\n']
    lines += [f"{key} = {json.dumps(value)}\n" for key, value in settings.items()]
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("drip", [{"drip": 0.05}, {"drip": 0.05, "drip_headers": True}], ids=["body", "headers"])
def test_timeout_bounds_a_request_whose_server_sends_a_byte_at_a_time(tmp_path: Path, drip: dict) -> None:
    """The body of a faithful answer, one byte every 50 ms, would take minutes; timeout = 1 cuts it at 1 s."""
    with ScriptedServer(default={"json": faithful_answer(OUHAI.read_text(encoding="utf-8")), **drip}) as srv:
        cfg = config(tmp_path, srv, timeout=1, transport_retries=0, max_retries=0)
        started = time.monotonic()
        proc = cli("extract", str(OUHAI), "--backend", "s", "--config", str(cfg), "--no-cache", "--quiet",
                   timeout=30)
        took = time.monotonic() - started
    line = json.loads(proc.stdout)
    assert line["status"] == "fallback" and "timed out" in line["error"].lower(), line["error"]
    assert srv.count <= 1 and took < 20  # (under load the server may not even have read the request by then)


def test_retries_stop_when_their_budget_is_spent(tmp_path: Path) -> None:
    with ScriptedServer(default={"content": "x" * 500, "drip": 0.05}) as srv:
        cfg = config(tmp_path, srv, timeout=1, transport_retries=50, retry_budget=2, max_retries=0)
        proc = cli("extract", str(OUHAI), "--backend", "s", "--config", str(cfg), "--no-cache", "--quiet",
                   timeout=30)
    line = json.loads(proc.stdout)
    assert line["status"] == "fallback" and 1 <= line["transport_retries"] <= 3  # of the 50 allowed


def test_a_rejected_answer_of_10_mb_is_cut_in_the_line(tmp_path: Path) -> None:
    with ScriptedServer(default={"content": "不是JSON" * 2_000_000}) as srv:
        cfg = config(tmp_path, srv, max_retries=0)
        out = tmp_path / "o.jsonl"
        proc = cli("extract", str(OUHAI), "--backend", "s", "--config", str(cfg), "--out", str(out), "--quiet",
                   "--cache", str(tmp_path / "cache.sqlite"))
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size < 100_000
    line = json.loads(out.read_text(encoding="utf-8"))
    assert line["rejected_output"].startswith("不是JSON") and "[cut: the answer was 12,000,000 characters" in (
        line["rejected_output"])


def _echo(text: str):
    """A server that puts the request's Authorization header into its answers: in a value, and as plain text."""
    def answer(body: dict, headers: dict) -> dict:
        auth = headers.get("authorization", "")
        if "第二" in body["messages"][-1]["content"]:
            return {"content": f"you sent {auth}; not JSON"}
        ans = faithful_answer(text)
        ans["title"] = {"value": auth, "quote": auth}
        return {"json": ans}
    return answer


def test_a_key_echoed_by_the_server_is_in_nothing_written_or_printed(tmp_path: Path) -> None:
    text = OUHAI.read_text(encoding="utf-8")
    docs = tmp_path / "docs.jsonl"
    second = text.replace("整改", "第二次整改", 1)
    docs.write_text("".join(json.dumps({"id": doc, "text": body}, ensure_ascii=False) + "\n"
                            for doc, body in (("first", text), ("second", second))), encoding="utf-8")
    with ScriptedServer(default=_echo(text)) as srv:
        cfg = config(tmp_path, srv, api_key_env="ECHO_KEY", max_retries=1)
        cache = tmp_path / "cache" / "answers.sqlite"
        out = tmp_path / "o.jsonl"
        to_file = cli("extract", str(docs), "--backend", "s", "--config", str(cfg), "--out", str(out),
                      "--cache", str(cache), env={"ECHO_KEY": KEY})
        to_stdout = cli("extract", str(docs), "--backend", "s", "--config", str(cfg), "--no-cache",
                        env={"ECHO_KEY": KEY})
    assert to_file.returncode == 0 and to_stdout.returncode == 0, to_file.stderr
    assert all(r["_headers"]["authorization"] == f"Bearer {KEY}" for r in srv.requests)  # the server did echo it
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert any("Bearer ***" in json.dumps(line, ensure_ascii=False) for line in lines)
    written = [p.read_bytes() for p in cache.parent.iterdir()] + [out.read_bytes()]
    printed = to_file.stdout + to_file.stderr + to_stdout.stdout + to_stdout.stderr
    assert len(written) >= 2 and "Bearer ***" in to_stdout.stdout
    assert all(KEY.encode() not in data for data in written) and KEY not in printed


def test_a_short_key_is_scrubbed_as_a_word_and_warned_about(tmp_path: Path) -> None:
    with ScriptedServer(default=lambda body, headers: {"content": f"max xyz {headers['authorization']} x."}) as srv:
        cfg = config(tmp_path, srv, api_key_env="SHORT_KEY", max_retries=0)
        proc = cli("extract", str(OUHAI), "--backend", "s", "--config", str(cfg), "--no-cache", "--quiet",
                   env={"SHORT_KEY": "x"})
    line = json.loads(proc.stdout)
    assert line["rejected_output"] == "max xyz Bearer *** ***."
    assert "SHORT_KEY is only 1 characters" in " ".join(proc.stderr.split())


def test_an_unset_key_variable_is_warned_about_once_naming_it(tmp_path: Path) -> None:
    """The library is honest even when no CLI check runs first: two backends, two documents, one warning."""
    with ScriptedServer(default={"json": faithful_answer(OUHAI.read_text(encoding="utf-8"))}) as srv:
        script = (
            "from llm_extract.config import BackendConfig\n"
            "from llm_extract.llm.backend import LLMBackend\n"
            "from llm_extract.documents import read_file\n"
            f"cfg = BackendConfig(name='s', base_url={srv.base_url!r}, model='s', api_key_env='UNSET_KEY_VAR')\n"
            f"doc = read_file(__import__('pathlib').Path({str(OUHAI)!r}))\n"
            "for _ in range(2):\n"
            "    print(LLMBackend(cfg).extract(doc).status)\n")
        env = {k: v for k, v in os.environ.items() if k != "UNSET_KEY_VAR"}
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert proc.stdout.split() == ["ok", "ok"], proc.stderr
    assert proc.stderr.count("UNSET_KEY_VAR is not set") == 1


def test_redact_and_clip_are_exact() -> None:
    assert redact(f"a {KEY} b {KEY[:-1]}", [KEY]) == f"a *** b {KEY[:-1]}"
    assert redact("box x, Bearer x; x-ray", ["x"]) == "box ***, Bearer ***; x-ray"
    assert clip("abcdef", 3) == "abc… [cut: the answer was 6 characters; the first 3 are kept]"
    assert clip("ab", 3) == "ab"


def test_backends_does_not_wait_for_a_server_that_drips(tmp_path: Path) -> None:
    with ScriptedServer(models_drip=0.2) as srv:
        cfg = config(tmp_path, srv)
        proc = cli("backends", "--config", str(cfg), env={"COLUMNS": "400"}, timeout=30)
    last_column = [row.split("│")[-2].strip() for row in proc.stdout.splitlines() if row.count("│") > 2]
    shown = " ".join(last_column)  # the table folds the server's state over lines of its last column
    assert proc.returncode == 0 and "not answering (no answer within 2 s)" in shown


# --- the request and its answer, below instructor ---------------------------------------------------------


def _client(srv: ScriptedServer):
    return make_client(BackendConfig(name="s", base_url=srv.base_url, model="s", timeout=10), None)


def test_the_body_is_posted_as_given_with_extra_body_merged_in() -> None:
    with ScriptedServer(default={"content": "{}"}) as srv:
        client = _client(srv)
        post_chat(client, {"model": "s", "messages": [{"role": "user", "content": "巡察反馈 \u2028 \"引号\""}],
                           "temperature": 0.0, "extra_body": {"top_k": 5}, "extra_headers": {"X-Run": "r1"}})
        client.close()
    sent = srv.requests[-1]
    assert sent["messages"] == [{"role": "user", "content": "巡察反馈 \u2028 \"引号\""}]
    assert (sent["model"], sent["temperature"], sent["top_k"]) == ("s", 0.0, 5)
    assert sent["_headers"]["x-run"] == "r1" and sent["_headers"]["content-type"] == "application/json"


def test_an_answer_is_the_completion_the_sdk_builds() -> None:
    with ScriptedServer(default={"json": {"a": "巡察"}, "prompt_tokens": 120}) as srv:
        client = _client(srv)
        ours = post_chat(client, {"model": "s", "messages": [{"role": "user", "content": "x"}]})
        sdks = client.chat.completions.create(model="s", messages=[{"role": "user", "content": "x"}])
        client.close()
    assert ours.model_dump(exclude={"created"}) == sdks.model_dump(exclude={"created"})
    assert ours.choices[0].message.content == '{"a": "巡察"}' and ours.usage.prompt_tokens == 120


def test_an_answer_not_in_the_sdks_shape_is_read_as_the_sdk_reads_it() -> None:
    """No ``created``, no ``usage``, a finish_reason the SDK does not list: validation refuses it, the SDK
    builds what it can, as ``create`` would."""
    odd = {"id": "x", "model": "s", "choices": [{"index": 0, "finish_reason": "eos",
                                                 "message": {"role": "assistant", "content": "{\"a\": 1}"}}]}
    with ScriptedServer(default={"body": odd}) as srv:
        client = _client(srv)
        answer = post_chat(client, {"model": "s", "messages": [{"role": "user", "content": "x"}]})
        client.close()
    assert answer.choices[0].finish_reason == "eos" and answer.choices[0].message.content == '{"a": 1}'
    assert answer.usage is None and raw_output(answer) == '{"a": 1}'


def test_each_thread_keeps_its_own_connection_pool_and_closing_ends_them_all() -> None:
    with ScriptedServer(default={"content": "{}"}) as srv:
        pools = _ThreadPools(srv.base_url)
        client = openai.OpenAI(base_url=srv.base_url, api_key="k", max_retries=0,
                               http_client=openai.DefaultHttpxClient(transport=pools))
        ask = partial(post_chat, client, {"model": "s", "messages": [{"role": "user", "content": "x"}]})
        with ThreadPoolExecutor(4) as threads:
            barrier = threading.Barrier(4)
            list(threads.map(lambda _: (barrier.wait(), ask(), ask()), range(4)))  # all four at once, twice
            assert len(pools._pools) == 4  # one per thread, each used twice
        late = threading.Thread(target=ask)  # a new thread: the pools of the four ended ones are closed
        late.start()
        late.join(timeout=30)
        assert len(pools._pools) == 1
        client.close()
        assert pools._pools == []
        with pytest.raises(openai.APIConnectionError):
            ask()
    assert srv.count == 9
