"""Resuming a run: what an existing output file already holds, keyed by document hash and backend fingerprint.

A run killed at any moment leaves at most one partial last line, which the
next run cuts off; with ``retry_errors`` failed lines are dropped so their
documents are done again.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path


def line_key(doc_id: str, sha: str | None, fingerprint: str) -> str:
    return f"{fingerprint}\0{doc_id}\0{sha or ''}"


@dataclass
class Resume:
    """What an existing output file already holds."""

    done: set[str] = field(default_factory=set)
    errors: set[str] = field(default_factory=set)
    cut_partial: bool = False
    dropped_errors: int = 0


def prepare_output(path: Path, fingerprint: str, retry_errors: bool) -> Resume:
    """Read an existing output: cut a partial last line; with ``retry_errors`` drop error lines."""
    state = Resume()
    if not path.is_file():  # new, or a device such as /dev/full or a pipe: nothing to resume
        return state
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
        state.cut_partial = True
    kept: list[bytes] = []
    for raw in data.splitlines(keepends=True):
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            state.cut_partial = True
            continue
        key = line_key(str(line.get("doc")), line.get("doc_sha256"), str(line.get("run")))
        if line.get("status") == "error" and retry_errors:
            state.dropped_errors += 1
            continue
        (state.errors if line.get("status") == "error" else state.done).add(key)
        kept.append(raw)
    if state.cut_partial or state.dropped_errors:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(b"".join(kept))
        os.replace(tmp, path)
    return state
