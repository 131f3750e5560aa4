"""Where a run may write: never over its own inputs, never into something that is not an output file.

Checked before anything is opened for writing, so a refused run leaves every
file as it was: ``extract a.txt --out a.txt`` must not replace the notice
with an error line, and ``extract docs.jsonl --out docs.jsonl`` (or an output
inside an input folder, which a folder read would pick up) must not read its
own lines back forever.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path


class OutputPathError(ValueError):
    """An output path the run must not use; the message says why, naming the path."""


def _resolved(path: Path) -> Path:
    """``path`` with links and ``..`` resolved, even when it does not exist yet."""
    try:
        return path.resolve(strict=False)
    except (OSError, RuntimeError):  # a link loop: compare what is written
        return Path(os.path.abspath(path))


def _same_file(a: Path, b: Path) -> bool:
    """One file under two names (hard links included)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output(out: str | Path, inputs: Iterable[str | Path], *, resuming: bool) -> None:
    """Everything :func:`check_not_an_input` and :func:`check_writable_output` refuse (lines only when resuming)."""
    check_not_an_input(out, inputs)
    check_writable_output(out, check_lines=resuming)


def check_not_an_input(out: str | Path, inputs: Iterable[str | Path]) -> None:
    """Raise :class:`OutputPathError` when ``out`` is one of ``inputs`` or lies inside an input folder."""
    out_path = Path(out)
    target = _resolved(out_path)
    for raw in inputs:
        given = Path(raw)
        source = _resolved(given)
        if target == source or _same_file(out_path, given):
            raise OutputPathError(f"--out {out} is also an input; writing there would destroy it "
                                  "(choose another output file)")
        if source.is_dir() and target.is_relative_to(source):
            raise OutputPathError(f"--out {out} is inside the input folder {raw}; the run would read its own "
                                  "output (choose a file outside it)")


def check_writable_output(out: str | Path, *, check_lines: bool = True) -> None:
    """Raise :class:`OutputPathError` unless ``out`` can be appended to as an output JSONL.

    A folder, a file that cannot be opened for appending (``/proc/version``)
    and, with ``check_lines`` (a run that resumes), an existing file whose
    complete lines are not all JSON objects (not an output of this tool:
    resuming would cut or misread it) are refused.
    Devices such as ``/dev/full`` pass: their write errors are the writer's.
    """
    path = Path(out)
    if path.is_dir():
        raise OutputPathError(f"--out {out} is a folder; give a file name such as {Path(out) / 'run.jsonl'}")
    if path.exists():
        try:
            with path.open("a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise OutputPathError(f"cannot write {out}: {exc.strerror or exc}") from None
        if check_lines and path.is_file():
            _check_output_lines(path)


def _check_output_lines(path: Path) -> None:
    """Every newline-terminated line of an existing output must be a JSON object (a partial last line may not)."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise OutputPathError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        for lineno, raw in enumerate(handle, 1):
            if not raw.endswith(b"\n") or not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                obj = None
            if not isinstance(obj, dict):
                raise OutputPathError(f"{path}:{lineno} is not an llm-extract output line (a JSON object); "
                                      "refusing to resume into it (use another --out, or --overwrite)")
