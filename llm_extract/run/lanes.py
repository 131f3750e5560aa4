"""Worker processes for a run's CPU work, each document kept on one of them from its excerpt to its record.

A lane is one worker process (a single-process pool).  A document gets the
lane with the fewest documents on it and keeps it: its excerpt, its rules'
reading, the grounding of each answer and its merge all run there, so they
share that process's memo (the layout and reading are computed once) and
the run's own process, which holds the requests in flight, does none of it.
A lane whose process died (killed, out of memory) is dropped; its documents'
steps then run in the run's process, and new documents go to the others.
"""

from __future__ import annotations

import atexit
import heapq
import importlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")


def _worker_start(run: int) -> None:
    """Set up a worker process: Ctrl-C is the run's to handle, and the worker ends when the run does.

    The run stops its workers itself on Ctrl-C (no traceback from each); a
    run killed outright (SIGKILL) cannot, so each worker watches for the run
    to go and exits then, rather than waiting forever on its queue.
    A worker told to stop has sent every result already, so it ends there
    (the last exit handler), without tearing its modules down: the run's end
    waited ~0.1 s for that.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    atexit.register(os._exit, 0)
    threading.Thread(target=_exit_with_run, args=(run, os.getppid()), daemon=True).start()


def _exit_with_run(run: int, parent: int) -> None:
    """Exit once the run is gone, or this process's parent is (a spawned worker's parent is the run).

    A forked worker's parent is the fork server, which lives while any
    process it forked does, so the run itself is watched.
    """
    while os.getppid() == parent and _alive(run):
        time.sleep(0.5)
    os._exit(0)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs: not gone, and not a zombie (killed, waiting for its parent to reap it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a pid taken over by another user's process
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):  # no /proc (macOS): alive as far as kill tells
        return True


#: Imported by the fork server (or each spawned worker) beside the worker's module: tables built once.
PRELOAD = "llm_extract.run.preload"


def _warm(module: str) -> None:
    """Import the module a worker will run, and build its tables, before its first document arrives."""
    importlib.import_module(module)
    importlib.import_module(PRELOAD)


def _process(module: str) -> ProcessPoolExecutor:
    """One worker process, forked from a server process that imported ``module`` once, where the
    platform has one (``forkserver``); else spawned fresh.  Never forked from the run's own process,
    whose threads may hold locks.

    A spawned worker imports the project itself (~0.35 s of CPU each, at the
    start of every run, on the cores the run needs); a forked one starts with
    the server's imports (~0.01 s).  The server is started with the first
    lane and serves every later run of this process.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx: Any = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([module, PRELOAD])  # no effect once the server runs: it imported the first run's
    else:
        ctx = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_worker_start, initargs=(os.getpid(),))


def done(value: T) -> Future[T]:
    future: Future[T] = Future()
    future.set_result(value)
    return future


#: What a lane runs first: a step a request thread waits on (the excerpt, grounding an answer), then a
#: document's tail, then work ahead (the rules' reading while the request is in flight), which a step
#: that needs it does itself when the lane is busy.
WAITED, TAIL, AHEAD = 0, 1, 2
#: Steps handed to a lane's process at once: one running, one queued behind it, so the process never
#: waits on this one between steps and a waited-on step passes all but those two.
_WINDOW = 2


class _Lane:
    """One worker process and its queue of steps, the most urgent first."""

    def __init__(self, module: str) -> None:
        self.made = _process(module)  # kept after its process dies, so closing the lane always shuts it down
        self.pool: ProcessPoolExecutor | None = self.made  # None once the process has died
        self.ready: Future[None] = Future()  # done once the process has started and imported
        self.queue: list[tuple[int, int, Callable[..., Any], tuple[Any, ...], Future[Any]]] = []
        self.running = 0
        self.count = 0
        self.lock = threading.RLock()  # a step that is done already calls back at once, inside _feed
        threading.Thread(target=self._start, args=(module,), daemon=True).start()

    def _start(self, module: str) -> None:
        """Start the process, off the run's own thread: the first process a fork server makes waits for
        the server's imports (~0.3 s), and the run's first requests must not wait with it."""
        try:
            warm = self.made.submit(_warm, module)
        except Exception as exc:  # noqa: BLE001 - shut down meanwhile (Ctrl-C, a short run), or no process made
            self._started(exc)
            return
        warm.add_done_callback(
            lambda done: self._started(done.exception() if not done.cancelled() else BrokenProcessPool("cancelled")))

    def _started(self, error: BaseException | None) -> None:
        """The process is ready: hand it the steps queued meanwhile.  Or it is not, and never will be:
        the lane is dropped like one whose process died, and its steps run in the run's process."""
        if error is None:
            self.ready.set_result(None)
        else:
            self.ready.set_exception(error)
        with self.lock:
            if error is None:
                self._feed()
            else:
                self._broken()

    def submit(self, rank: int, fn: Callable[..., T], args: tuple[Any, ...]) -> Future[T] | None:
        """``fn(*args)`` on this lane; ``None`` when its process has died."""
        future: Future[T] = Future()
        with self.lock:
            if self.pool is None:
                return None
            self.count += 1
            heapq.heappush(self.queue, (rank, self.count, fn, args, future))
            self._feed()
        return future

    def _feed(self) -> None:
        """Hand the most urgent steps to the process, up to the window, once it has started (under the lock)."""
        while self.pool is not None and self.ready.done() and self.queue and self.running < _WINDOW:
            _, _, fn, args, future = heapq.heappop(self.queue)
            if not future.set_running_or_notify_cancel():
                continue
            try:
                inner = self.pool.submit(fn, *args)
            except (BrokenProcessPool, RuntimeError) as exc:  # RuntimeError: shut down under us (Ctrl-C)
                future.set_exception(exc if isinstance(exc, BrokenProcessPool) else BrokenProcessPool(str(exc)))
                self._broken()
                return
            self.running += 1
            inner.add_done_callback(partial(self._finished, future))

    def _finished(self, future: Future[Any], inner: Future[Any]) -> None:
        error = inner.exception() if not inner.cancelled() else BrokenProcessPool("the step was cancelled")
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(inner.result())
        with self.lock:
            self.running -= 1
            if isinstance(error, BrokenProcessPool):
                self._broken()
            else:
                self._feed()

    def _broken(self) -> None:
        """The process died: every step still queued fails as it would have (its caller does it here).

        The pool itself is shut down when the lane is closed, waiting, so its
        queues (and their semaphores) are released before the run exits.
        """
        self.pool = None
        for *_, future in self.queue:
            if future.set_running_or_notify_cancel():
                future.set_exception(BrokenProcessPool("the lane's worker process died"))
        self.queue.clear()

    def stop(self) -> None:
        """Ctrl-C: end the worker process now, and release the pool's queues without waiting on it for ever.

        A worker ended while it was writing a result leaves the pool's
        manager thread waiting for the rest of that message, so a plain
        ``shutdown(wait=True)`` could hang the interrupted run.  Closing this
        process's end of the result pipe gives that wait its end of file; the
        queue is then closed here, so its semaphore is released before the
        run exits without finalizers.  (Reaches into the pool's own fields:
        the standard library offers no shutdown for a pool it just killed.)
        """
        processes = list((getattr(self.made, "_processes", None) or {}).values())
        manager, results = self.made._executor_manager_thread, self.made._result_queue
        for proc in processes:
            proc.terminate()
        with self.lock:
            self.pool = None
            for *_, future in self.queue:
                future.cancel()
            self.queue.clear()
        self.made.shutdown(wait=False, cancel_futures=True)
        if results is not None:
            results._writer.close()
        if manager is not None:
            manager.join(timeout=10)
        if results is not None:
            results.close()

    def close(self, wait: bool) -> None:
        with self.lock:
            self.pool = None
            for *_, future in self.queue:
                future.cancel()
            self.queue.clear()
        self.made.shutdown(wait=wait, cancel_futures=not wait)


class Lanes:
    """``size`` worker processes, started now (importing ``module``) while the first requests are in flight.

    Raises ``OSError`` where processes cannot be made (a sandbox without
    semaphores): the run then keeps its work in its own process.
    """

    def __init__(self, size: int, module: str) -> None:
        self.lanes: list[_Lane] = []
        try:
            for _ in range(size):
                self.lanes.append(_Lane(module))
        except OSError:
            self.close(wait=False)
            raise
        self.load = [0] * size
        self._lock = threading.Lock()

    def desk(self) -> LaneDesk:
        """The lane for a new document: the live one with the fewest documents on it."""
        with self._lock:
            live = [i for i, lane in enumerate(self.lanes) if lane.pool is not None] or [0]
            index = min(live, key=lambda i: self.load[i])
            self.load[index] += 1
        return LaneDesk(self, index)

    def release(self, desk: LaneDesk) -> None:
        """The document is written: its lane has one fewer."""
        with self._lock:
            self.load[desk.index] -= 1

    def stop(self) -> None:
        """Ctrl-C: end the worker processes at once, nothing queued starts."""
        for lane in self.lanes:
            lane.stop()

    def close(self, wait: bool = True) -> None:
        for lane in self.lanes:
            lane.close(wait)


class LaneDesk:
    """One document's desk (:class:`~llm_extract.backends.Desk`): its lane, else the run's own process."""

    def __init__(self, lanes: Lanes, index: int) -> None:
        self.lane, self.index = lanes.lanes[index], index

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """``fn(*args)`` on this document's lane (here, done, when the lane has died)."""
        future = self.lane.submit(TAIL, fn, args)
        return future if future is not None else done(fn(*args))

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the lane, or here while its process is still starting (the first second of a run)."""
        if not self.lane.ready.done():
            return fn(*args)
        future = self.lane.submit(WAITED, fn, args)
        if future is not None:
            try:
                return future.result()
            except BrokenProcessPool:  # the worker died with this step on it: do it here
                pass
        return fn(*args)

    def ahead(self, fn: Callable[..., Any], *args: Any) -> None:
        self.lane.submit(AHEAD, fn, args)  # when the lane has died, the step is done when needed
