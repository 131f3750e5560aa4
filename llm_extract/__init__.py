"""llm_extract: validated, source-grounded records from 巡视/巡察整改 notices.

Library entry points::

    from llm_extract import extract_text, read_file
    extraction = extract_text(text)          # offline rules backend
    extraction.record_json(), extraction.evidence_json()

The pipeline, one package or module per step: ``documents`` (read) →
``rules`` and ``llm`` (read a notice, ask a model) → ``ground`` → ``merge`` →
``record`` → ``run`` → ``score`` → ``report``; ``fields`` is the one registry
of record fields they all read.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .documents import Document, iter_documents, read_file  # noqa: E402
from .record import Extraction  # noqa: E402
from .rules import extract as extract_text  # noqa: E402
from .schema import Notice, Span  # noqa: E402

__all__ = ["Document", "Extraction", "Notice", "Span", "extract_text", "iter_documents", "read_file", "__version__"]
