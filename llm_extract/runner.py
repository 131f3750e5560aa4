"""Batch runs: concurrent, resumable, sharded, one complete line per document.

A run appends to its output JSONL.  Every line records the document's hash
and the backend's fingerprint, so re-running the same command skips what is
done (and, with ``retry_errors``, redoes what failed).  A run killed at any
moment leaves at most one partial last line, which the next run cuts off.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, field
from pathlib import Path

from .backends import Backend, DocResult
from .documents import BadInput, Document, iter_documents
from .pipeline import JsonlWriter, RunSummary, extract_one


@dataclass
class Shard:
    """``--shard I/N``: this machine takes the documents whose id hashes to I modulo N."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> "Shard":
        try:
            i, n = (int(x) for x in text.split("/"))
        except ValueError:
            raise ValueError(f"--shard takes I/N (e.g. 0/4), not {text!r}") from None
        if n < 1 or not 0 <= i < n:
            raise ValueError(f"--shard {text}: I must be in 0..N-1")
        return cls(i, n)

    def takes(self, doc_id: str) -> bool:
        digest = hashlib.sha256(doc_id.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index


def _key(doc_id: str, sha: str | None, fingerprint: str) -> str:
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
        key = _key(str(line.get("doc")), line.get("doc_sha256"), str(line.get("run")))
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


def _items(paths: Iterable[str | Path], shard: Shard | None) -> Iterator[Document | BadInput]:
    for item in iter_documents(list(paths)):
        if shard is None or shard.takes(item.id):
            yield item


def run_batch(paths: Iterable[str | Path], backend: Backend, out: Path, *, retry_errors: bool = False,
              shard: Shard | None = None, concurrency: int | None = None,
              on_result: Callable[[DocResult], None] | None = None,
              on_skip: Callable[[str], None] | None = None) -> RunSummary:
    """Extract every document not already in ``out``, ``concurrency`` at a time, appending as each finishes."""
    fingerprint = backend.fingerprint
    state = prepare_output(out, fingerprint, retry_errors)
    workers = max(1, concurrency or getattr(backend, "concurrency", 1))
    summary = RunSummary()
    lock = threading.Lock()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as handle, ThreadPoolExecutor(max_workers=workers) as pool:
        writer = JsonlWriter(handle)
        pending: set[Future[DocResult]] = set()

        def finish(future: Future[DocResult]) -> None:
            result = future.result()
            line = result.to_line()
            with lock:
                writer.write(line)
                summary.add(result.status)
            if on_result:
                on_result(result)

        try:
            _feed(paths, shard, state, fingerprint, pool, pending, workers, finish, summary, backend, on_skip)
        except KeyboardInterrupt:
            # stop at once: nothing new starts; every finished line is already on disk
            for f in pending:
                f.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        for f in as_completed(pending):
            finish(f)
    return summary


def _feed(paths: Iterable[str | Path], shard: Shard | None, state: Resume, fingerprint: str,
          pool: ThreadPoolExecutor, pending: set[Future[DocResult]], workers: int,
          finish: Callable[[Future[DocResult]], None], summary: RunSummary, backend: Backend,
          on_skip: Callable[[str], None] | None) -> None:
    """Submit the documents not done yet, keeping at most ``2 × workers`` in flight."""
    for item in _items(paths, shard):
        sha = item.sha256 if isinstance(item, Document) else None
        key = _key(item.id, sha, fingerprint)
        if key in state.done or key in state.errors:
            if on_skip:
                on_skip(item.id)
            summary.counts["skipped"] += 1
            continue
        pending.add(pool.submit(_extract, backend, item, fingerprint))
        if len(pending) >= workers * 2:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for f in finished:
                pending.discard(f)
                finish(f)


def count_inputs(paths: Iterable[str | Path]) -> int:
    """How many documents ``paths`` hold, without reading their texts (for the progress bar)."""
    from .documents import TEXT_SUFFIXES

    total = 0
    for raw in paths:
        path = Path(raw)
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for f in files:
            suffix = f.suffix.lower()
            if suffix == ".jsonl":
                try:
                    with f.open("rb") as handle:
                        total += sum(1 for line in handle if line.strip())
                except OSError:
                    total += 1
            elif suffix in TEXT_SUFFIXES or not path.is_dir():
                total += 1
    return total


def _extract(backend: Backend, item: Document | BadInput, fingerprint: str) -> DocResult:
    result = extract_one(backend, item)
    result.extra["doc_sha256"] = item.sha256 if isinstance(item, Document) else None
    result.extra["run"] = fingerprint
    return result


