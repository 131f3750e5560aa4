"""The run an eval scores: its records, evidence and where each record came from.

An eval score means something only with its provenance: a record that fell
back to the rules backend scores the rules, not the model.  So the lines are
read with their ``status`` and ``backend``, and an eval over a backend runs
the documents through ``extract``'s own loop, reporting each as it ends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..backends import Backend
from ..record import DocResult
from ..run import extract_documents

if TYPE_CHECKING:  # scoring imports this module; the type alone is needed here
    from .scoring import EvalResult

#: How a document's record came about, in the order reports list them.
ORIGINS = ("ok", "fallback", "error", "not_a_notice")


@dataclass
class Run:
    """Records, evidence, ``status`` and ``backend`` by document (a later line for a document replaces an earlier one)."""

    records: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    backend: dict[str, str] = field(default_factory=dict)
    source: dict[str, str | None] = field(default_factory=dict)

    def add(self, line: dict[str, Any]) -> None:
        """Take one output line."""
        doc = str(line.get("doc"))
        self.records[doc] = line.get("record")
        self.evidence[doc] = line.get("evidence") or {}
        self.status[doc] = str(line.get("status") or "ok")
        self.backend[doc] = str(line.get("backend"))
        self.source[doc] = line.get("source")

    @property
    def backends(self) -> str:
        """The backend names of the lines, joined (``rules``, or ``deepseek`` for a model run)."""
        return ", ".join(sorted(set(self.backend.values()))) or "—"


class RunFileError(ValueError):
    """An output JSONL that cannot be read (missing, a folder, not output lines); the message names it."""


def output_lines(path: Path) -> Iterator[dict[str, Any]]:
    """Each line of an output JSONL, in order: the one reader of run files (eval, compare, review, show, export).

    Raises :class:`RunFileError` naming the file, or the line that is not an output line.
    """
    if path.is_dir():
        raise RunFileError(f"{path} is a folder; give an output JSONL of `llm-extract extract`")
    try:
        with path.open(encoding="utf-8") as handle:
            for lineno, raw in enumerate(handle, 1):
                if not raw.strip():
                    continue
                try:
                    line = json.loads(raw)
                except json.JSONDecodeError as exc:
                    raise RunFileError(f"{path}:{lineno} is not an output line of `llm-extract extract` "
                                       f"(not JSON: {exc.msg})") from None
                if not isinstance(line, dict) or "doc" not in line:
                    raise RunFileError(f"{path}:{lineno} is not an output line of `llm-extract extract` "
                                       "(a JSON object with doc, status, record)")
                yield line
    except (OSError, UnicodeDecodeError) as exc:
        raise RunFileError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


def read_run(path: Path) -> Run:
    """Every line of an output JSONL as a :class:`Run`; raises :class:`RunFileError` as :func:`output_lines` does."""
    run = Run()
    for line in output_lines(path):
        run.add(line)
    return run


def run_backend(backend: Backend, paths: Iterable[str | Path], *, concurrency: int | None = None,
                on_result: Callable[[DocResult], None] | None = None) -> Run:
    """Extract ``paths`` in memory, ``concurrency`` (default: the backend's) at a time; ``on_result`` per document."""
    run = Run()

    def take(result: DocResult) -> None:
        run.add(result.to_line())
        if on_result:
            on_result(result)

    extract_documents(paths, backend, take, concurrency=concurrency)
    return run


def origin_counts(statuses: dict[str, int], missing: int = 0) -> dict[str, int]:
    """``{"ok": …, "fallback": …, "error": …, "not_a_notice": …, "missing": …}``: every key present, zeros included."""
    counts = {key: int(statuses.get(key, 0)) for key in ORIGINS}
    counts.update({k: int(v) for k, v in statuses.items() if k not in counts and v})
    counts["missing"] = missing
    return counts


def provenance_line(origins: dict[str, int], backend: str | None) -> str:
    """One sentence: how many records the backend made, how many fell back, failed, were missing."""
    source = f"from {backend}" if backend else "from the backend"
    parts = [f"{origins.get('ok', 0)} {source}", f"{origins.get('fallback', 0)} fell back to rules",
             f"{origins.get('error', 0)} failed"]
    if origins.get("not_a_notice"):
        parts.append(f"{origins['not_a_notice']} not a notice")
    if origins.get("missing"):
        parts.append(f"{origins['missing']} missing")
    return "records: " + ", ".join(parts)


def score_label(origins: dict[str, int]) -> str | None:
    """The warning a score carries when some records are not the backend's own, else ``None``."""
    fell, failed = origins.get("fallback", 0), origins.get("error", 0) + origins.get("missing", 0)
    if not fell and not failed:
        return None
    what = []
    if fell:
        what.append(f"{fell} record(s) are the rules backend's fallback, not the model's")
    if failed:
        what.append(f"{failed} record(s) failed or are missing and score as empty")
    return ("score WITH FALLBACKS: " if fell else "score WITH FAILURES: ") + "; ".join(what)


def quote_in_context(text: str, span: dict[str, Any], width: int = 16) -> tuple[str, str, str] | None:
    """``(before, quote, after)``: the quote with up to ``width`` characters either side, on one line.

    A bare quote ("8") tells a reader nothing; a few characters around it
    (受到党纪处分8人) show what the number counted.  ``None`` when the span does
    not index the text.
    """
    start, end = span.get("start"), span.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
        return None
    before = text[max(0, start - width):start].split("\n")[-1]
    after = text[end:end + width].split("\n")[0]
    return before, text[start:end], after


def attach_context(result: EvalResult, run: Run, texts: dict[str, str] | None = None, width: int = 16) -> None:
    """Give each difference with an evidence span its quote in context (``Difference.context``).

    Texts come from ``texts`` by document, else from the line's ``source``.
    """
    from ..documents import SourceTexts

    cache, text_of = dict(texts or {}), SourceTexts()
    for doc in result.documents:
        for diff in doc.differences:
            span = (run.evidence.get(doc.doc) or {}).get(diff.field)
            if not span:
                continue
            if doc.doc not in cache:
                cache[doc.doc] = text_of(run.source.get(doc.doc)) or ""
            diff.context = quote_in_context(cache[doc.doc], span, width)
