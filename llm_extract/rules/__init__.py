"""The offline ``rules`` backend: deterministic extraction of every SPEC field.

It needs no model, runs in milliseconds, and grounds every value in a span;
the LLM backends run it too, as the fallback and the cross-check for numbers.
:func:`read` returns a :class:`Reading`: the extraction, the notice's
landmarks (which the merge and the excerpt reuse) and, per field, whether a
strong pattern or a fallback guess produced it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..record import Draft, Extraction
from .contact import extract_contact
from .figures import extract_outcomes, extract_plan
from .header import extract_header
from .landmarks import Landmarks, landmarks_of
from .layout import Layout, layout_of
from .sections import extract_sections

__all__ = ["Landmarks", "Layout", "Reading", "extract", "injection_warnings", "landmarks_of", "layout_of", "read"]


@dataclass(frozen=True)
class Reading:
    """What the rules read in one text."""

    text: str
    layout: Layout
    landmarks: Landmarks
    extraction: Extraction

    @property
    def confidence(self) -> dict[str, str]:
        """Per evidence path: ``strong`` or ``weak``."""
        return self.extraction.confidence


def read(text: str) -> Reading:
    """Read a notice's text: landmarks first, then every field inside the region that states it."""
    layout = layout_of(text)
    marks = landmarks_of(layout)
    draft = Draft(text)
    extract_header(layout, draft, marks)
    extract_plan(layout, draft, marks)
    extract_outcomes(layout, draft, marks)
    extract_sections(layout, draft, marks.body_start, marks.body_end)
    extract_contact(layout, draft, marks)
    extraction = draft.finish()
    extraction.warnings.extend(injection_warnings(text, marks.injections))
    return Reading(text, layout, marks, extraction)


def injection_warnings(text: str, spans: tuple[tuple[int, int], ...]) -> list[str]:
    """One line per sentence addressed to a machine, saying where it is and how it starts."""
    out = []
    for start, end in spans:
        quote = " ".join(text[start:end].split())
        quote = quote if len(quote) <= 40 else quote[:40] + "…"
        out.append(f"text addressed to a machine at {start}-{end} ignored: {quote}")
    return out


def extract(text: str) -> Extraction:
    """Read a notice's text into a validated, grounded record."""
    return read(text).extraction
