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

import os  # noqa: E402
from pathlib import Path  # noqa: E402

from . import documents as _documents  # noqa: E402
from .documents import Document, InputError, iter_documents  # noqa: E402
from .record import Extraction  # noqa: E402
from .rules import extract as extract_text  # noqa: E402
from .schema import Notice, Span  # noqa: E402


def read_file(path: str | os.PathLike[str]) -> Document:
    """One notice file as a :class:`Document`: ``path`` may be a ``str`` or any path-like.

    Raises :class:`InputError` naming the file (a missing file says which),
    so a script reading many files can tell which one failed.
    """
    path = Path(path)
    try:
        return _documents.read_file(path)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None

__all__ = ["Document", "Extraction", "InputError", "Notice", "Span", "extract_text", "iter_documents", "read_file", "__version__"]
