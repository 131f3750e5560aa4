"""Worker processes for a run's CPU work, each document kept on one of them from its excerpt to its record.

A lane is one worker process and a pipe to it.  A document gets the lane
with the fewest documents on it and keeps it: its excerpt, its rules'
reading, the grounding of each answer and its merge all run there, so they
share that process's memo (the layout and reading are computed once) and
the run's own process, which holds the requests in flight, does none of it.
A lane whose process died (killed, out of memory) is dropped; its documents'
steps then run in the run's process, and new documents go to the others.

Each step is written straight to the pipe by the thread that asks for it,
and read back by one reader thread a lane; the worker keeps the queue and
runs the most urgent step it holds.  (A ``ProcessPoolExecutor`` of one
process, which lanes were first, passes each step through two more threads
of the run's process, its manager's and its queue's feeder: a round trip
costs the run's process 2.3-5.9 times the CPU it costs here, 0.19-0.31 ms
against 0.04-0.13 ms in two runs of ``evals/bench_lanes.py``; a document
makes three or four.)
"""

from __future__ import annotations

import heapq
import importlib
import multiprocessing
import multiprocessing.spawn
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")

#: What a lane runs first: a step a request thread waits on (the excerpt, grounding an answer), then a
#: document's tail, then work ahead (the rules' reading while the request is in flight), which a step
#: that needs it does itself when the lane is busy; last, the end of the worker, once all else is done.
WAITED, TAIL, AHEAD, END = 0, 1, 2, 3

#: Imported by the fork server (or each spawned worker) beside the worker's module: tables built once.
PRELOAD = "llm_extract.run.preload"


class RemoteTraceback(Exception):
    """Where a step raised in a worker: that process's traceback, as the ``__cause__`` of what it raised."""

    def __str__(self) -> str:
        return f'\n"""\n{self.args[0]}"""' if self.args else ""


# --- in the worker ------------------------------------------------------------------------------------------


def _serve(conn: Any, run: int, module: str, nice: int) -> None:
    """A worker's loop: take every step sent so far, run the most urgent, send its result; until told to end.

    Never returns: the worker ends with ``os._exit`` (its results are all
    sent; tearing its modules down cost a run's end ~0.1 s), when the run
    closes the pipe, or sends :data:`END` behind everything else.
    """
    _worker_start(run, nice)
    importlib.import_module(module)
    importlib.import_module(PRELOAD)
    queue: list[tuple[int, int, int | None, Callable[..., Any], tuple[Any, ...]]] = []
    count = 0
    while True:
        while not queue or conn.poll():
            try:
                rank, key, fn, args = conn.recv()
            except (EOFError, OSError):  # the run closed its end, or is gone
                os._exit(0)
            count += 1
            heapq.heappush(queue, (rank, count, key, fn, args))
        _, _, key, fn, args = heapq.heappop(queue)
        _run_step(conn, key, fn, args)


def _run_step(conn: Any, key: int | None, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """``fn(*args)``, its result (or what it raised, with where) sent back under ``key``; nothing for ``None``."""
    try:
        reply: tuple[Any, ...] = (key, True, fn(*args))
    except BaseException as exc:  # noqa: BLE001 - the step's caller decides what a failure means
        reply = (key, False, exc, traceback.format_exc())
    if key is None:
        return
    try:
        conn.send(reply)
    except (EOFError, OSError):
        os._exit(0)
    except Exception as exc:  # noqa: BLE001 - a result or exception that does not pickle
        conn.send((key, False, RuntimeError(f"the step's result could not be sent back: {exc!r}"), ""))


def _end() -> None:
    os._exit(0)


def _worker_start(run: int, nice: int) -> None:
    """Set up a worker process: Ctrl-C is the run's to handle, the worker ends when the run does, and it
    runs ``nice`` steps below the run's priority.

    The run stops its workers itself on Ctrl-C (no traceback from each); a
    run killed outright (SIGKILL) cannot, so each worker watches for the run
    to go and exits then, rather than waiting forever on its pipe.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if nice and hasattr(os, "nice"):
        os.nice(nice)
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


# --- in the run's process -----------------------------------------------------------------------------------


def _context() -> Any:
    """Workers forked from a server process that imported the project once, where the platform has one
    (``forkserver``); else spawned fresh.  Never forked from the run's own process, whose threads may hold
    locks.

    A spawned worker imports the project itself (~0.35 s of CPU each, at the
    start of every run, on the cores the run needs); a forked one starts with
    the server's imports (~0.01 s).  The server is started with the first
    lane and serves every later run of this process.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def _process(ctx: Any, conn: Any, module: str, nice: int, with_main: bool = True) -> Any:
    """The worker process of one lane (not started); one that does not run ``__main__`` again unless
    ``with_main``."""
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload([module, PRELOAD])  # no effect once the server runs: it imported the first run's
    process = ctx.Process(target=_serve, args=(conn, os.getpid(), module, nice), daemon=True, name="llm_extract lane")
    if not with_main:
        process._Popen = _start_without_main  # noqa: SLF001 - looked up on the process by ``start``
    return process


# A process started from a fork server (or spawned) first runs the script that started the run again, as
# ``__mp_main__``, so that what was pickled by reference to ``__main__`` can be found there.  For the
# ``llm-extract`` command that is the whole command line's imports (~0.11 s of CPU); for a script that
# imports the LLM backend at its top, instructor and openai too: its workers were ready 2-4 s after
# the run began, not 0.03 s, and every step in between ran in the run's own process.  A lane whose
# steps need nothing of ``__main__`` starts without it: the preparation data its process is sent
# leaves out the main script.
_WITHOUT_MAIN = threading.local()
_PREPARATION: list[Callable[[str], dict[str, Any]]] = []  # multiprocessing's own, once it is wrapped
_WRAPPING = threading.Lock()


def _start_without_main(process: Any) -> Any:
    """``process``'s own start (its class's ``_Popen``), with no ``__main__`` in what its child prepares."""
    with _WRAPPING:
        if not _PREPARATION:
            _PREPARATION.append(multiprocessing.spawn.get_preparation_data)
            multiprocessing.spawn.get_preparation_data = _preparation
    _WITHOUT_MAIN.on = True
    try:
        return type(process)._Popen(process)  # noqa: SLF001
    finally:
        _WITHOUT_MAIN.on = False


def _preparation(name: str) -> dict[str, Any]:
    """multiprocessing's preparation data, without the main script for a lane started in this thread.

    Every other process this program starts gets multiprocessing's own.
    """
    data = _PREPARATION[0](name)
    if getattr(_WITHOUT_MAIN, "on", False):
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
    return data


def done(value: T) -> Future[T]:
    future: Future[T] = Future()
    future.set_result(value)
    return future


class _Lane:
    """One worker process, the pipe to it, and the steps sent on it whose results are still to come.

    Two locks: ``lock`` guards the lane's state (the futures waiting, the
    steps held while the process starts), ``sending`` the pipe's write end.
    A step written while the pipe is full waits for the worker to read,
    which it does once it has sent its current result; the reader thread
    takes only ``lock``, so it always takes that result.
    """

    def __init__(self, module: str, nice: int, with_main: bool = True) -> None:
        ctx = _context()
        self.conn, theirs = ctx.Pipe()
        self.alive = True  # False once the process has died, failed to start, or the lane is closed
        self.ready: Future[None] = Future()  # done once the process has started and imported
        self.waiting: dict[int, Future[Any]] = {}
        self.held: list[tuple[int, int, Callable[..., Any], tuple[Any, ...], Future[Any] | None]] = []
        self.count = 0
        self.lock = threading.Lock()
        self.sending = threading.Lock()
        self.starting = threading.Lock()  # held while the process starts: closing the lane waits for it
        self.reading: threading.Thread | None = None
        self.process = _process(ctx, theirs, module, nice, with_main)
        threading.Thread(target=self._start, args=(theirs,), daemon=True).start()

    def _start(self, theirs: Any) -> None:
        """Start the process, off the run's own thread: the first process a fork server makes waits for
        the server's imports (~0.3 s), and the run's first requests must not wait with it.  Then send it
        the steps held meanwhile."""
        try:
            with self.starting:
                try:
                    if not self.alive:
                        raise BrokenProcessPool("the lane was closed before its process started")
                    self.process.start()
                    self.reading = threading.Thread(target=self._read, daemon=True)
                    self.reading.start()
                finally:
                    theirs.close()
            warm: Future[Any] = Future()
            self._send(WAITED, len, ("",), warm)
            warm.result()
        except BaseException as exc:  # noqa: BLE001 - no process made (Ctrl-C, a sandbox), or it died at once
            self.ready.set_exception(exc)
            self._broken()
            return
        with self.lock:
            self.ready.set_result(None)
            held, self.held = self.held, []
        try:
            for rank, _, fn, args, future in sorted(held, key=lambda step: step[:2]):
                self._send(rank, fn, args, future)
        except BrokenProcessPool:
            self._broken()

    def _read(self) -> None:
        """The lane's reader thread: each result to the future waiting for it.  At the end of the pipe
        (the process ended or died) every step still out fails, and its caller does it here."""
        while True:
            try:
                key, ok, value, *where = self.conn.recv()
            except Exception:  # noqa: BLE001 - end of file, or a result that does not unpickle here
                self._broken()
                self.conn.close()
                return
            with self.lock:
                future = self.waiting.pop(key, None)
            if future is None:
                continue
            if ok:
                future.set_result(value)
            else:
                if where and where[0]:
                    value.__cause__ = RemoteTraceback(where[0])
                future.set_exception(value)

    def _send(self, rank: int, fn: Callable[..., Any], args: tuple[Any, ...], future: Future[Any] | None) -> None:
        """Write one step to the pipe; its result, if ``future``, is read back for it."""
        with self.lock:
            if not self.alive:
                raise BrokenProcessPool("the lane's worker process died")
            self.count += 1
            key = None
            if future is not None:
                key = self.count
                self.waiting[key] = future
        try:
            with self.sending:
                self.conn.send((rank, key, fn, args))
        except (OSError, ValueError) as exc:  # the process died (broken pipe), or the lane was closed
            raise BrokenProcessPool(str(exc)) from exc

    def submit(self, rank: int, fn: Callable[..., T], args: tuple[Any, ...], reply: bool = True) -> Future[T] | None:
        """``fn(*args)`` on this lane (held until its process has started); ``None`` when its process has died."""
        future: Future[T] | None = Future() if reply else None
        with self.lock:
            if not self.alive:
                return None
            if not self.ready.done():
                self.held.append((rank, len(self.held), fn, args, future))
                return future
        try:
            self._send(rank, fn, args, future)
        except BrokenProcessPool:
            self._broken()
            return None
        return future

    def _broken(self) -> None:
        """The process died (or the lane was closed): every step still out fails as it would have."""
        with self.lock:
            self.alive = False
            out = [*self.waiting.values(), *(step[-1] for step in self.held if step[-1] is not None)]
            self.waiting.clear()
            self.held.clear()
        for future in out:
            if not future.done():
                future.set_exception(BrokenProcessPool("the lane's worker process died"))

    def stop(self) -> None:
        """Ctrl-C: end the worker process now; what it was doing is dropped."""
        with self.starting:
            self.alive = False
            if self.process.pid is not None:
                self.process.terminate()
        self.close(wait=True)

    def close(self, wait: bool) -> None:
        """End the worker once it has done every step sent, and wait for it (a few seconds at most) when
        ``wait``.  The pipe is closed by its reader, at its end."""
        with self.starting:  # a process starting now is started, or never will be
            with self.lock:
                self.alive = False
            if self.process.pid is None:
                self.conn.close()
                self._broken()
                return
        try:
            with self.sending:
                self.conn.send((END, None, _end, ()))
        except (OSError, ValueError):  # dead already, or stopped
            pass
        if wait:
            self.process.join(timeout=10)
            if self.process.exitcode is None:
                self.process.kill()
                self.process.join(timeout=10)
            if self.reading is not None:
                self.reading.join(timeout=10)
        self._broken()


class Lanes:
    """``size`` worker processes, started now (importing ``module``) while the first requests are in flight.

    ``nice``: how far below the run's own process the workers run, where
    the run's process is what bounds the run (it holds every request, on
    one core by the GIL): on a machine with no core to spare, the kernel
    then gives it the core first, and a worker the rest.  Raises
    ``OSError`` where processes cannot be made (no pipes left): the run then
    keeps its work in its own process.  ``with_main=False``: the steps and
    what they are given need nothing defined in ``__main__``, so the
    workers do not run it again (see :func:`_start_without_main`).
    """

    def __init__(self, size: int, module: str, nice: int = 0, with_main: bool = True) -> None:
        self.lanes: list[_Lane] = []
        try:
            for _ in range(size):
                self.lanes.append(_Lane(module, nice, with_main))
        except OSError:
            self.close(wait=False)
            raise
        self.load = [0] * size
        self._lock = threading.Lock()

    def desk(self) -> LaneDesk:
        """The lane for a new document: the live one with the fewest documents on it."""
        with self._lock:
            live = [i for i, lane in enumerate(self.lanes) if lane.alive] or [0]
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
        self.lane.submit(AHEAD, fn, args, reply=False)  # when the lane has died, the step is done when needed
