"""A document's CPU steps around its request, run wherever the run puts them (its :class:`~llm_extract.backends.Desk`).

* :func:`opening`, before the request: is it a notice at all, and the excerpt the model is sent;
* :func:`read_ahead`, while the request is in flight: the rules' reading;
* :func:`verify`, for each answer inside instructor's loop: its grounding, and what to re-ask;
* :func:`reading_for`, in the tail: the reading, taken out of the memo.

In a run at concurrency > 1 they all run in the one worker process kept for
the document, so the process that holds 64 requests in flight does no rules,
grounding or excerpting, and the layout and the rules' reading are computed
once per document.  The memo is only a cache: a step that misses it (another
process, an evicted entry) computes the same thing again.

No provider is imported here (no ``openai``, no ``instructor``): a worker starts light.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from .. import rules
from ..backends import check_notice
from ..documents import Document
from ..merge import ground_answer
from ..record import DocResult, Extraction
from ..rules import Reading
from .excerpt import build_excerpt

#: Readings kept for documents between their request and their tail.  A run has at most twice its
#: concurrency of documents in flight; an entry a document never came back for is evicted.
MAX_HELD = 256
_HELD: OrderedDict[str, Reading] = OrderedDict()
_LOCK = threading.Lock()  # the in-process desk runs these steps on the request threads


def opening(doc: Document, backend: str, max_chars: int) -> DocResult | str:
    """The document's result when it is not a notice (empty, no inspection wording), else its excerpt."""
    early = check_notice(doc, backend)
    if early is not None:
        return early
    return build_excerpt(doc.text, max_chars)


def read_ahead(text: str) -> None:
    """Read the rules' record now (while the request is in flight), for :func:`verify` and the tail."""
    _reading(text)


def verify(text: str, answer: dict[str, Any]) -> tuple[Extraction, list[str]]:
    """Ground one answer (as JSON): what it grounds to, and why each refused value was refused.

    Against the summary paragraph the rules found, as the merge grounds, so
    what instructor re-asks is exactly what the merge would refuse.
    """
    return ground_answer(_reading(text), answer)


def reading_for(text: str) -> Reading:
    """The rules' reading of ``text`` for its tail, taken out of the memo (else read now)."""
    with _LOCK:
        held = _HELD.pop(text, None)
    return held if held is not None else rules.read(text)


def _reading(text: str) -> Reading:
    with _LOCK:
        held = _HELD.get(text)
        if held is not None:
            _HELD.move_to_end(text)
            return held
    reading = rules.read(text)
    with _LOCK:
        _HELD[text] = reading
        while len(_HELD) > MAX_HELD:
            _HELD.popitem(last=False)
    return reading
