"""The output file: one complete, flushed JSON line per document, and reading runs back."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TextIO


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


def usage_totals(path: Path, fingerprint: str | None) -> dict[str, float]:
    """Tokens and cost of one backend's lines in an output file (the run and what it resumed)."""
    total: dict[str, float] = {}
    with path.open(encoding="utf-8") as handle:
        for raw in handle:
            try:
                line = json.loads(raw)
            except json.JSONDecodeError:
                continue
            if line.get("run") != fingerprint:
                continue
            for key, value in (line.get("usage") or {}).items():
                total[key] = total.get(key, 0) + value
            if line.get("cost") is not None:
                total["cost"] = total.get("cost", 0) + line["cost"]
    return total
