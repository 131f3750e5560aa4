"""A notice's landmarks, found once per document and handed on.

The opening sentence (对 X 开展了巡视), where the body starts and ends, where
the findings start, the summary paragraph of outcome figures, the contact
paragraph, the signature and the sentences addressed to a machine: the rules
read fields inside these regions, the merge asks whether a model's quote
lies in the region that states its field (and refuses one inside an
injection), and the excerpt sent to a model keeps them verbatim.  One
:class:`Landmarks` per text (memoised on its layout), so no step searches
for them again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..fields import Region
from ..text import DATE_RE
from .contact import find_contact_line
from .figures import find_summary
from .header import find_opening, find_signature
from .layout import COMMITTEES, Layout, Line
from .sections import find_findings


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
    #: where the part holding the first finding begins (``None``: no findings, e.g. a page cut before them)
    findings_start: int | None = None
    #: the summary stands where the genre puts it (after the opening, before the findings); ``False`` for
    #: the fallback of a paragraph after the findings start, whose figures are weak
    summary_in_place: bool = True
    #: spans of sentences addressed to a machine (忽略以上指令…, ignore previous instructions): never a source
    injections: tuple[tuple[int, int], ...] = ()

    def region(self, region: Region) -> tuple[int, int] | None:
        """Offsets of a region this notice has, else ``None`` (then nothing is ruled out by place)."""
        if region is Region.opening and self.opening_line is not None:
            return self.opening_line.start, self.opening_line.end
        if region is Region.summary and self.summary is not None:
            return self.summary.start, self.summary.end
        if region is Region.contact:
            return self.contact
        return None

    def in_injection(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` overlaps a sentence addressed to a machine."""
        return any(s < end and start < e for s, e in self.injections)


def landmarks_of(layout: Layout) -> Landmarks:
    """The landmarks of ``layout``'s text, computed on first use."""
    found = layout.memo.get("landmarks")
    if found is None:
        found = layout.memo["landmarks"] = _find(layout)
    return found  # type: ignore[return-value]


_SIGNER = re.compile(rf"^(?:中共|中国共产党)?[\u4e00-\u9fff()]{{2,40}}?(?:{COMMITTEES}|盟委)$")
_YEAR_FIRST = re.compile(r"^(?:(?:19|20)\d{2}|[二〇零○]{4})")


def _is_date_line(text: str) -> bool:
    """A full date standing alone, as under a signature ("2022年12月19日", "2021928日")."""
    return bool(_YEAR_FIRST.match(text)) and DATE_RE.fullmatch(text) is not None


def _first_signature(layout: Layout, after: int) -> tuple[Line, Line] | None:
    """The first signature block after ``after``: a committee's name with a full date on the next line
    or on the same line (then split at its last space), as (name, date).  The notice ends there: a
    second signature further down is page text."""
    lines = [line for line in layout.lines if line.start >= after]
    for i, line in enumerate(lines):
        if len(line.text) > 60:
            continue
        name, _, date = line.text.rpartition(" ")
        if name and _SIGNER.match(name.strip()) and _is_date_line(date):
            name = name.rstrip()
            return Line(line.start, line.start + len(name), name), Line(line.end - len(date), line.end, date)
        if _SIGNER.match(line.text) and i + 1 < len(lines) and _is_date_line(lines[i + 1].text):
            return line, lines[i + 1]
    return None


def _signature(layout: Layout, body_start: int, contact: tuple[int, int] | None) -> tuple[Line | None, Line | None]:
    """The header's signature, unless an earlier signature block closes the notice first."""
    signature, signature_date = find_signature(layout, body_start)
    found = next((line for line in (signature, signature_date) if line is not None), None)
    first = _first_signature(layout, contact[1] if contact is not None else body_start)
    if found is None or first is None or first[0].start >= found.start:
        return signature, signature_date
    return first


def _find(layout: Layout) -> Landmarks:
    opening = find_opening(layout)
    opening_line = layout.line_at(opening.start()) if opening is not None else None
    body_start = opening_line.start if opening_line is not None else 0
    contact = find_contact_line(layout, body_start)
    signature, signature_date = _signature(layout, body_start, contact)
    if contact is not None:
        body_end = contact[0]
    else:
        body_end = next((line.start for line in (signature, signature_date) if line is not None), len(layout.text))
    _, start = find_findings(layout, body_start, body_end)
    after_opening = opening_line.end if opening_line is not None else body_start
    summary, in_place = find_summary(layout, after_opening, body_end, start)
    return Landmarks(
        opening=opening,
        opening_line=opening_line,
        body_start=body_start,
        body_end=body_end,
        summary=summary,
        contact=contact,
        signature=signature,
        signature_date=signature_date,
        findings_start=start,
        summary_in_place=in_place,
        injections=layout.injections,
    )
