"""Backends: what turns one document into a record.

``rules`` is offline and the default.  LLM backends (:mod:`llm_extract.llm`)
are named in a config file and built by :mod:`llm_extract.factory`; all share
the :class:`Backend` protocol so the run, the CLI and the evals never care
which one runs.
"""

from __future__ import annotations

import re
from typing import Protocol

from . import rules
from .documents import Document
from .record import DocResult, Extraction, Status
from .schema import Notice
from .text import fold


class Backend(Protocol):
    name: str
    fingerprint: str  # what decides a record: runs with the same fingerprint can reuse each other's lines
    concurrency: int

    def extract(self, doc: Document) -> DocResult: ...


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
    concurrency = 1  # CPU-bound: threads would only contend for the GIL

    @property
    def fingerprint(self) -> str:
        from . import __version__

        return f"rules@{__version__}"

    def extract(self, doc: Document) -> DocResult:
        early = check_notice(doc, self.name)
        if early is not None:
            return early
        return DocResult(doc.id, Status.ok, self.name, extraction=rules.extract(doc.text))
