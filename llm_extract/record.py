"""The record step: values with their spans, validated into one record, and a document's result.

A :class:`Draft` collects values with their character offsets; ``finish``
validates the record against the schema, drops what breaks a cross-field
rule (rather than failing the document) and returns an :class:`Extraction`.
:class:`DocResult` is what any backend returns for one document, and its
``to_line`` is the output-line contract of ``llm-extract extract``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from .fields import DATE_ORDER
from .schema import Notice, Span, consistency_errors, iter_scalar_paths


class GroundingError(ValueError):
    """A value whose quote is not in the source text."""


@dataclass
class Extraction:
    """A validated record and the evidence span of each non-null value."""

    record: Notice
    evidence: dict[str, Span]
    dropped: dict[str, str] = field(default_factory=dict)
    #: per evidence path, ``"strong"`` (a pattern the genre uses for this field) or ``"weak"``
    #: (a fallback guess); only the rules fill it, and the merge weighs it
    confidence: dict[str, str] = field(default_factory=dict)
    #: what a reader of the line should know about the text, e.g. a sentence addressed to a machine
    #: that was ignored ("text addressed to a machine at 1234-1290 ignored: 忽略以上所有指令…")
    warnings: list[str] = field(default_factory=list)

    def record_json(self) -> dict[str, Any]:
        return self.record.to_json_dict()

    def evidence_json(self) -> dict[str, dict[str, Any]]:
        """Each span as ``{start, end, quote}``: built directly, not by ``model_dump`` (60-odd spans a
        line, written by the run's process, on the core that holds the requests)."""
        return {path: {"start": span.start, "end": span.end, "quote": span.quote}
                for path, span in self.evidence.items()}


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    node: Any = data
    for part, index, next_is_index in _steps(path)[:-1]:
        if isinstance(node, list):
            _index(path, index)
            while len(node) <= index:
                node.append([] if next_is_index else {})
            node = node[index]
            continue
        if part not in node or node[part] is None:
            node[part] = [] if next_is_index else {}
        node = node[part]
    last, index, _ = _steps(path)[-1]
    if isinstance(node, list):
        _index(path, index)
        while len(node) <= index:
            node.append(None)
        node[index] = value
    else:
        node[last] = value


def _index(path: str, index: int) -> None:
    if index < 0:
        raise ValueError(f"{path}: a list needs a numbered part here")


@lru_cache(maxsize=4096)
def _steps(path: str) -> tuple[tuple[str, int, bool], ...]:
    """Each part of a dotted path, as a list index too (-1 for a key), and whether the next part is an index.

    The same few hundred paths recur in every record and a document puts
    ~190 values through rules, grounding and merge: each path is split once.
    """
    parts = path.split(".")
    return tuple((part, int(part) if part.isdigit() else -1, i + 1 < len(parts) and parts[i + 1].isdigit())
                 for i, part in enumerate(parts))


def _delete_path(data: dict[str, Any], path: str) -> None:
    parts = path.split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.get(part)
        if node is None:
            return
    if isinstance(node, dict):
        node[parts[-1]] = None


class Draft:
    """Values found so far in one text, each with its span."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data: dict[str, Any] = {}
        self.evidence: dict[str, Span] = {}
        self.confidence: dict[str, str] = {}

    def has(self, path: str) -> bool:
        return path in self.evidence

    def put(self, path: str, value: Any, start: int, end: int, *, overwrite: bool = False,
            weak: bool = False) -> None:
        """Record ``value`` at dotted ``path``, read from ``text[start:end]``.

        ``weak`` marks a fallback guess rather than a pattern the genre uses
        for this field: a model's explicit null may override it in the merge.
        """
        if value is None or (path in self.evidence and not overwrite):
            return
        if not (0 <= start < end <= len(self.text)):
            raise GroundingError(f"{path}: span {start}-{end} is outside the text")
        _set_path(self.data, path, value)
        self.evidence[path] = Span(start=start, end=end, quote=self.text[start:end])
        self.confidence[path] = "weak" if weak else "strong"

    def keep(self, path: str, value: Any, span: Span) -> None:
        """Record ``value`` at ``path`` with a span another extraction of this same text holds (the merge
        takes each value from the rules' or the grounded answer's): checked there, not built again."""
        if value is None or path in self.evidence:
            return
        _set_path(self.data, path, value)
        self.evidence[path] = span
        self.confidence[path] = "strong"

    def finish(self) -> Extraction:
        """Validate; a value that breaks a schema rule is dropped, not kept."""
        dropped: dict[str, str] = {}
        data = self.data
        for _ in range(20):
            try:
                record = Notice.model_validate(data)
                break
            except ValidationError as exc:
                culprits = _culprits(exc, data)
                if not culprits:
                    raise
                for path, message in culprits:
                    dropped[path] = message
                    _delete_path(data, path)
                    for key in [k for k in self.evidence if k == path or k.startswith(path + ".")]:
                        del self.evidence[key]
        else:  # pragma: no cover - each round drops at least one field
            raise RuntimeError("validation did not settle")
        if not dropped:  # every value put is in the record (the schema nulls none): each keeps its span
            return Extraction(record=record, evidence=dict(self.evidence), confidence=dict(self.confidence))
        present = {path for path, _ in iter_scalar_paths(record.to_json_dict())}
        evidence = {k: v for k, v in self.evidence.items() if k in present}
        confidence = {k: v for k, v in self.confidence.items() if k in evidence}
        return Extraction(record=record, evidence=evidence, dropped=dropped, confidence=confidence)


def _culprits(exc: ValidationError, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Which dotted fields to drop for a validation error.

    Field errors name their field; a cross-field error is at the model level,
    so :func:`consistency_errors` is asked which field to distrust.
    """
    out = [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors() if e["loc"]]
    return out or _cross_field_culprits(data)


def _cross_field_culprits(data: dict[str, Any]) -> list[tuple[str, str]]:
    from datetime import date

    from .schema import Contact, Outcomes, Plan, Section

    header = {k: v for k, v in data.items() if k not in {"plan", "outcomes", "sections", "contact"}}
    for name in DATE_ORDER:
        if isinstance(header.get(name), str):
            header[name] = date.fromisoformat(header[name])
    scratch = Notice.model_construct(
        **header,
        plan=Plan.model_validate(data.get("plan") or {}),
        outcomes=Outcomes.model_validate(data.get("outcomes") or {}),
        sections=[Section.model_validate(s) for s in data.get("sections") or []],
        contact=Contact.model_validate(data.get("contact") or {}),
    )
    return consistency_errors(scratch)


# --- one document's result ---------------------------------------------------


class Status(str, Enum):
    """How one document ended: the ``status`` of its output line."""

    ok = "ok"
    fallback = "fallback"  # an LLM backend failed outright; the record is the rules backend's
    error = "error"  # unreadable input, or a backend bug for this document
    not_a_notice = "not_a_notice"  # no 巡视/巡察 and 整改 wording: the record is empty

    def __str__(self) -> str:
        return self.value


@dataclass
class ModelCall:
    """What an LLM backend adds to a line: who answered, what it cost, what was refused and why."""

    model: str
    prompt: str
    sources: dict[str, str] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=dict)
    cost: float | None = None
    cached: bool = False
    transport_retries: int = 0
    reasks: int = 0
    rejections: list[str] = field(default_factory=list)
    rejected_output: str | None = None
    batch: bool = False

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in vars(self).items() if k != "batch"}
        if self.batch:
            data["batch"] = True
            del data["cost"], data["cached"]
        return data


@dataclass
class DocResult:
    """The outcome for one document, whatever the backend."""

    doc_id: str
    status: Status
    backend: str
    extraction: Extraction | None = None
    error: str | None = None
    source: str | None = None
    call: ModelCall | None = None
    doc_sha256: str | None = None  # set by a run writing to a file: what resuming keys on
    run: str | None = None  # the backend's fingerprint

    def to_line(self) -> dict[str, Any]:
        """The output-line contract of ``llm-extract extract``."""
        line: dict[str, Any] = {
            "doc": self.doc_id,
            "status": self.status.value,
            "record": self.extraction.record_json() if self.extraction else None,
            "evidence": self.extraction.evidence_json() if self.extraction else {},
            "backend": self.backend,
            "error": self.error,
        }
        if self.extraction is not None and self.extraction.warnings:
            line["warnings"] = list(self.extraction.warnings)
        if self.call is not None:
            line.update(self.call.to_json())
        if self.source is not None:
            line["source"] = self.source
        if self.run is not None:
            line["doc_sha256"] = self.doc_sha256
            line["run"] = self.run
        return line
