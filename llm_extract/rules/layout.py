"""The shape of a notice as lines and sentences, with offsets into the source.

Rules match against the *folded* text (:func:`llm_extract.normalize.fold`),
which has the same length as the source, so a match's offsets are the
source's offsets.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property, lru_cache

from ..text import fold


@dataclass(frozen=True)
class Line:
    start: int
    end: int
    text: str  # folded, stripped


_SENTENCE_END = re.compile(r"[。!?;]")


class Layout:
    """One text, its folded twin, and its non-empty lines."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = fold(text)
        self.memo: dict[str, object] = {}  # results of finders that only read the layout

    @cached_property
    def lines(self) -> list[Line]:
        out = []
        pos = 0
        for raw in self.folded.splitlines(keepends=True):
            stripped = raw.strip()
            if stripped:
                lead = len(raw) - len(raw.lstrip())
                out.append(Line(pos + lead, pos + lead + len(stripped), stripped))
            pos += len(raw)
        return out

    @cached_property
    def _starts(self) -> list[int]:
        return [line.start for line in self.lines]

    def line_at(self, offset: int) -> Line | None:
        i = bisect_right(self._starts, offset) - 1
        if i >= 0 and offset < self.lines[i].end:
            return self.lines[i]
        return None

    @cached_property
    def _stops(self) -> list[int]:
        return [m.start() for m in _SENTENCE_END.finditer(self.folded)]

    def sentence_bounds(self, offset: int) -> tuple[int, int]:
        """The sentence (within its line) around ``offset``: from after the previous 。 to the next.

        Sentence stops are found once per text and bisected, so asking for many
        offsets in one long line stays linear.
        """
        line = self.line_at(offset)
        lo, hi = (line.start, line.end) if line else (0, len(self.folded))
        i = bisect_right(self._stops, offset - 1)
        start = self._stops[i - 1] + 1 if i > 0 and self._stops[i - 1] >= lo else lo
        end = self._stops[i] + 1 if i < len(self._stops) and self._stops[i] < hi else hi
        return start, end

    def sentences(self, line: Line) -> list[tuple[int, int]]:
        out = []
        start = line.start
        for m in _SENTENCE_END.finditer(self.folded, line.start, line.end):
            out.append((start, m.end()))
            start = m.end()
        if start < line.end:
            out.append((start, line.end))
        return out


@lru_cache(maxsize=32)
def layout_of(text: str) -> Layout:
    """The (shared, read-only) layout of ``text``.

    The rules, the excerpt builder and the merge all read the same text's
    layout for one document; building it once saves them repeating the fold
    and the line split.
    """
    return Layout(text)
