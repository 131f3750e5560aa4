"""The offline ``rules`` backend: deterministic extraction of every SPEC field.

It needs no model, runs in milliseconds, and grounds every value in a span;
the LLM backends run it too, as the fallback and the cross-check for numbers.
"""

from __future__ import annotations

from ..grounding import Draft, Extraction
from .contact import extract_contact, find_contact_line
from .figures import extract_outcomes, extract_plan
from .header import extract_header, find_signature
from .layout import Layout, layout_of
from .sections import extract_sections

__all__ = ["extract", "Layout", "layout_of", "body_end"]


def body_end(layout: Layout, body_start: int) -> int:
    """Where the notice proper ends: its contact paragraph, else its signature, else the text's end."""
    contact = find_contact_line(layout, body_start)
    if contact is not None:
        return contact[0]
    signature, date_line = find_signature(layout, body_start)
    for line in (signature, date_line):
        if line is not None:
            return line.start
    return len(layout.text)


def extract(text: str) -> Extraction:
    """Read a notice's text into a validated, grounded record."""
    layout = layout_of(text)
    draft = Draft(text)
    start = extract_header(layout, draft)
    end = body_end(layout, start)
    extract_plan(layout, draft, start, end)
    extract_outcomes(layout, draft, start, end)
    extract_sections(layout, draft, start, end)
    extract_contact(layout, draft, start)
    return draft.finish()
