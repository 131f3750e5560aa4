"""The scripted OpenAI-compatible server, exercised with the real openai client over HTTP."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import openai
import pytest

from support.fake_openai import ScriptedServer

MESSAGES = [{"role": "user", "content": "hello"}]
TOOL = {"type": "function",
        "function": {"name": "record", "description": "the record",
                     "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}}}}


def client(srv: ScriptedServer, timeout: float = 2.0) -> openai.OpenAI:
    return openai.OpenAI(base_url=srv.base_url, api_key="test", max_retries=0, timeout=timeout)


def test_content_answer_is_returned_verbatim_with_usage():
    with ScriptedServer([{"content": '{"a": 1,,', "prompt_tokens": 3, "completion_tokens": 4}]) as srv:
        resp = client(srv).chat.completions.create(model="m-1", messages=MESSAGES)
    assert resp.choices[0].message.content == '{"a": 1,,'
    assert resp.choices[0].finish_reason == "stop"
    assert resp.model == "m-1"
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens, resp.usage.total_tokens) == (3, 4, 7)


def test_json_answer_without_tools_is_content():
    with ScriptedServer(default={"json": {"名称": "巡视"}}) as srv:
        resp = client(srv).chat.completions.create(model="m", messages=MESSAGES)
    assert json.loads(resp.choices[0].message.content) == {"名称": "巡视"}
    assert resp.usage.total_tokens == 18  # the defaults: 11 + 7


def test_json_answer_with_tools_is_a_tool_call():
    other = {"type": "function", "function": {"name": "other", "parameters": {"type": "object"}}}
    with ScriptedServer([{"json": {"a": 1}}, {"json": {"a": 2}}]) as srv:
        c = client(srv)
        first = c.chat.completions.create(model="m", messages=MESSAGES, tools=[TOOL, other])
        named = c.chat.completions.create(model="m", messages=MESSAGES, tools=[TOOL, other],
                                          tool_choice={"type": "function", "function": {"name": "other"}})
    msg = first.choices[0].message
    assert msg.content is None and first.choices[0].finish_reason == "tool_calls"
    assert msg.tool_calls[0].id == "call_1"
    assert msg.tool_calls[0].function.name == "record"
    assert json.loads(msg.tool_calls[0].function.arguments) == {"a": 1}
    assert named.choices[0].message.tool_calls[0].function.name == "other"


def test_500_raises_internal_server_error():
    with ScriptedServer([{"status": 500}]) as srv:
        with pytest.raises(openai.InternalServerError) as err:
            client(srv).chat.completions.create(model="m", messages=MESSAGES)
    assert err.value.status_code == 500
    assert err.value.body["code"] == 500  # the client unwraps {"error": {...}}


def test_empty_script_without_default_answers_500():
    with ScriptedServer() as srv:
        with pytest.raises(openai.InternalServerError):
            client(srv).chat.completions.create(model="m", messages=MESSAGES)
        assert srv.count == 1


def test_429_with_retry_after_header():
    with ScriptedServer([{"status": 429, "retry_after": 3}]) as srv:
        with pytest.raises(openai.RateLimitError) as err:
            client(srv).chat.completions.create(model="m", messages=MESSAGES)
    headers = err.value.response.headers
    assert headers["retry-after"] == "3"
    assert "retry-after-ms" not in headers


def test_retry_after_ms_only_when_asked():
    with ScriptedServer([{"status": 429, "retry_after_ms": 250}]) as srv:
        with pytest.raises(openai.RateLimitError) as err:
            client(srv).chat.completions.create(model="m", messages=MESSAGES)
    assert err.value.response.headers["retry-after-ms"] == "250"
    assert "retry-after" not in err.value.response.headers


def test_delay_beyond_timeout_raises_timeout_and_exit_does_not_hang():
    start = time.monotonic()
    with ScriptedServer([{"delay": 2}, {"delay": 30}]) as srv:
        c = client(srv, timeout=0.5)
        with pytest.raises(openai.APITimeoutError):
            c.chat.completions.create(model="m", messages=MESSAGES)
        with pytest.raises(openai.APITimeoutError):  # a hang: the handler is still asleep at exit
            c.chat.completions.create(model="m", messages=MESSAGES)
    assert time.monotonic() - start < 15  # far below the 30 s hang: closing did not wait for it


def test_delay_then_rest_of_action():
    with ScriptedServer([{"delay": 0.2, "content": "late"}]) as srv:
        resp = client(srv, timeout=2).chat.completions.create(model="m", messages=MESSAGES)
    assert resp.choices[0].message.content == "late"


def test_drop_raises_connection_error_and_server_keeps_serving():
    with ScriptedServer([{"drop": True}, {"content": "after"}]) as srv:
        c = client(srv)
        with pytest.raises(openai.APIConnectionError) as err:
            c.chat.completions.create(model="m", messages=MESSAGES)
        assert not isinstance(err.value, openai.APITimeoutError)
        assert c.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content == "after"


def test_client_retries_reuse_the_server():
    with ScriptedServer([{"status": 500}, {"status": 503}, {"content": "ok"}]) as srv:
        c = openai.OpenAI(base_url=srv.base_url, api_key="test", max_retries=2, timeout=2)
        resp = c.chat.completions.create(model="m", messages=MESSAGES)
        assert resp.choices[0].message.content == "ok"
        assert srv.count == 3


def test_requests_recorded_in_order_with_headers():
    with ScriptedServer(default={"content": "x"}) as srv:
        c = client(srv)
        for i in range(3):
            c.chat.completions.create(model=f"m{i}", messages=[{"role": "user", "content": f"q{i}"}])
        assert srv.count == 3
        assert [r["model"] for r in srv.requests] == ["m0", "m1", "m2"]
        assert [r["messages"][0]["content"] for r in srv.requests] == ["q0", "q1", "q2"]
        assert srv.requests[0]["_headers"]["authorization"] == "Bearer test"


def test_callable_entries_receive_the_body_and_push_appends():
    seen = []

    def echo(body: dict) -> dict:
        seen.append(body)
        return {"content": body["messages"][-1]["content"].upper()}

    with ScriptedServer([echo]) as srv:
        srv.push({"content": "second"}, echo)
        c = client(srv)
        answers = [c.chat.completions.create(model="m", messages=[{"role": "user", "content": w}])
                   .choices[0].message.content for w in ("one", "two", "three")]
    assert answers == ["ONE", "second", "THREE"]
    assert [b["messages"][0]["content"] for b in seen] == ["one", "three"]
    assert "_headers" not in seen[0]


def test_models_health_and_unknown_paths():
    with ScriptedServer() as srv:
        models = client(srv).models.list()
        assert [m.id for m in models.data] == ["scripted"]
        root = srv.base_url.removesuffix("/v1")
        with urllib.request.urlopen(root + "/health", timeout=2) as resp:
            assert json.load(resp) == {"status": "ok"}
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(root + "/nope", timeout=2)
        assert err.value.code == 404
        assert "error" in json.loads(err.value.read())
        assert srv.count == 0
