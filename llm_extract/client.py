"""The LLM backend: instructor over the openai client, any OpenAI-compatible server.

Two loops, kept apart:

* transport: 429, 5xx, timeouts and connection resets are retried by
  tenacity inside the ``create`` function instructor calls, with exponential
  backoff and jitter, honouring ``Retry-After``.  The model never sees them.
* validation: an answer that fails the schema or grounding goes back to the
  model as an error to fix (instructor's re-ask), up to ``max_retries``.

Whatever the model does, the document gets the rules record for what the
model could not ground; if the model fails outright, status ``fallback``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from pydantic import ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from . import rules
from .backends import DocResult, check_notice
from .cache import AnswerCache
from .config import BackendConfig
from .documents import Document
from .excerpt import build_excerpt
from .merge import merge
from .prompts import Prompt, load_prompt
from .response import LLMNotice, ground, source_text

INSTRUCTOR_MODES = {
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "tools": instructor.Mode.TOOLS,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
}
# instructor logs every failed attempt at ERROR; this module reports them in the output line instead
logging.getLogger("instructor").setLevel(logging.CRITICAL)

TRANSIENT = (openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError, openai.APIConnectionError)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TRANSIENT):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code in (408, 409, 425, 429) or (
        isinstance(exc, openai.APIStatusError) and exc.status_code >= 500)


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """The server's ``Retry-After`` (seconds or ``retry-after-ms``), if it sent one."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        if headers.get("retry-after-ms") is not None:
            return float(headers["retry-after-ms"]) / 1000
        if headers.get("retry-after") is not None:
            return float(headers["retry-after"])
    except (TypeError, ValueError):
        return None
    return None


class wait_retry_after:
    """Exponential backoff with full jitter, or the server's Retry-After when it gives one."""

    def __init__(self, initial: float = 0.5, maximum: float = 20.0, cap: float = 60.0) -> None:
        self.initial, self.maximum, self.cap = initial, maximum, cap

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        told = retry_after_seconds(exc)
        if told is not None:
            return max(0.0, min(told, self.cap))
        ceiling = min(self.maximum, self.initial * 2 ** (state.attempt_number - 1))
        return random.uniform(ceiling / 2, ceiling)


class RateLimiter:
    """Requests- and tokens-per-minute limits and 429 back-off, shared by every thread of a run.

    A 429 pauses the whole run (every thread waits out the Retry-After), so
    a rate-limited provider is slowed down rather than hammered.
    """

    def __init__(self, rpm: float | None, tpm: float | None) -> None:
        self.rpm, self.tpm = rpm, tpm
        self._lock = threading.Lock()
        self._next_request = 0.0
        self._paused_until = 0.0
        self._tokens: list[tuple[float, int]] = []

    def wait(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                delay = max(self._paused_until - now, self._next_request - now, self._token_delay(now))
                if delay <= 0:
                    if self.rpm:
                        self._next_request = now + 60.0 / self.rpm
                    return
            time.sleep(min(delay, 1.0))

    def _token_delay(self, now: float) -> float:
        if not self.tpm:
            return 0.0
        self._tokens = [(t, n) for t, n in self._tokens if now - t < 60]
        if sum(n for _, n in self._tokens) < self.tpm:
            return 0.0
        return 60 - (now - self._tokens[0][0])

    def used(self, tokens: int) -> None:
        if self.tpm and tokens:
            with self._lock:
                self._tokens.append((time.monotonic(), tokens))

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)


@dataclass
class CallStats:
    """What one document's model calls cost and went through."""

    requests: int = 0  # model answers received
    transport_retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    raw_outputs: list[str] = field(default_factory=list)

    def usage(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens, "requests": self.requests}


_STATS: ContextVar[CallStats] = ContextVar("llm_extract_call_stats")


def raw_output(completion: Any) -> str:
    """The text the model produced: tool-call arguments or message content."""
    try:
        message = completion.choices[0].message
    except (AttributeError, IndexError):
        return ""
    calls = getattr(message, "tool_calls", None) or []
    if calls:
        return calls[0].function.arguments or ""
    return message.content or ""


def parse_loose(raw: str) -> dict[str, Any] | None:
    """A JSON object from a model's raw text (fenced or bare), else ``None``."""
    fenced = re.search(r"```(?:json)?\s*(.*?)```", raw, re.S)
    candidate = fenced.group(1) if fenced else raw
    start, end = candidate.find("{"), candidate.rfind("}")
    if start == -1 or end <= start:
        return None
    try:
        obj = json.loads(candidate[start:end + 1])
    except json.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def prune_to_schema(obj: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Drop the parts of an answer that do not fit the response model's types; say what went."""
    dropped: list[str] = []
    for _ in range(50):
        try:
            LLMNotice.model_validate(obj)  # no source text set: types only
            return obj, dropped
        except ValidationError as exc:
            for error in exc.errors():
                dropped.append(f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}")
                _drop(obj, [p for p in error["loc"]])
    return {}, dropped + ["the answer does not fit the schema"]


def _drop(obj: Any, loc: list[Any]) -> None:
    node = obj
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return
    last = loc[-1] if loc else None
    if isinstance(node, dict) and last in node:
        del node[last]
    elif isinstance(node, list) and isinstance(last, int) and last < len(node):
        node.pop(last)
    elif isinstance(node, dict) and loc:
        # an extra key or a wrong shape one level up: drop the whole entry
        _drop(obj, loc[:-1])


def redact(message: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return re.sub(r"\bsk-[A-Za-z0-9_\-]{6,}", "sk-***", message)


class LLMBackend:
    """Extraction by an OpenAI-compatible model, grounded and cross-checked by rules."""

    def __init__(self, cfg: BackendConfig, prompt: Prompt | None = None) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.prompt = prompt or load_prompt(cfg.prompt_dir)
        key = cfg.api_key()
        self._secrets = [key] if key else []
        self._client = openai.OpenAI(base_url=cfg.base_url, api_key=key or "no-key", max_retries=0,
                                     timeout=cfg.timeout)
        self._create = instructor.patch(create=self._transport_create, mode=INSTRUCTOR_MODES[cfg.mode])
        self.limiter = RateLimiter(cfg.requests_per_minute, cfg.tokens_per_minute)
        self.cache: AnswerCache | None = None
        self.concurrency = max(1, cfg.concurrency)

    @property
    def fingerprint(self) -> str:
        """What decides an answer: a run with the same fingerprint may reuse a line or a cached answer."""
        c = self.cfg
        parts = [c.base_url, c.model, c.mode, self.prompt.id, str(c.temperature), str(c.max_tokens),
                 str(c.context_chars), str(c.max_retries)]
        return f"{c.name}@" + hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]

    def _transport_create(self, *args: Any, **kwargs: Any) -> Any:
        stats = _STATS.get()
        retrying = Retrying(
            stop=stop_after_attempt(self.cfg.transport_retries + 1),
            wait=wait_retry_after(cap=self.cfg.retry_after_cap),
            retry=retry_if_exception(is_transient),
            reraise=True,
            before_sleep=lambda _state: setattr(stats, "transport_retries", stats.transport_retries + 1),
        )
        for attempt in retrying:
            with attempt:
                self.limiter.wait()
                try:
                    completion = self._client.chat.completions.create(*args, **kwargs)
                except openai.RateLimitError as exc:
                    told = retry_after_seconds(exc)
                    self.limiter.pause(min(told if told is not None else 1.0, self.cfg.retry_after_cap))
                    raise
        stats.requests += 1
        usage = getattr(completion, "usage", None)
        if usage is not None:
            stats.prompt_tokens += usage.prompt_tokens or 0
            stats.completion_tokens += usage.completion_tokens or 0
            self.limiter.used((usage.prompt_tokens or 0) + (usage.completion_tokens or 0))
        stats.raw_outputs.append(raw_output(completion))
        return completion

    def ask(self, text: str) -> tuple[dict[str, Any] | None, CallStats, str | None, list[str]]:
        """Ask the model; returns its answer (as JSON, ungrounded), stats, a failure, rejections."""
        stats = CallStats()
        token = _STATS.set(stats)
        rejections: list[str] = []
        try:
            with source_text(text):
                answer = self._create(
                    model=self.cfg.model,
                    response_model=LLMNotice,
                    messages=self.prompt.messages(build_excerpt(text, self.cfg.context_chars)),
                    max_retries=self.cfg.max_retries,
                    temperature=self.cfg.temperature,
                    max_tokens=self.cfg.max_tokens,
                )
            return answer.model_dump(mode="json"), stats, None, rejections
        except InstructorRetryException as exc:
            cause = exc.__cause__ or exc
            if is_transient(cause) or isinstance(cause, openai.APIError):
                return None, stats, redact(f"{type(cause).__name__}: {cause}", self._secrets), rejections
            rejections = [redact(str(cause), self._secrets)[:4000]]
            # Re-asks exhausted: keep what of the last answer is grounded, drop the rest.
            last = parse_loose(stats.raw_outputs[-1]) if stats.raw_outputs else None
            if last is None:
                return None, stats, "the model's answers were not valid JSON for the schema", rejections
            pruned, dropped = prune_to_schema(last)
            return pruned, stats, None, rejections + dropped[:50]
        except IncompleteOutputException:
            # cut at max_tokens: what came is not JSON; nothing of it can be grounded
            return None, stats, f"the model's answer was cut at max_tokens={self.cfg.max_tokens}", rejections
        except openai.APIError as exc:
            return None, stats, redact(f"{type(exc).__name__}: {exc}", self._secrets), rejections
        finally:
            _STATS.reset(token)

    def cost(self, stats: CallStats) -> float | None:
        c = self.cfg
        if c.price_prompt_per_million is None and c.price_completion_per_million is None:
            return None
        return round((stats.prompt_tokens * (c.price_prompt_per_million or 0)
                      + stats.completion_tokens * (c.price_completion_per_million or 0)) / 1e6, 6)

    def extract(self, doc: Document) -> DocResult:
        early = check_notice(doc)
        if early is not None:
            early.backend = self.name
            return early
        rules_ex = rules.extract(doc.text)
        key = f"{self.fingerprint}:{doc.sha256}"
        cached = self.cache.get(key) if self.cache is not None else None
        if cached is not None:
            answer, failure, rejections = cached["answer"], None, cached["rejections"]
            stats = CallStats(raw_outputs=[cached["raw"]] if cached.get("raw") else [])
        else:
            answer, stats, failure, rejections = self.ask(doc.text)
            if self.cache is not None and answer is not None:
                self.cache.put(key, {"answer": answer, "rejections": rejections,
                                     "raw": stats.raw_outputs[-1] if stats.raw_outputs else None})
        model_ex = None
        if answer is not None:
            model_ex, errors = ground(answer, doc.text)
            if cached is None and rejections:
                rejections = rejections + errors[:50]
        final, sources = merge(doc.text, rules_ex, model_ex)
        rejected = stats.raw_outputs[-1] if (rejections or failure) and stats.raw_outputs else None
        extra = {
            "model": self.cfg.model,
            "prompt": self.prompt.id,
            "sources": sources,
            "usage": stats.usage(),
            "cost": self.cost(stats),
            "cached": cached is not None,
            "transport_retries": stats.transport_retries,
            "reasks": max(0, stats.requests - 1),
            "rejections": rejections,
            "rejected_output": rejected,
        }
        if failure is not None:
            return DocResult(doc.id, "fallback", self.name, extraction=final,
                             error=f"model failed, rules record kept: {failure}", extra=extra)
        return DocResult(doc.id, "ok", self.name, extraction=final, extra=extra)
