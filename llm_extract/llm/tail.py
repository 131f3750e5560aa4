"""The CPU tail of a model route: the rules' reading, grounding and merge of one answer.

It imports no provider (no ``openai``, no ``instructor``), so a worker
process that runs it starts light; everything it takes and returns pickles
(:class:`Asked`, :class:`~llm_extract.documents.Document`,
:class:`~llm_extract.record.DocResult`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..documents import Document
from ..merge import settle
from ..record import DocResult, Extraction, ModelCall, Status
from .steps import grounding_for, reading_for


@dataclass
class Asked:
    """What the request step learned about one document: the answer (ungrounded JSON) and what it cost."""

    backend: str
    answer: dict[str, Any] | None
    failure: str | None  # why the model gave no usable answer (server down, cut answer); None when it did
    call: ModelCall  # everything but ``sources``, which the merge decides


def finish(doc: Document, asked: Asked) -> DocResult:
    """Rules, then grounding and merge of the answer: the document's result.

    Module-level so a run can send it to a worker process (the one that
    read the rules ahead, while the request was on a thread).
    """
    grounded = grounding_for(doc.text, asked.answer) if asked.answer is not None else None
    final, sources, refused = settle(reading_for(doc.text), asked.answer, grounded)
    call = replace(asked.call, sources=sources)
    if not call.cached and call.rejections:
        call.rejections = call.rejections + refused[:50]
    return result_of(doc.id, asked.backend, final, call, asked.failure)


def result_of(doc_id: str, backend: str, final: Extraction, call: ModelCall, failure: str | None) -> DocResult:
    """A model route's result: ``ok``, or ``fallback`` (the rules' record kept) saying why the model failed."""
    if failure is not None:
        return DocResult(doc_id, Status.fallback, backend, extraction=final, call=call,
                         error=f"model failed, rules record kept: {failure}")
    return DocResult(doc_id, Status.ok, backend, extraction=final, call=call)
