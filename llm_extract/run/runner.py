"""The one loop over documents: concurrent, resumable, sharded, one complete line per document.

A run appends to its output JSONL.  Every line records the document's hash
and the backend's fingerprint, so re-running the same command skips what is
done (and, with ``retry_errors``, redoes what failed).  A run killed at any
moment leaves at most one partial last line, which the next run cuts off.
"""

from __future__ import annotations

import threading
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..backends import Backend
from ..documents import BadInput, Document, Found, iter_documents, iter_inputs
from ..record import DocResult, Status
from .output import JsonlWriter
from .resume import Resume, line_key, prepare_output
from .shard import Shard


@dataclass
class RunSummary:
    counts: Counter[str] = field(default_factory=Counter)
    lines: int = 0
    usage: dict[str, float] = field(default_factory=dict)

    def add(self, status: str | Status) -> None:
        self.counts[str(status)] += 1
        self.lines += 1


def extract_one(backend: Backend, item: Document | BadInput) -> DocResult:
    """Never raises: a bad input or a backend bug becomes an ``error`` result."""
    if isinstance(item, BadInput):
        return DocResult(item.id, Status.error, backend.name, error=item.error, source=item.source)
    try:
        result = backend.extract(item)
    except Exception as exc:  # noqa: BLE001 - one document must not end the batch
        last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" ({Path(last.filename).name}:{last.lineno})" if last else ""
        result = DocResult(item.id, Status.error, backend.name, error=f"{type(exc).__name__}: {exc}{where}")
    if result.source is None:
        result.source = item.source
    return result




def _items(paths: Iterable[str | Path], shard: Shard | None) -> Iterator[Document | BadInput]:
    for item in iter_documents(list(paths)):
        if shard is None or shard.takes(item.id):
            yield item


def run_documents(paths: Iterable[str | Path], backend: Backend, out: Path, *, retry_errors: bool = False,
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
        key = line_key(item.id, sha, fingerprint)
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
    """How many documents ``paths`` hold, without reading their texts (for the progress bar).

    Walks the same files as :func:`iter_documents` (one walker, so the two
    agree: sub-folders, links, bad names); a ``.jsonl`` counts its non-blank lines.
    """
    total = 0
    for item in iter_inputs(list(paths), warn=lambda _message: None):
        if isinstance(item, Found) and item.path.suffix.lower() == ".jsonl":
            try:
                with item.path.open("rb") as handle:
                    total += sum(1 for line in handle if line.strip())
            except OSError:
                total += 1
        else:
            total += 1
    return total


def _extract(backend: Backend, item: Document | BadInput, fingerprint: str) -> DocResult:
    result = extract_one(backend, item)
    result.doc_sha256 = item.sha256 if isinstance(item, Document) else None
    result.run = fingerprint
    return result




def run_to_handle(paths: Iterable[str | Path], backend: Backend, handle: TextIO,
                  on_result: Callable[[DocResult, RunSummary], None] | None = None) -> RunSummary:
    """Extract every document in order to an open stream (standard output): no resuming, no concurrency."""
    results = (extract_one(backend, item) for item in iter_documents(list(paths)))
    return write_results(results, handle, on_result)


def write_results(results: Iterable[DocResult], handle: TextIO,
                  on_result: Callable[[DocResult, RunSummary], None] | None = None) -> RunSummary:
    """Write each result as one output line as it comes, counting statuses."""
    summary = RunSummary()
    writer = JsonlWriter(handle)
    for result in results:
        writer.write(result.to_line())
        summary.add(result.status)
        if on_result:
            on_result(result, summary)
    return summary


def predict(backend: Backend, paths: Iterable[str | Path]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Records and evidence by document id, in memory (what an eval scores)."""
    records: dict[str, Any] = {}
    evidence: dict[str, Any] = {}
    for item in iter_documents(list(paths)):
        line = extract_one(backend, item).to_line()
        records[line["doc"]] = line["record"]
        evidence[line["doc"]] = line["evidence"]
    return records, evidence
