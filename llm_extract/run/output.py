"""The output file: one complete, flushed JSON line per document, and reading runs back."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO


class OutputError(OSError):
    """The output could not be written (disk full, closed pipe); the file keeps its complete lines."""


class OutputBusy(OutputError):
    """Another run holds the output's lock: two writers would write every document twice."""


def lock_path(out: Path) -> Path:
    """The lock file beside an output: ``run.jsonl`` -> ``run.jsonl.lock``."""
    return out.with_name(out.name + ".lock")


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold the output's lock for a run, or raise :class:`OutputBusy` at once.

    An advisory ``flock`` on ``<out>.lock``: the kernel drops it when the
    holder exits however it ends (SIGKILL included), so no stale lock is ever
    left to clear by hand.  Refusing rather than waiting keeps a mistaken
    second command from sitting silently behind a run of many hours.  An
    output that is not a regular file (``/dev/null``, a pipe) is not locked.
    """
    if out.exists() and not out.is_file():
        yield
        return
    path = lock_path(out)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(f"cannot create the lock file {path}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            raise OutputBusy(f"another run (pid {holder}) is writing {out}; wait for it to finish, "
                                 f"or give this run another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # closing drops the lock


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
