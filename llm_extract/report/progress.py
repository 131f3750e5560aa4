"""The progress bar of a run: documents done, rate, ETA, live counts by status, errors as they happen."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class RunProgress:
    """``with RunProgress(console, total) as bar: bar.tick(status, doc, error)``."""

    def __init__(self, console: Console, total: int | None, *, quiet: bool = False, title: str = "extracting") -> None:
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]}"), TextColumn("{task.fields[counts]}"),
                                 TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console,
                                 disable=quiet)
        self.task = self.progress.add_task(title, total=total, counts="", rate="")
        self.counts: dict[str, int] = {}
        self.started = time.monotonic()

    def __enter__(self) -> "RunProgress":
        self.progress.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.progress.__exit__(kind, exc, tb)

    def tick(self, status: str, doc: str, error: str | None = None) -> None:
        """One document finished (or skipped); an error is printed above the bar with its document."""
        self.counts[status] = self.counts.get(status, 0) + 1
        rate = sum(self.counts.values()) / max(1e-9, time.monotonic() - self.started)
        self.progress.update(self.task, advance=1, rate=f"{rate:.1f}/s",
                             counts=" ".join(f"{k} {v}" for k, v in sorted(self.counts.items())))
        if status == "error" and error:
            self.progress.console.print(f"[red]{escape(doc)}[/red]: {escape(error)}")
