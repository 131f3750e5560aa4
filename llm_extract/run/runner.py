"""The one loop over documents: concurrent, resumable, sharded, one complete line per document.

A run appends to its output JSONL.  Every line records the document's hash
and the backend's fingerprint, so re-running the same command skips what is
done (and, with ``retry_errors``, redoes what failed).  A run killed at any
moment leaves at most one partial last line, which the next run cuts off;
a lock file beside the output keeps a second run off it.

Work is split by what it waits on: a model backend's requests wait on the
network, on threads (``concurrency`` of them); the CPU work (the excerpt,
the rules, the grounding of each answer, the merge) runs in worker
processes, one per core, each document on one of them (:mod:`.lanes`), so a
run at high concurrency is never held up by one core and the GIL.
"""

from __future__ import annotations

import gc
import os
import pickle
import sys
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import Any, TextIO

from ..backends import HERE, AskingBackend, Backend, Desk
from ..documents import BadInput, Document, Found, iter_documents, iter_inputs
from ..record import DocResult, Status
from .lanes import LaneDesk, Lanes, done
from .output import JsonlWriter, output_lock
from .resume import add_usage, line_key, prepare_output
from .shard import Shard

Item = Document | BadInput


@dataclass
class RunSummary:
    counts: Counter[str] = field(default_factory=Counter)
    lines: int = 0
    usage: dict[str, float] = field(default_factory=dict)  # tokens and cost of this backend's lines, resumed ones included

    def add(self, status: str | Status) -> None:
        self.counts[str(status)] += 1
        self.lines += 1


def extract_one(backend: Backend, item: Item) -> DocResult:
    """Never raises: a bad input or a backend bug becomes an ``error`` result."""
    if isinstance(item, BadInput):
        return DocResult(item.id, Status.error, backend.name, error=item.error, source=item.source)
    try:
        result = backend.extract(item)
    except Exception as exc:  # noqa: BLE001 - one document must not end the batch
        result = _bug(backend.name, item, exc)
    if result.source is None:
        result.source = item.source
    return result


def _bug(backend: str, item: Item, exc: BaseException) -> DocResult:
    """A backend bug for one document, as its ``error`` line (naming where it happened)."""
    last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" ({Path(last.filename).name}:{last.lineno})" if last else ""
    return DocResult(item.id, Status.error, backend, error=f"{type(exc).__name__}: {exc}{where}", source=item.source)


def _items(paths: Iterable[str | Path], shard: Shard | None) -> Iterator[Item]:
    for item in iter_documents(list(paths)):
        if shard is None or shard.takes(item.id):
            yield item


def _pickled(obj: object) -> bytes | None:
    """``obj`` pickled, or ``None`` when it does not pickle (it then stays in this process)."""
    try:
        return pickle.dumps(obj)
    except Exception:  # noqa: BLE001 - any failure means: keep it in this process
        return None


def _needs_main(work: Callable[..., Any], sent: bytes | None) -> bool:
    """Whether a lane's worker must run ``__main__`` again to take its steps: ``work``, or the backend
    each step is sent with (``sent``, pickled), was defined there (a script's own backend)."""
    return work.__module__ == "__main__" or (sent is not None and b"__main__" in sent)


#: How far below the run's process the lanes of a run that asks run.  With no core to spare (2 cores, 64
#: requests in flight), the run's process, which sends and parses every request on one core, is served
#: first.  At C = 64 with 1 s answers, `evals/bench_concurrency.py --levels 64 --repeat 3 --no-peer`,
#: sets of nice 0, 5 and 10 in turn, three rounds: medians 1.430, 1.408, 1.398 at 0; 1.363, 1.360,
#: 1.327 at 5; 1.338, 1.371, 1.293 at 10.  5, not more: on a machine shared with other work, a lane
#: still gets a quarter of a core against a process at the default priority (a tenth at 10).  A rules
#: run's lanes do the whole work, and keep the run's priority.
LANE_NICE = 5


class _Stages:
    """Where each step of a document runs: requests on threads, CPU work in worker processes.

    * a backend that asks (``AskingBackend``): ``ask`` on ``workers`` threads,
      its CPU steps (excerpt, rules, grounding, merge) on the document's lane
      (:mod:`.lanes`: one of a worker process per core; here when ``workers``
      is 1: a small run does not pay for starting processes), the lanes
      :data:`LANE_NICE` below this process, which holds the requests;
    * any other backend that pickles (the rules): its whole ``extract`` on a
      lane when ``workers`` > 1, else here;
    * otherwise ``extract`` on threads.
    """

    def __init__(self, backend: Backend, workers: int) -> None:
        self.backend = backend
        self.asking = isinstance(backend, AskingBackend)
        cores = max(1, os.cpu_count() or 1)
        self.threads: ThreadPoolExecutor | None = None
        self.lanes: Lanes | None = None
        self.desks: dict[int, LaneDesk] = {}
        sent = None if self.asking else _pickled(backend)  # an asking backend stays here: only its tail is sent
        if self.asking or sent is None:
            self.threads = ThreadPoolExecutor(max_workers=workers)
        if workers > 1 and (self.asking or self.threads is None):
            work = backend.tail if self.asking else extract_one  # type: ignore[attr-defined]
            try:
                self.lanes = Lanes(min(workers, cores), work.__module__, LANE_NICE if self.asking else 0,
                                   with_main=_needs_main(work, sent))
            except OSError:  # no processes here (no pipes left, a sandbox): the work stays in this one
                self.lanes = None
            if self.lanes is None and self.threads is None:
                self.threads = ThreadPoolExecutor(max_workers=workers)

    def first(self, item: Document) -> Future[Any]:
        """Start a document: its request, or its whole extraction."""
        desk = self.lanes.desk() if self.lanes is not None else None
        if desk is not None:
            self.desks[id(item)] = desk
        if self.asking:
            return self.threads.submit(_ask, self.backend, item, desk or HERE)  # type: ignore[union-attr]
        if desk is not None:
            return desk.submit(extract_one, self.backend, item)
        if self.threads is not None:
            return self.threads.submit(extract_one, self.backend, item)
        return done(extract_one(self.backend, item))

    def then(self, item: Document, asked: Any) -> Future[Any]:
        """The CPU tail of an answered request, on the document's lane."""
        tail = self.backend.tail  # type: ignore[attr-defined]
        desk = self.desks.get(id(item))
        return desk.submit(tail, item, asked) if desk is not None else done(tail(item, asked))

    def written(self, item: Item) -> None:
        """The document's line is written: its lane has one fewer."""
        desk = self.desks.pop(id(item), None)
        if desk is not None and self.lanes is not None:
            self.lanes.release(desk)

    def stop(self) -> None:
        """Ctrl-C: start nothing new, and end the worker processes at once (the CLI then exits without
        finalizers, so nothing is left to them)."""
        if self.threads is not None:
            self.threads.shutdown(wait=False, cancel_futures=True)
        if self.lanes is not None:
            self.lanes.stop()
            self.lanes = None

    def close(self) -> None:
        if self.threads is not None:
            self.threads.shutdown(wait=True)
        if self.lanes is not None:
            self.lanes.close()


def _ask(backend: Any, item: Document, desk: Desk) -> Any:
    """A request on a thread; a backend bug becomes the document's error result."""
    try:
        return backend.ask(item, desk)
    except Exception as exc:  # noqa: BLE001 - one document must not end the batch
        return _bug(backend.name, item, exc)


def run_documents(paths: Iterable[str | Path], backend: Backend, out: Path, *, retry_errors: bool = False,
                  overwrite: bool = False, shard: Shard | None = None, concurrency: int | None = None,
                  on_result: Callable[[DocResult], None] | None = None,
                  on_skip: Callable[[str], None] | None = None) -> RunSummary:
    """Extract every document not already in ``out``, ``concurrency`` at a time, appending as each finishes.

    Holds ``out``'s lock for the whole run (:class:`~.output.OutputBusy` if
    another run has it); ``overwrite`` empties the output once the lock is held.
    """
    fingerprint = backend.fingerprint
    workers = _workers(backend, concurrency)
    out.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(out):
        if overwrite and out.is_file():
            out.open("w").close()
        state = prepare_output(out, fingerprint, retry_errors, backend.name)
        summary = RunSummary(usage=dict(state.usage))
        with out.open("a", encoding="utf-8") as handle:
            writer = JsonlWriter(handle)

            def write(result: DocResult, item: Item, sha: str | None) -> None:
                if result.source is None:
                    result.source = item.source
                result.doc_sha256, result.run = sha, fingerprint
                line = result.to_line()
                writer.write(line)
                add_usage(summary.usage, line)
                summary.add(result.status)
                if on_result:
                    on_result(result)

            _Loop(_Stages(backend, workers), workers, write).run(_todo(_items(paths, shard), state.done, summary,
                                                                       on_skip))
    return summary


def extract_documents(paths: Iterable[str | Path], backend: Backend, on_result: Callable[[DocResult], None], *,
                      concurrency: int | None = None) -> None:
    """Extract every document of ``paths`` as a run does, with no output file: ``on_result`` as each ends.

    The same loop as :func:`run_documents` (requests on threads, CPU steps on
    lanes, ``concurrency``, by default the backend's, at a time), for an eval
    that scores the records in memory.
    """
    workers = _workers(backend, concurrency)
    _Loop(_Stages(backend, workers), workers, lambda result, _item, _sha: on_result(result)).run(
        (item, None) for item in iter_documents(list(paths)))


def _workers(backend: Backend, concurrency: int | None) -> int:
    """Documents in flight: ``concurrency`` if given, else the backend's own."""
    return max(1, concurrency or getattr(backend, "concurrency", 1) or 1)


def _todo(items: Iterable[Item], done: set[str], summary: RunSummary,
          on_skip: Callable[[str], None] | None) -> Iterator[tuple[Item, str | None]]:
    """The documents not done yet, each with its hash (computed once, here)."""
    for item in items:
        sha = item.sha256 if isinstance(item, Document) else None
        if line_key(item.id, sha) in done:
            if on_skip:
                on_skip(item.id)
            summary.counts["skipped"] += 1
            continue
        yield item, sha


class _Loop:
    """Keeps at most ``2 × workers`` documents in flight and writes each as it finishes.

    Each future reports itself done on a queue, so waiting for the next
    costs the same however many are in flight (``concurrent.futures.wait``
    put a waiter on, and took it off, each of up to 128 futures every time).
    """

    def __init__(self, stages: _Stages, workers: int,
                 write: Callable[[DocResult, Item, str | None], None]) -> None:
        self.stages, self.limit, self.write = stages, workers * 2, write
        self.inflight: dict[Future[Any], tuple[Item, str | None]] = {}
        self.finished: SimpleQueue[Future[Any]] = SimpleQueue()

    def _add(self, future: Future[Any], item: Item, sha: str | None) -> None:
        self.inflight[future] = (item, sha)
        future.add_done_callback(self.finished.put)

    def run(self, todo: Iterable[tuple[Item, str | None]]) -> None:
        if self.limit <= 2:  # one document at a time: the process's settings are left alone
            self._run(todo)
            return
        with _prompt_handoffs(), _fewer_collections():
            self._run(todo)

    def _run(self, todo: Iterable[tuple[Item, str | None]]) -> None:
        try:
            for item, sha in todo:
                if isinstance(item, BadInput):
                    self.write(extract_one(self.stages.backend, item), item, sha)
                    continue
                self._add(self.stages.first(item), item, sha)
                while len(self.inflight) >= self.limit:
                    self._drain()
            while self.inflight:
                self._drain()
        except BaseException:
            # Ctrl-C, or an output that cannot be written: stop at once, nothing new starts;
            # every finished line is already on disk
            self.stages.stop()
            raise
        self.stages.close()

    def _drain(self) -> None:
        finished = {self.finished.get()}
        while True:
            try:
                finished.add(self.finished.get_nowait())
            except Empty:
                break
        for future in [f for f in self.inflight if f in finished]:  # in the order they started
            item, sha = self.inflight.pop(future)
            try:
                value = future.result()
            except Exception as exc:  # noqa: BLE001 - a tail that raised in a worker: this document's error
                value = _bug(self.stages.backend.name, item, exc)
            if isinstance(value, DocResult):
                self.stages.written(item)
                self.write(value, item, sha)
            else:
                self._add(self.stages.then(item, value), item, sha)  # type: ignore[arg-type]


#: How long a thread may hold the GIL while another waits for it, during a run of several documents at once.
SWITCH_INTERVAL = 0.001


@contextmanager
def _prompt_handoffs() -> Iterator[None]:
    """For the run, a thread whose answer has arrived (or whose lane has finished a step) waits at most
    1 ms for the GIL, not CPython's 5 ms.

    Every document of a run takes the GIL back several times after a wait
    (its response, each step done on its lane); behind a thread that is
    sending another request, each such wait could last 5 ms, and the
    documents of one wave pile these up.  At C = 32 with 1 s answers, the
    medians of three runs were 1.067-1.073 of the ideal time against
    1.082-1.107 with 5 ms (`evals/bench_concurrency.py`, sets in turn).  The
    interval is the process's, so it is put back when the run ends.
    """
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


#: Container objects made between two collections of the youngest generation, during a run of several
#: documents at once (CPython's default is 700).
YOUNG_THRESHOLD = 10_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """For the run, the objects alive at its start are left out of every collection (``gc.freeze``), and
    the youngest generation is collected after 10,000 new objects, not 700.

    The run's process makes thousands of objects a document (the SDK's,
    instructor's, pydantic's), and a collection stops every request thread
    at once: at C = 64 with 1 s answers the collector took 1.5-2.0 ms a
    document of that process's 9-10 ms, and each full collection (one or
    two a run, over ~150,000 objects) held the GIL for 0.1-0.2 s; with
    ``gc.freeze`` alone, 0.8-1.1 ms; with both, 0.1-0.35 ms (three runs
    each, in turn).  ``evals/bench_concurrency.py`` prints it.  What was
    alive at the start is no garbage of the run's making; both settings are
    the process's, so they are put back when the run ends.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], YOUNG_THRESHOLD), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


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
