"""The LLM backend: instructor over the openai client, any OpenAI-compatible server.

Two loops, kept apart:

* transport (:mod:`.transport`): 429, 5xx, timeouts and connection resets
  are retried inside the ``create`` function instructor calls, with
  exponential backoff and jitter, honouring ``Retry-After``.  The model never
  sees them.
* validation: an answer that fails the schema or grounding goes back to the
  model as an error to fix (instructor's re-ask), up to ``max_retries``.

Whatever the model does, the document gets the rules record for what the
model could not ground; if the model fails outright, status ``fallback``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any

import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException

from ..backends import HERE, RECORD_CODE, Desk, code_hash
from ..config import BackendConfig, ConfigError
from ..documents import Document
from ..record import DocResult, ModelCall
from . import steps
from .answer import LLMNotice, Verify, parse_loose, prune_to_schema, source_text
from .cache import AnswerCache
from .prompts import Prompt, load_prompt
from .request import INSTRUCTOR_MODES, load_handlers, request_kwargs
from .tail import Asked, finish
from .transport import CallStats, RateLimiter, Transport, api_key, clip, collecting, is_transient, make_client, redact

#: the code between the answer and the record, beside the rules' (RECORD_CODE)
ANSWER_CODE = ("merge.py", "ground.py", "llm/answer.py", "llm/excerpt.py", "llm/steps.py", "llm/tail.py",
               "llm/request.py")


class LLMBackend:
    """Extraction by an OpenAI-compatible model, grounded and cross-checked by rules."""

    def __init__(self, cfg: BackendConfig, prompt: Prompt | None = None) -> None:
        self.cfg = cfg
        self.name = cfg.name
        try:
            self.prompt = prompt or load_prompt(cfg.prompt_dir)
        except (OSError, ValueError) as exc:  # a prompt_dir without the files, or without {text}
            raise ConfigError(f"backend {cfg.name!r}: {exc}") from None
        key = api_key(cfg)
        self._secrets = [key] if key else []
        self.limiter = RateLimiter(cfg.requests_per_minute, cfg.tokens_per_minute)
        self.transport = Transport(make_client(cfg, key), self.limiter, retries=cfg.transport_retries,
                                   retry_after_cap=cfg.retry_after_cap, timeout=cfg.timeout,
                                   retry_budget=cfg.retry_budget, secrets=self._secrets)
        self._create = instructor.patch(create=self.transport.create, mode=INSTRUCTOR_MODES[cfg.mode])
        LLMNotice.model_json_schema()  # built now, not by the first requests of a run all at once
        load_handlers(cfg.mode)
        self.cache: AnswerCache | None = None
        self.concurrency = max(1, cfg.concurrency)
        self._fingerprint: str | None = None

    def _settings(self) -> list[str]:
        c = self.cfg
        return [c.base_url, c.model, c.mode, self.prompt.id, str(c.temperature), str(c.max_tokens),
                str(c.context_chars), str(c.max_retries)]

    @property
    def fingerprint(self) -> str:
        """What decides a record: the settings, the prompt and the code that makes it from the answer.

        Computed once: a run's lines and resuming key on it.
        """
        if self._fingerprint is None:
            parts = [*self._settings(), code_hash(*RECORD_CODE, *ANSWER_CODE)]
            self._fingerprint = f"{self.cfg.name}@" + _digest("\0".join(parts))
        return self._fingerprint

    def cache_key(self, kwargs: dict[str, Any]) -> str:
        """What decides an answer: the request itself (settings, messages, schema), not the code after it.

        So a change in the rules or the merge keeps the cached answers, and a
        change in what is sent (the prompt, the excerpt, the schema) does not.
        """
        sent = {k: v for k, v in kwargs.items() if k != "response_model"}
        parts = [self.cfg.base_url, self.cfg.mode, schema_id(),
                 json.dumps(sent, ensure_ascii=False, sort_keys=True, default=str)]
        return f"{self.cfg.name}@" + _digest("\0".join(parts))

    def _request(self, kwargs: dict[str, Any], verify: Verify) -> Answered:
        """Ask the model: its answer (as JSON), or why there is none."""
        with collecting(CallStats()) as stats:
            try:
                with source_text(verify) as check:
                    answer = self._create(**kwargs)
                if check.passed is answer:  # the validator's last pass was this answer: its JSON is at hand
                    return Answered(check.answer, stats)
                return Answered(answer.model_dump(mode="json"), stats)
            except InstructorRetryException as exc:
                cause = exc.__cause__ or exc
                if is_transient(cause) or isinstance(cause, openai.APIError):
                    return Answered(None, stats, failure=redact(f"{type(cause).__name__}: {cause}", self._secrets))
                rejections = [redact(str(cause), self._secrets)[:4000]]
                # Re-asks exhausted: keep what of the last answer is grounded, drop the rest.
                last = parse_loose(stats.raw_outputs[-1]) if stats.raw_outputs else None
                if last is None:
                    return Answered(None, stats, failure="the model's answers were not valid JSON for the schema",
                                    rejections=rejections)
                pruned, dropped = prune_to_schema(last)
                return Answered(pruned, stats, rejections=rejections + dropped[:50])
            except IncompleteOutputException:
                # cut at max_tokens: what came is not JSON; nothing of it can be grounded
                return Answered(None, stats, failure=f"the model's answer was cut at max_tokens={self.cfg.max_tokens}")
            except openai.APIError as exc:
                return Answered(None, stats, failure=redact(f"{type(exc).__name__}: {exc}", self._secrets))

    def cost(self, stats: CallStats) -> float | None:
        c = self.cfg
        if c.price_prompt_per_million is None and c.price_completion_per_million is None:
            return None
        return round((stats.prompt_tokens * (c.price_prompt_per_million or 0)
                      + stats.completion_tokens * (c.price_completion_per_million or 0)) / 1e6, 6)

    #: the CPU tail (rules, grounding, merge): module-level, so a run can give it to a worker process
    tail = staticmethod(finish)

    def extract(self, doc: Document) -> DocResult:
        """The whole document in this thread: the request, then the tail."""
        asked = self.ask(doc)
        return asked if isinstance(asked, DocResult) else finish(doc, asked)

    def ask(self, doc: Document, desk: Desk = HERE) -> DocResult | Asked:
        """The request step (network and instructor's validation, on a thread): the answer, from the cache or the model.

        The excerpt is cut, and each answer grounded, at ``desk``; the rules
        read the document there while the request is in flight.  Returns a
        :class:`DocResult` when the document ends here (not a notice, empty).
        """
        opened = desk.call(steps.opening, doc, self.name, self.cfg.context_chars)
        if isinstance(opened, DocResult):
            return opened
        kwargs = request_kwargs(self.cfg, self.prompt, opened)
        key = self.cache_key(kwargs) if self.cache is not None else ""
        cached = self.cache.get(key) if self.cache is not None else None
        if cached is not None:
            got = Answered(cached["answer"], CallStats(raw_outputs=[cached["raw"]] if cached.get("raw") else []),
                           rejections=cached["rejections"])
        else:
            desk.ahead(steps.read_ahead, doc.text)
            got = self._request(kwargs, partial(desk.call, steps.verify, doc.text))
            if self.cache is not None and got.answer is not None:
                self.cache.put(key, {"answer": got.answer, "rejections": got.rejections,
                                     "raw": clip(got.stats.raw_outputs[-1]) if got.stats.raw_outputs else None})
        stats = got.stats
        call = ModelCall(
            model=self.cfg.model,
            prompt=self.prompt.id,
            usage=stats.usage(),
            cost=self.cost(stats),
            cached=cached is not None,
            transport_retries=stats.transport_retries,
            reasks=max(0, stats.requests - 1),
            rejections=got.rejections,
            rejected_output=clip(stats.raw_outputs[-1]) if (got.rejections or got.failure) and stats.raw_outputs
            else None,
        )
        return Asked(self.name, got.answer, got.failure, call)


@dataclass
class Answered:
    """What one request (with its re-asks) came to."""

    answer: dict[str, Any] | None  # the answer as JSON, ungrounded; None when there is none
    stats: CallStats
    failure: str | None = None  # why there is no usable answer
    rejections: list[str] = field(default_factory=list)  # what validation refused on the way


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=1)
def schema_id() -> str:
    """A hash of the response model's JSON Schema: part of what decides an answer."""
    return _digest(json.dumps(LLMNotice.model_json_schema(), sort_keys=True))
