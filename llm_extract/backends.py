"""Backends: what turns one document into a record.

``rules`` is offline and the default.  LLM backends (see :mod:`llm_extract.client`)
are named in a config file; all share the :class:`Backend` protocol so the
pipeline, the CLI and the evals never care which one runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import rules
from .documents import Document
from .grounding import Extraction
from .normalize import fold
from .schema import Notice

STATUSES = ("ok", "fallback", "error", "not_a_notice")


@dataclass
class DocResult:
    """The outcome for one document, whatever the backend."""

    doc_id: str
    status: str
    backend: str
    extraction: Extraction | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_line(self) -> dict[str, Any]:
        """The output-line contract of ``llm-extract extract``."""
        line: dict[str, Any] = {
            "doc": self.doc_id,
            "status": self.status,
            "record": self.extraction.record_json() if self.extraction else None,
            "evidence": self.extraction.evidence_json() if self.extraction else {},
            "backend": self.backend,
            "error": self.error,
        }
        line.update(self.extra)
        return line


class Backend(Protocol):
    name: str
    fingerprint: str  # what decides a record: runs with the same fingerprint can reuse each other's lines
    concurrency: int

    def extract(self, doc: Document) -> DocResult: ...


_NOTICE_WORDS = re.compile(r"巡[视察]")
_RECTIFY_WORDS = re.compile(r"整改")


def check_notice(doc: Document) -> DocResult | None:
    """A result for what is not a notice at all (empty, or no inspection wording); else ``None``."""
    if not doc.text.strip():
        return DocResult(doc.id, "error", "", error="empty document: no text after decoding")
    folded = fold(doc.text)
    if not (_NOTICE_WORDS.search(folded) and _RECTIFY_WORDS.search(folded)):
        return DocResult(doc.id, "not_a_notice", "", extraction=Extraction(Notice(), {}),
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
        early = check_notice(doc)
        if early is not None:
            early.backend = self.name
            return early
        return DocResult(doc.id, "ok", self.name, extraction=rules.extract(doc.text))
