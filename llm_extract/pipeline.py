"""One document at a time (never raising for one bad input), the output line writer, and reading runs back."""

from __future__ import annotations

import json
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .backends import Backend, DocResult
from .documents import BadInput, Document


@dataclass
class RunSummary:
    counts: Counter[str] = field(default_factory=Counter)
    lines: int = 0
    usage: dict[str, float] = field(default_factory=dict)

    def add(self, status: str) -> None:
        self.counts[status] += 1
        self.lines += 1


def extract_one(backend: Backend, item: Document | BadInput) -> DocResult:
    """Never raises: a bad input or a backend bug becomes an ``error`` result."""
    if isinstance(item, BadInput):
        return DocResult(item.id, "error", backend.name, error=item.error, extra={"source": item.source})
    try:
        result = backend.extract(item)
    except Exception as exc:  # noqa: BLE001 - one document must not end the batch
        last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" ({Path(last.filename).name}:{last.lineno})" if last else ""
        result = DocResult(item.id, "error", backend.name, error=f"{type(exc).__name__}: {exc}{where}")
    result.extra.setdefault("source", item.source)
    return result


class OutputError(OSError):
    """The output could not be written (disk full, closed pipe); the file keeps its complete lines."""


class JsonlWriter:
    """Writes one complete, flushed line per document.

    If a write fails part-way (ENOSPC), the file is cut back to the end of the
    last complete line, so what is on disk stays valid JSONL.
    """

    def __init__(self, handle: TextIO) -> None:
        self.handle = handle
        self.lines = 0
        try:
            self._good = handle.tell() if handle.seekable() else None
        except OSError:
            self._good = None

    def write(self, line: dict[str, Any]) -> None:
        data = json.dumps(line, ensure_ascii=False, default=str) + "\n"
        try:
            self.handle.write(data)
            self.handle.flush()
        except OSError as exc:
            self._cut_back()
            raise OutputError(exc.errno, f"cannot write the output after {self.lines} lines: "
                                         f"{exc.strerror or exc}") from None
        self.lines += 1
        if self._good is not None:
            try:
                self._good = self.handle.tell()
            except OSError:
                self._good = None

    def _cut_back(self) -> None:
        if self._good is None:
            return
        try:
            buffer = getattr(self.handle, "buffer", None)
            raw = getattr(buffer, "raw", None)
            fd = raw.fileno() if raw is not None else self.handle.fileno()
            import os

            os.ftruncate(fd, self._good)
        except (OSError, ValueError, AttributeError):
            pass


def read_predictions(path: Path) -> tuple[dict[str, dict[str, Any] | None], dict[str, dict[str, Any]]]:
    """Records and evidence by document id from an output JSONL (errors as ``None``)."""
    records: dict[str, dict[str, Any] | None] = {}
    evidence: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as handle:
        for lineno, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{lineno}: not JSON ({exc.msg})") from None
            doc = str(line.get("doc"))
            records[doc] = line.get("record")
            evidence[doc] = line.get("evidence") or {}
    return records, evidence
