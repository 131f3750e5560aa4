"""Resuming a run: what an existing output file already holds, keyed by document hash and backend fingerprint.

The file is read line by line and only what resuming needs is kept (the
``doc``/``doc_sha256`` pairs of this run's lines, and their usage summed), so
memory does not grow with the size of the lines.  A run killed at any moment
leaves at most one partial last line, which the next run cuts off; with
``retry_errors`` the ``error`` and ``fallback`` lines are dropped so their
documents are done again; lines this backend made with other code or
settings (another fingerprint) are stale and dropped, so each document keeps
one current line.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

#: statuses ``--retry-errors`` redoes: a failed input, and a model that failed outright (server down)
RETRIED = frozenset({"error", "fallback"})


def line_key(doc_id: str, sha: str | None) -> str:
    """What identifies a document's line within one run's fingerprint."""
    return f"{doc_id}\0{sha or ''}"


@dataclass
class Resume:
    """What an existing output file already holds for this run's fingerprint."""

    done: set[str] = field(default_factory=set)
    cut_partial: bool = False
    dropped_stale: int = 0  # this backend's lines from other code or settings
    usage: dict[str, float] = field(default_factory=dict)  # tokens and cost of the lines kept


def _lines(handle: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """Each complete line with its end offset; a last line without a newline is not yielded."""
    offset = 0
    for raw in handle:
        if not raw.endswith(b"\n"):
            return
        offset += len(raw)
        yield offset, raw


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        line = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return line if isinstance(line, dict) else None


class _Judge:
    """Decides, line by line, what an existing output keeps."""

    def __init__(self, fingerprint: str, backend: str | None, retry_errors: bool) -> None:
        self.fingerprint, self.backend, self.retry_errors = fingerprint, backend, retry_errors

    def keeps(self, line: dict[str, Any] | None, state: Resume) -> bool:
        if line is None:
            state.cut_partial = True
            return False
        mine = line.get("run") == self.fingerprint
        if not mine:
            stale = self.backend is not None and line.get("backend") == self.backend and line.get("run") is not None
            state.dropped_stale += stale
            return not stale
        return not (self.retry_errors and line.get("status") in RETRIED)


def prepare_output(path: Path, fingerprint: str, retry_errors: bool, backend: str | None = None) -> Resume:
    """Read an existing output in constant memory per line; cut or rewrite it so it holds only what is kept.

    ``backend`` names this run's backend: its lines with another fingerprint are stale and dropped.
    """
    state = Resume()
    if not path.is_file():  # new, or a device such as /dev/full or a pipe: nothing to resume
        return state
    judge = _Judge(fingerprint, backend, retry_errors)
    good_end, rewrite = 0, False
    kept: list[list[int]] = []  # byte ranges of the kept lines, neighbours joined: what a rewrite copies
    with path.open("rb") as handle:
        for end, raw in _lines(handle):
            line = _parse(raw)
            if judge.keeps(line, state):
                if line is not None and line.get("run") == fingerprint:
                    state.done.add(line_key(str(line.get("doc")), line.get("doc_sha256")))
                    add_usage(state.usage, line)
                if kept and kept[-1][1] == good_end:
                    kept[-1][1] = end
                else:
                    kept.append([good_end, end])
            else:
                rewrite = True
            good_end = end
        size = handle.seek(0, os.SEEK_END)
    if rewrite:
        _rewrite(path, kept)
    elif good_end < size:  # only a partial last line: cut it off in place
        state.cut_partial = True
        with path.open("r+b") as handle:
            handle.truncate(good_end)
    return state


def _rewrite(path: Path, kept: list[list[int]]) -> None:
    """Copy the kept byte ranges to a temporary file beside ``path`` and put it in its place.

    The ranges come from the one pass that judged each line, so no line is parsed twice.
    """
    tmp = path.with_name(path.name + ".tmp")
    with path.open("rb") as src, tmp.open("wb") as dst:
        for start, end in kept:
            src.seek(start)
            left = end - start
            while left > 0:
                chunk = src.read(min(left, 1 << 20))
                if not chunk:
                    break
                dst.write(chunk)
                left -= len(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(tmp, path)


def add_usage(total: dict[str, float], line: dict[str, Any]) -> None:
    """Add one line's tokens and cost to ``total``."""
    for key, value in (line.get("usage") or {}).items():
        if isinstance(value, (int, float)):
            total[key] = total.get(key, 0) + value
    if isinstance(line.get("cost"), (int, float)):
        total["cost"] = total.get("cost", 0) + line["cost"]
