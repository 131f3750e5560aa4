"""What of a long notice the model is sent.

Notices run to 50,000 characters.  When a text is longer than the backend's
``context_chars``, the model gets verbatim lines of it, in order: the head
(title and opening sentence), the plan and summary paragraphs the rules
backend found, every heading line (cut at its first 。), and the tail
(contact and signature).  Every line is a slice of the source, so any quote
copied from the excerpt is still found in the source.

Sentences addressed to a machine (忽略以上指令…, which the rules' layout finds)
are blanked before anything is sent: the model never reads them, and a
quote of them could not be grounded anyway.
"""

from __future__ import annotations

from ..rules import landmarks_of, layout_of
from ..rules.sections import LEVEL_RES

GAP = "…"


def build_excerpt(text: str, max_chars: int) -> str:
    """The text a model is sent: all of it when short enough, else its key lines; injected text blanked."""
    layout = layout_of(text)  # the rules read the same (cached) layout
    text = _blank(text, layout.injections)  # the layout's own: no landmarks are needed for a short text
    if len(text) <= max_chars:
        return text
    lines = layout.lines
    keep: dict[int, tuple[int, int]] = {}

    def add(i: int, cut_at_stop: bool = False, limit: int = 600) -> None:
        line = lines[i]
        end = line.end
        if cut_at_stop:
            stop = layout.folded.find("。", line.start, line.end)
            if stop != -1:
                end = stop + 1
        keep[i] = (line.start, min(end, line.start + limit))

    marks = landmarks_of(layout)
    opening = marks.opening
    for i, line in enumerate(lines):
        if opening is not None and line.start <= opening.start() < line.end:
            for j in range(max(0, i - 3), min(len(lines), i + 3)):
                add(j, limit=1500)
            break
    else:
        for j in range(min(4, len(lines))):
            add(j, limit=1500)
    summary = marks.summary
    for i, line in enumerate(lines):
        if summary is not None and line.start == summary.start:
            add(i, limit=2000)
        elif any(r.match(line.text) for r in LEVEL_RES):
            add(i, cut_at_stop=True, limit=200)
    for j in range(max(0, len(lines) - 4), len(lines)):
        add(j, limit=800)
    parts: list[str] = []
    used = 0
    previous = -1
    for i in sorted(keep):
        s, e = keep[i]
        piece = text[s:e]
        if used + len(piece) > max_chars:
            break
        if previous != -1 and i != previous + 1:
            parts.append(GAP)
        parts.append(piece)
        used += len(piece) + 1
        previous = i
    return "\n".join(parts)


def _blank(text: str, spans: tuple[tuple[int, int], ...]) -> str:
    """``text`` with every span replaced by spaces of the same length (line breaks kept)."""
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] not in "\r\n":
                chars[i] = " "
    return "".join(chars)
