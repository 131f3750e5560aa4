"""The OpenAI Batch API route, beside the live one, for runs too large or too costly to make one request at a time.

``submit`` writes the Batch input file: one ``/v1/chat/completions`` request
per document, the very body the live route sends (:func:`.request.request_body`).  ``collect`` reads
the provider's output file and turns each answer into a record the usual
way: grounded against the text, cross-checked and merged with the rules.
A batch answer cannot be re-asked, so what fails grounding is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..backends import check_notice
from ..documents import BadInput, Document, iter_documents
from ..merge import settle
from ..record import DocResult, ModelCall, Status
from .. import rules
from .answer import parse_loose, prune_to_schema
from .backend import LLMBackend
from .request import request_body
from .tail import result_of
from .transport import clip


def submit(paths: Iterable[str | Path], backend: LLMBackend, out: Path) -> tuple[int, list[BadInput]]:
    """Write the Batch input file; returns the number of requests and the inputs that could not be read."""
    bad: list[BadInput] = []
    n = 0
    with out.open("w", encoding="utf-8") as handle:
        for item in iter_documents(list(paths)):
            if isinstance(item, BadInput):
                bad.append(item)
                continue
            if check_notice(item, backend.name) is not None:
                continue  # nothing to ask: collect gives it its own status
            line = {"custom_id": item.id, "method": "POST", "url": "/v1/chat/completions",
                    "body": request_body(backend.cfg, backend.prompt, item.text)}
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
            yield DocResult(item.id, Status.error, backend.name, error=item.error, source=item.source)
            continue
        early = check_notice(item, backend.name)
        if early is not None:
            yield early
            continue
        yield _collect_one(item, results.get(item.id), backend)


def _collect_one(doc: Document, result: dict[str, Any] | None, backend: LLMBackend) -> DocResult:
    raw, error, usage = _raw_answer(result) if result else (None, "no batch result for this document", {})
    answer = parse_loose(raw) if raw else None
    rejections: list[str] = []
    if answer is not None:
        answer, rejections = prune_to_schema(answer)
    elif error is None:
        error = "the batch answer was not JSON"
    final, sources, refused = settle(rules.read(doc.text), answer)
    rejections += refused
    call = ModelCall(model=backend.cfg.model, prompt=backend.prompt.id, sources=sources, usage=usage,
                     rejections=rejections[:50], rejected_output=clip(raw) if raw and (rejections or error) else None,
                     batch=True)
    result = result_of(doc.id, backend.name, final, call, error)
    result.doc_sha256, result.run, result.source = doc.sha256, backend.fingerprint, doc.source
    return result
