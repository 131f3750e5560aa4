"""Backends: what turns one document into a record.

``rules`` is offline and the default.  LLM backends (:mod:`llm_extract.llm`)
are named in a config file and built by :mod:`llm_extract.factory`; all share
the :class:`Backend` protocol so the run, the CLI and the evals never care
which one runs.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Protocol, TypeVar, runtime_checkable

from . import rules
from .documents import Document
from .record import DocResult, Extraction, Status
from .schema import Notice
from .text import fold

T = TypeVar("T")


class Backend(Protocol):
    name: str
    fingerprint: str  # what decides a record: runs with the same fingerprint can reuse each other's lines
    concurrency: int

    def extract(self, doc: Document) -> DocResult: ...


class Desk(Protocol):
    """Where a document's CPU steps run while its request waits on a thread.

    A run at concurrency > 1 gives each document a worker process and keeps
    it there (its steps share one memo), so the process holding the requests
    in flight does none of that work; :data:`HERE` runs the steps in the
    calling thread.  ``fn`` is a module-level function and ``args`` pickle.
    """

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` at the desk, waiting for its result."""
        ...

    def ahead(self, fn: Callable[..., Any], *args: Any) -> None:
        """``fn(*args)`` at the desk when it is free, to save a later step time; a desk may skip it."""
        ...


class _Here:
    """The desk of a document extracted in one thread: every step in that thread, nothing ahead."""

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(*args)

    def ahead(self, fn: Callable[..., Any], *args: Any) -> None:
        return None  # done when first needed, in the same thread: nothing to overlap


HERE: Desk = _Here()


@runtime_checkable
class AskingBackend(Protocol):
    """A backend whose work splits in two, so a run can overlap many documents without the GIL in the way.

    ``ask`` is the request (waiting on the network: a thread), with the
    document's CPU steps (the excerpt, grounding each answer) at ``desk``;
    it returns a :class:`DocResult` when the document ends early, else a
    picklable answer that ``tail(doc, answer)`` (a module-level function:
    the rules, grounding and merge) turns into the result, at the same desk.
    ``extract(doc)`` is ``tail(doc, ask(doc))``.
    """

    def ask(self, doc: Document, desk: Desk = ...) -> DocResult | Any: ...

    @property
    def tail(self) -> Callable[[Document, Any], DocResult]: ...


PACKAGE = Path(__file__).resolve().parent
#: The code that makes a rules record: when any of it changes, earlier records are stale.
RECORD_CODE = ("rules", "backends.py", "record.py", "schema.py", "fields.py", "text.py")


@lru_cache(maxsize=None)
def code_hash(*parts: str) -> str:
    """16 hex digits of sha256 over the source of ``parts`` (modules and packages under ``llm_extract/``).

    A run's fingerprint includes it, so a resume redoes the records that
    changed code would make differently, rather than keeping stale ones.
    """
    digest = hashlib.sha256()
    for part in parts:
        path = PACKAGE / part
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for f in files:
            digest.update(f.relative_to(PACKAGE).as_posix().encode("utf-8") + b"\0")
            digest.update(f.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


_NOTICE_WORDS = re.compile(r"巡[视察]")
_RECTIFY_WORDS = re.compile(r"整改")


def check_notice(doc: Document, backend: str) -> DocResult | None:
    """A result for what is not a notice at all (empty, or no inspection wording); else ``None``."""
    if not doc.text.strip():
        return DocResult(doc.id, Status.error, backend, error="empty document: no text after decoding")
    folded = fold(doc.text)
    if not (_NOTICE_WORDS.search(folded) and _RECTIFY_WORDS.search(folded)):
        return DocResult(doc.id, Status.not_a_notice, backend, extraction=Extraction(Notice(), {}),
                         error="no 巡视/巡察 and 整改 wording: not a rectification notice")
    return None


class RulesBackend:
    """Deterministic regex-and-layout extraction (:mod:`llm_extract.rules`)."""

    name = "rules"
    concurrency = 1  # CPU-bound: with --concurrency N > 1 a run gives whole documents to worker processes

    @property
    def fingerprint(self) -> str:
        from . import __version__

        return f"rules@{__version__}+{code_hash(*RECORD_CODE)}"

    def extract(self, doc: Document) -> DocResult:
        early = check_notice(doc, self.name)
        if early is not None:
            return early
        return DocResult(doc.id, Status.ok, self.name, extraction=rules.extract(doc.text))
