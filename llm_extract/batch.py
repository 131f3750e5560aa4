"""The OpenAI Batch API route, for runs too large or too costly to make one request at a time.

``submit`` writes the Batch input file: one ``/v1/chat/completions`` request
per document, exactly as instructor would send it in the backend's mode
(captured from instructor itself, not rebuilt by hand).  ``collect`` reads
the provider's output file and turns each answer into a record the usual
way: grounded against the text, cross-checked and merged with the rules.
A batch answer cannot be re-asked, so what fails grounding is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import instructor
from instructor.core.exceptions import InstructorRetryException

from . import rules
from .backends import DocResult, check_notice
from .client import INSTRUCTOR_MODES, LLMBackend, parse_loose, prune_to_schema
from .documents import BadInput, Document, iter_documents
from .excerpt import build_excerpt
from .merge import merge
from .response import LLMNotice, ground


class _Captured(Exception):
    def __init__(self, kwargs: dict[str, Any]) -> None:
        super().__init__("captured")
        self.kwargs = kwargs


def request_body(backend: LLMBackend, text: str) -> dict[str, Any]:
    """The chat-completions body instructor would send for ``text`` in the backend's mode."""
    def capture(*_: Any, **kwargs: Any) -> Any:
        raise _Captured(kwargs)

    create = instructor.patch(create=capture, mode=INSTRUCTOR_MODES[backend.cfg.mode])
    try:
        create(model=backend.cfg.model, response_model=LLMNotice, max_retries=0,
               messages=backend.prompt.messages(build_excerpt(text, backend.cfg.context_chars)),
               temperature=backend.cfg.temperature, max_tokens=backend.cfg.max_tokens)
    except _Captured as captured:
        return captured.kwargs
    except InstructorRetryException as exc:
        if isinstance(exc.__cause__, _Captured):
            return exc.__cause__.kwargs
        raise
    raise RuntimeError("instructor did not call the create function")  # pragma: no cover


def submit(paths: Iterable[str | Path], backend: LLMBackend, out: Path) -> tuple[int, list[BadInput]]:
    """Write the Batch input file; returns the number of requests and the inputs that could not be read."""
    bad: list[BadInput] = []
    n = 0
    with out.open("w", encoding="utf-8") as handle:
        for item in iter_documents(list(paths)):
            if isinstance(item, BadInput):
                bad.append(item)
                continue
            if check_notice(item) is not None:
                continue  # nothing to ask: collect gives it its own status
            line = {"custom_id": item.id, "method": "POST", "url": "/v1/chat/completions",
                    "body": request_body(backend, item.text)}
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            n += 1
    return n, bad


def _results(path: Path) -> dict[str, dict[str, Any]]:
    out = {}
    with path.open(encoding="utf-8") as handle:
        for raw in handle:
            if raw.strip():
                line = json.loads(raw)
                out[str(line.get("custom_id"))] = line
    return out


def _raw_answer(result: dict[str, Any]) -> tuple[str | None, str | None, dict[str, int]]:
    """(raw model output, error, usage) of one Batch output line."""
    if result.get("error"):
        return None, f"batch error: {result['error']}", {}
    response = result.get("response") or {}
    if response.get("status_code", 200) != 200:
        return None, f"batch request failed with HTTP {response.get('status_code')}", {}
    body = response.get("body") or {}
    usage = body.get("usage") or {}
    try:
        message = body["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        return None, "batch answer has no message", usage
    calls = message.get("tool_calls") or []
    raw = calls[0]["function"]["arguments"] if calls else message.get("content")
    return raw, None, usage


def collect(results_path: Path, paths: Iterable[str | Path], backend: LLMBackend) -> Iterator[DocResult]:
    """One result per input document, from the provider's Batch output file."""
    results = _results(results_path)
    for item in iter_documents(list(paths)):
        if isinstance(item, BadInput):
            yield DocResult(item.id, "error", backend.name, error=item.error)
            continue
        early = check_notice(item)
        if early is not None:
            early.backend = backend.name
            yield early
            continue
        yield _collect_one(item, results.get(item.id), backend)


def _collect_one(doc: Document, result: dict[str, Any] | None, backend: LLMBackend) -> DocResult:
    rules_ex = rules.extract(doc.text)
    raw, error, usage = _raw_answer(result) if result else (None, "no batch result for this document", {})
    answer = parse_loose(raw) if raw else None
    model_ex, rejections = None, []
    if answer is not None:
        pruned, rejections = prune_to_schema(answer)
        model_ex, refused = ground(pruned, doc.text)
        rejections += refused
    elif error is None:
        error = "the batch answer was not JSON"
    final, sources = merge(doc.text, rules_ex, model_ex)
    extra = {"model": backend.cfg.model, "prompt": backend.prompt.id, "sources": sources, "usage": usage,
             "transport_retries": 0, "reasks": 0, "rejections": rejections[:50],
             "rejected_output": raw if rejections or error else None, "batch": True,
             "doc_sha256": doc.sha256, "run": backend.fingerprint}
    if error is not None:
        return DocResult(doc.id, "fallback", backend.name, extraction=final,
                         error=f"model failed, rules record kept: {error}", extra=extra)
    return DocResult(doc.id, "ok", backend.name, extraction=final, extra=extra)
