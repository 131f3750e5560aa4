"""A notice's landmarks, found once per document and handed on.

The opening sentence (对 X 开展了巡视), where the body starts and ends, the
summary paragraph of outcome figures, the contact paragraph and the
signature: the rules read fields inside these regions, the merge asks
whether a model's quote lies in the region that states its field, and the
excerpt sent to a model keeps them verbatim.  One :class:`Landmarks` per
text (memoised on its layout), so no step searches for them again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..fields import Region
from .contact import find_contact_line
from .figures import find_summary
from .header import find_opening, find_signature
from .layout import Layout, Line


@dataclass(frozen=True)
class Landmarks:
    opening: re.Match[str] | None  # the "对 X 开展了巡视" clause of the opening sentence
    opening_line: Line | None  # the paragraph that holds it
    body_start: int  # where the notice proper starts: the opening paragraph (0 when none is found)
    body_end: int  # where it ends: its contact paragraph, else its signature, else the text's end
    summary: Line | None  # the paragraph stating the outcome figures
    contact: tuple[int, int] | None  # the notice's own feedback channels
    signature: Line | None
    signature_date: Line | None

    def region(self, region: Region) -> tuple[int, int] | None:
        """Offsets of a region this notice has, else ``None`` (then nothing is ruled out by place)."""
        if region is Region.opening and self.opening_line is not None:
            return self.opening_line.start, self.opening_line.end
        if region is Region.summary and self.summary is not None:
            return self.summary.start, self.summary.end
        if region is Region.contact:
            return self.contact
        return None


def landmarks_of(layout: Layout) -> Landmarks:
    """The landmarks of ``layout``'s text, computed on first use."""
    found = layout.memo.get("landmarks")
    if found is None:
        found = layout.memo["landmarks"] = _find(layout)
    return found  # type: ignore[return-value]


def _find(layout: Layout) -> Landmarks:
    opening = find_opening(layout)
    opening_line = layout.line_at(opening.start()) if opening is not None else None
    body_start = opening_line.start if opening_line is not None else 0
    contact = find_contact_line(layout, body_start)
    signature, signature_date = find_signature(layout, body_start)
    if contact is not None:
        body_end = contact[0]
    else:
        body_end = next((line.start for line in (signature, signature_date) if line is not None), len(layout.text))
    return Landmarks(
        opening=opening,
        opening_line=opening_line,
        body_start=body_start,
        body_end=body_end,
        summary=find_summary(layout, body_start, body_end),
        contact=contact,
        signature=signature,
        signature_date=signature_date,
    )
