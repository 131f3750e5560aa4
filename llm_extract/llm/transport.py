"""The transport loop: retries of 429s, 5xx, timeouts and resets, rate limits, usage, deadlines, redaction.

These faults are the server's, never the model's: they are retried here
(exponential backoff with full jitter, ``Retry-After`` honoured) and never
shown to the model, whose re-ask loop is instructor's and sees only answers
that fail validation.

Time is bounded twice: each request by ``timeout`` seconds from its first
byte sent to its last byte received (a server that sends its headers or body
one byte a second cannot hold it longer: :class:`_DeadlineBackend`), and all
the attempts of one request, waits included, by ``retry_budget`` seconds.

The key never leaves this module in anything the server sent: the model's
text is scrubbed (:func:`redact`) as it arrives, before instructor, the
cache or an output line sees it.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
import urllib.request
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

import httpcore2
import httpx2
import openai
import pydantic_core
from openai.types.chat import ChatCompletion
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_before_delay

from ..config import BackendConfig

_LOG = logging.getLogger("llm_extract")

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


#: A key shorter than this is no secret worth the name: it is scrubbed only as a whole token, with a warning.
MIN_KEY_CHARS = 8
#: What an output line keeps of a rejected answer.
MAX_REJECTED_CHARS = 20_000


def redact(message: str, secrets: Iterable[str]) -> str:
    """``message`` with every secret replaced by ``***`` (and anything shaped like an OpenAI key).

    A secret of :data:`MIN_KEY_CHARS` or more is replaced wherever it occurs;
    a shorter one only where it stands as a whole token, so a test key ``x``
    does not turn every x of a message into ``***``.
    """
    for secret in secrets:
        if not secret:
            continue
        if len(secret) >= MIN_KEY_CHARS:
            message = message.replace(secret, "***")
        else:
            message = re.sub(rf"(?<![\w\-]){re.escape(secret)}(?![\w\-])", "***", message)
    return re.sub(r"\bsk-[A-Za-z0-9_\-]{6,}", "sk-***", message)


def clip(text: str, limit: int = MAX_REJECTED_CHARS) -> str:
    """``text``, cut to ``limit`` characters with a note saying so (a 10 MB answer must not make a 10 MB line)."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"… [cut: the answer was {len(text):,} characters; the first {limit:,} are kept]"


def _scrub_completion(completion: Any, secrets: list[str]) -> None:
    """Redact the key from the model's text in place, whatever the server echoed into it."""
    if not secrets:
        return
    for choice in getattr(completion, "choices", None) or []:
        message = getattr(choice, "message", None)
        if message is None:
            continue
        if isinstance(getattr(message, "content", None), str):
            message.content = redact(message.content, secrets)
        for call in getattr(message, "tool_calls", None) or []:
            function = getattr(call, "function", None)
            if function is not None and isinstance(function.arguments, str):
                function.arguments = redact(function.arguments, secrets)


_DEADLINE: ContextVar[float | None] = ContextVar("llm_extract_request_deadline", default=None)


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    """The socket timeout for one read or write: ``timeout``, shortened to what is left before the deadline."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the request's deadline passed (timeout covers the whole request)")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore2.NetworkStream):
    """A connection whose every read and write waits no longer than the current request's deadline."""

    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _left(timeout, httpcore2.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _left(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore2.NetworkStream:
        return _DeadlineStream(self.inner.start_tls(ssl_context, server_hostname,
                                                    _left(timeout, httpcore2.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _DeadlineBackend(httpcore2.NetworkBackend):
    """The socket layer under httpx, with :class:`_DeadlineStream` connections.

    httpx's own timeouts bound each read (a byte a second never trips a 10 s
    read timeout); this bounds the sum, so ``timeout`` is a true deadline.
    """

    def __init__(self, inner: httpcore2.NetworkBackend) -> None:
        self.inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore2.NetworkStream:
        return _DeadlineStream(self.inner.connect_tcp(host, port, _left(timeout, httpcore2.ConnectTimeout),
                                                      local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore2.NetworkStream:
        return _DeadlineStream(self.inner.connect_unix_socket(path, _left(timeout, httpcore2.ConnectTimeout),
                                                              socket_options))

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def _deadline_transport(base_url: str, ssl_context: Any) -> httpx2.HTTPTransport:
    """httpx's transport with :class:`_DeadlineBackend` under its pool, through the environment's proxy if any.

    (A client given its own transport ignores ``HTTPS_PROXY``; the proxy is
    looked up here with the standard library instead.)
    """
    host = httpx2.URL(base_url).host
    scheme = httpx2.URL(base_url).scheme
    proxy = None if urllib.request.proxy_bypass(host) else urllib.request.getproxies().get(scheme)
    transport = httpx2.HTTPTransport(verify=ssl_context, limits=openai.DEFAULT_CONNECTION_LIMITS, proxy=proxy)
    pool = transport._pool  # noqa: SLF001 - httpx offers no public way to choose the network backend
    pool._network_backend = _DeadlineBackend(pool._network_backend)  # noqa: SLF001
    return transport


class _ThreadPools(httpx2.BaseTransport):
    """A connection pool for each thread that sends requests, instead of one pool they all share.

    httpcore's pool takes one lock and walks every connection it holds
    twice for each request (to assign it, and again when its response is
    closed): at 64 requests in flight that is 64 threads queueing for one
    lock and ~50,000 connection checks per 256 requests, on the one core
    the run's requests share.  A thread sends one request at a time, so its
    own pool holds one connection (kept alive for its next request) and
    nothing is shared but the TLS context.  A pool whose thread has ended is
    closed when the next thread's pool is made, and every pool by
    :meth:`close`.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._ssl = httpx2.create_ssl_context()  # made once: each costs tens of milliseconds
        self._local = threading.local()
        self._lock = threading.Lock()
        self._pools: list[tuple[threading.Thread, httpx2.HTTPTransport]] = []
        self._closed = False

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = self._new_pool()
        return pool.handle_request(request)

    def _new_pool(self) -> httpx2.HTTPTransport:
        pool = _deadline_transport(self.base_url, self._ssl)
        with self._lock:
            if self._closed:
                pool.close()
                raise httpx2.TransportError("the client is closed")
            ended = [p for t, p in self._pools if not t.is_alive()]
            self._pools = [(t, p) for t, p in self._pools if t.is_alive()]
            self._pools.append((threading.current_thread(), pool))
        for old in ended:
            old.close()
        return pool

    def close(self) -> None:
        with self._lock:
            self._closed, pools, self._pools = True, [p for _, p in self._pools], []
        for pool in pools:
            pool.close()


_WARNED: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    """A warning on stderr, once per process for each ``key``."""
    if key not in _WARNED:
        _WARNED.add(key)
        _LOG.warning(message)


def api_key(cfg: BackendConfig) -> str | None:
    """The backend's key, warning once (naming the variable) when it is unset or too short to be a secret."""
    key = cfg.api_key()
    if cfg.api_key_env and not key:
        _warn_once(f"unset:{cfg.api_key_env}", f"warning: {cfg.api_key_env} is not set; backend {cfg.name!r} "
                                               "sends its requests without a key")
    elif key and len(key) < MIN_KEY_CHARS:
        _warn_once(f"short:{cfg.api_key_env}", f"warning: the key in {cfg.api_key_env} is only {len(key)} "
                                               f"characters; it is scrubbed from output only as a whole word")
    return key


def make_client(cfg: BackendConfig, key: str | None) -> openai.OpenAI:
    """The openai client of one backend: no retries of its own (ours are here), a whole-request deadline."""
    http_client = openai.DefaultHttpxClient(transport=_ThreadPools(cfg.base_url), timeout=cfg.timeout)
    return openai.OpenAI(base_url=cfg.base_url, api_key=key or "no-key", max_retries=0, timeout=cfg.timeout,
                         http_client=http_client)


class Transport:
    """One backend's connection to its server: the ``create`` function instructor calls.

    Every call waits for the shared rate limiter, retries transient faults
    with tenacity, and adds what it cost to the current document's
    :class:`CallStats` (set with :func:`collecting`).
    """

    def __init__(self, client: openai.OpenAI, limiter: RateLimiter, *, retries: int, retry_after_cap: float,
                 timeout: float | None = None, retry_budget: float | None = None,
                 secrets: list[str] | None = None) -> None:
        self.client = client
        self.limiter = limiter
        self.retry_after_cap = retry_after_cap
        self.timeout = timeout  # seconds for one attempt, headers and body included
        self.retry_budget = retry_budget  # seconds for every attempt of one request, waits included
        self.secrets = secrets or []
        stop = stop_after_attempt(retries + 1)
        if retry_budget is not None:
            stop = stop | stop_before_delay(retry_budget)
        # Made once, not per request: at C = 64 py-spy caught 3 % of the run process's time making them
        # (each holds a thread-local).  tenacity keeps each thread's attempts apart, and the count goes to
        # the stats of the document whose request it is.
        self._retrying = Retrying(stop=stop, wait=wait_retry_after(cap=retry_after_cap),
                                  retry=retry_if_exception(is_transient), reraise=True, before_sleep=_count_retry)

    def create(self, **kwargs: Any) -> Any:
        stats = _STATS.get()
        retrying = self._retrying
        started = time.monotonic()
        for attempt in retrying:
            with attempt:
                self.limiter.wait()
                with self._deadline(started):
                    try:
                        completion = post_chat(self.client, kwargs)
                    except openai.RateLimitError as exc:
                        told = retry_after_seconds(exc)
                        self.limiter.pause(min(told if told is not None else 1.0, self.retry_after_cap))
                        raise
        _scrub_completion(completion, self.secrets)
        stats.requests += 1
        usage = getattr(completion, "usage", None)
        if usage is not None:
            stats.prompt_tokens += usage.prompt_tokens or 0
            stats.completion_tokens += usage.completion_tokens or 0
            self.limiter.used((usage.prompt_tokens or 0) + (usage.completion_tokens or 0))
        stats.raw_outputs.append(raw_output(completion))
        return completion


    @contextmanager
    def _deadline(self, started: float) -> Iterator[None]:
        """Bound this attempt by ``timeout`` from now and by what is left of the retry budget."""
        ends = [t for t in (self.timeout and time.monotonic() + self.timeout,
                            self.retry_budget and started + self.retry_budget) if t]
        token = _DEADLINE.set(min(ends) if ends else None)
        try:
            yield
        finally:
            _DEADLINE.reset(token)


#: ``create``'s own arguments that are options of the request, not keys of its body
_OPTION_ARGS = {"extra_headers": "headers", "extra_query": "params", "extra_body": "extra_json", "timeout": "timeout"}


def post_chat(client: openai.OpenAI, kwargs: dict[str, Any]) -> ChatCompletion:
    """``client.chat.completions.create(**kwargs)`` without the SDK re-walking the body or the answer.

    ``create`` runs every request body through its type-directed transform,
    which walks the whole JSON Schema instructor put in it (~0.5 ms a
    request, on the one core every request shares).  The body instructor
    builds is plain JSON already, so it is posted as it is, through the same
    client (its auth, headers, base URL and HTTP pool), encoded by pydantic's
    core (the SDK's ``json.dumps`` took 3.5 times as long for a body of a
    12,000-character excerpt and the 9 KB schema).  The answer is read by
    :func:`completion`.
    """
    body = {k: v for k, v in kwargs.items() if k not in _OPTION_ARGS}
    options: dict[str, Any] = {_OPTION_ARGS[k]: v for k, v in kwargs.items() if k in _OPTION_ARGS}
    options["security"] = {"bearer_auth": True}
    body.update(options.pop("extra_json", None) or {})  # as the SDK merges ``extra_body``
    raw = client.post("/chat/completions", content=pydantic_core.to_json(body),
                      cast_to=openai.APIResponse[ChatCompletion], options=options)  # type: ignore[arg-type]
    return completion(raw)


def completion(raw: openai.APIResponse[ChatCompletion]) -> ChatCompletion:
    """The answer as a ``ChatCompletion``, validated from its bytes in one pass of pydantic's core.

    The SDK builds it field by field in Python (``construct_type``, ~13
    objects an answer, ~0.5 ms on the core every request shares).  An
    answer that does not validate (a field missing, a ``finish_reason`` the
    SDK does not list, a body that is not JSON) is left to the SDK, which
    builds what it can of it, as ``create`` would have.
    """
    try:
        return ChatCompletion.model_validate_json(raw.http_response.content)
    except ValueError:
        return raw.parse()


def _count_retry(_state: RetryCallState) -> None:
    stats = _STATS.get()
    stats.transport_retries += 1


@contextmanager
def collecting(stats: CallStats) -> Iterator[CallStats]:
    """Make ``stats`` the one the transport adds this document's requests to."""
    token = _STATS.set(stats)
    try:
        yield stats
    finally:
        _STATS.reset(token)
