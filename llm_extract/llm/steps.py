"""A document's CPU steps around its request, run wherever the run puts them (its :class:`~llm_extract.backends.Desk`).

* :func:`opening`, before the request: is it a notice at all, and the excerpt the model is sent;
* :func:`read_ahead`, while the request is in flight: the rules' reading;
* :func:`verify`, for each answer inside instructor's loop: what to re-ask (the grounding of the
  answer that passes is held for the tail);
* :func:`reading_for` and :func:`grounding_for`, in the tail: the reading and that grounding, taken
  out of the memo.

In a run at concurrency > 1 they all run in the one worker process kept for
the document, so the process that holds 64 requests in flight does no rules,
grounding or excerpting, and the layout and the rules' reading are computed
once per document, and the accepted answer is grounded once; no reading or
grounding crosses between processes (an Extraction costs ~0.35 ms to pickle
and unpickle).  The memo is only a cache: a step that misses it (another
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
_PASSED: OrderedDict[str, tuple[dict[str, Any], Extraction]] = OrderedDict()  # an accepted answer, grounded
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


def verify(text: str, answer: dict[str, Any]) -> list[str]:
    """Ground one answer (as JSON): why each refused value was refused; none when it passes.

    Against the summary paragraph the rules found, as the merge grounds, so
    what instructor re-asks is exactly what the merge would refuse.  An
    answer that passes is held, grounded, for :func:`grounding_for`.
    """
    grounded, errors = ground_answer(_reading(text), answer)
    if not errors:
        _hold(_PASSED, text, (answer, grounded))
    return errors


def grounding_for(text: str, answer: dict[str, Any]) -> Extraction | None:
    """What :func:`verify` grounded ``answer`` to when it passed, taken out of the memo; else ``None``
    (a cached answer, a salvaged one, an evicted entry: the tail grounds it)."""
    with _LOCK:
        held = _PASSED.pop(text, None)
    return held[1] if held is not None and held[0] == answer else None


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
    _hold(_HELD, text, reading)
    return reading


def _hold(memo: OrderedDict[str, Any], text: str, value: Any) -> None:
    with _LOCK:
        memo[text] = value
        memo.move_to_end(text)
        while len(memo) > MAX_HELD:
            memo.popitem(last=False)
