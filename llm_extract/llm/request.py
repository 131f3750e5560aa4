"""The one request a document becomes, for the live route and the Batch API alike.

:func:`request_kwargs` is what is handed to instructor's ``create``;
:func:`request_body` runs instructor's own request preparation for the
backend's mode and captures the chat-completions body it would send, so a
Batch API input line is byte-for-byte the live request, never rebuilt by hand.
"""

from __future__ import annotations

import logging
from typing import Any

import instructor
from instructor.core.exceptions import InstructorRetryException
from instructor.v2.core import patch as _instructor_patch
from instructor.v2.core.providers import Provider
from instructor.v2.core.registry import mode_registry
from instructor.v2.validation import async_validators as _async_validators

from ..config import BackendConfig
from .answer import LLMNotice
from .excerpt import build_excerpt
from .prompts import Prompt

INSTRUCTOR_MODES = {
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "tools": instructor.Mode.TOOLS,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
}
# instructor logs every failed attempt at ERROR; the output line reports them instead
logging.getLogger("instructor").setLevel(logging.CRITICAL)

_scan_validators = _async_validators.reject_async_validators


def _scan_once(response_model: Any) -> None:
    """instructor's check for async validators, done once for our own response model.

    instructor walks the whole model tree (every nested class, every
    attribute of each) four times per request to refuse async validators;
    for :class:`LLMNotice` that was ~18 % of a document's time in the client
    (evals/bench_overhead.py --profile).  The model is ours and fixed, so it
    is walked once; any other model is walked as instructor does.
    """
    if response_model is LLMNotice:
        if not _SCANNED:
            _scan_validators(response_model)
            _SCANNED.append(response_model)
        return
    _scan_validators(response_model)


_SCANNED: list[type] = []
_async_validators.reject_async_validators = _scan_once  # looked up at call time by instructor's v2 core
_instructor_patch.reject_async_validators = _scan_once  # imported by name when patch.py loaded


def load_handlers(mode: str) -> None:
    """Load instructor's handlers for ``mode`` now, rather than in the first request.

    instructor imports a mode's handlers (and with them ``requests`` and
    ``urllib3``, ~90 ms) on the first ``create``; the first requests of a
    run would all wait on that import before any is sent.
    """
    mode_registry.get_handlers(Provider.OPENAI, INSTRUCTOR_MODES[mode])


def request_kwargs(cfg: BackendConfig, prompt: Prompt, excerpt: str) -> dict[str, Any]:
    """instructor ``create`` arguments for one notice: the prompt over its excerpt (:func:`.excerpt.build_excerpt`)."""
    return {
        "model": cfg.model,
        "response_model": LLMNotice,
        "messages": prompt.messages(excerpt),
        "max_retries": cfg.max_retries,
        "temperature": cfg.temperature,
        "max_tokens": cfg.max_tokens,
    }


class _Captured(Exception):
    def __init__(self, kwargs: dict[str, Any]) -> None:
        super().__init__("captured")
        self.kwargs = kwargs


def request_body(cfg: BackendConfig, prompt: Prompt, text: str) -> dict[str, Any]:
    """The chat-completions body instructor would send for ``text`` in the backend's mode."""
    def capture(*_: Any, **kwargs: Any) -> Any:
        raise _Captured(kwargs)

    create = instructor.patch(create=capture, mode=INSTRUCTOR_MODES[cfg.mode])
    try:
        create(**{**request_kwargs(cfg, prompt, build_excerpt(text, cfg.context_chars)), "max_retries": 0})
    except _Captured as captured:
        return captured.kwargs
    except InstructorRetryException as exc:
        if isinstance(exc.__cause__, _Captured):
            return exc.__cause__.kwargs
        raise
    raise RuntimeError("instructor did not call the create function")  # pragma: no cover
