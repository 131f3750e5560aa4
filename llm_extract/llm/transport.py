"""The transport loop: retries of 429s, 5xx, timeouts and resets, rate limits, usage, redaction.

These faults are the server's, never the model's: they are retried here
(exponential backoff with full jitter, ``Retry-After`` honoured) and never
shown to the model, whose re-ask loop is instructor's and sees only answers
that fail validation.
"""

from __future__ import annotations

import random
import re
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Iterator

import openai
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

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


def redact(message: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return re.sub(r"\bsk-[A-Za-z0-9_\-]{6,}", "sk-***", message)


class Transport:
    """One backend's connection to its server: the ``create`` function instructor calls.

    Every call waits for the shared rate limiter, retries transient faults
    with tenacity, and adds what it cost to the current document's
    :class:`CallStats` (set with :func:`collecting`).
    """

    def __init__(self, client: openai.OpenAI, limiter: RateLimiter, *, retries: int, retry_after_cap: float) -> None:
        self.client = client
        self.limiter = limiter
        self.retries = retries
        self.retry_after_cap = retry_after_cap

    def create(self, *args: Any, **kwargs: Any) -> Any:
        stats = _STATS.get()
        retrying = Retrying(
            stop=stop_after_attempt(self.retries + 1),
            wait=wait_retry_after(cap=self.retry_after_cap),
            retry=retry_if_exception(is_transient),
            reraise=True,
            before_sleep=lambda _state: setattr(stats, "transport_retries", stats.transport_retries + 1),
        )
        for attempt in retrying:
            with attempt:
                self.limiter.wait()
                try:
                    completion = self.client.chat.completions.create(*args, **kwargs)
                except openai.RateLimitError as exc:
                    told = retry_after_seconds(exc)
                    self.limiter.pause(min(told if told is not None else 1.0, self.retry_after_cap))
                    raise
        stats.requests += 1
        usage = getattr(completion, "usage", None)
        if usage is not None:
            stats.prompt_tokens += usage.prompt_tokens or 0
            stats.completion_tokens += usage.completion_tokens or 0
            self.limiter.used((usage.prompt_tokens or 0) + (usage.completion_tokens or 0))
        stats.raw_outputs.append(raw_output(completion))
        return completion


@contextmanager
def collecting(stats: CallStats) -> Iterator[CallStats]:
    """Make ``stats`` the one the transport adds this document's requests to."""
    token = _STATS.set(stats)
    try:
        yield stats
    finally:
        _STATS.reset(token)
