"""Review pages: one HTML page per notice, its text with every evidence span marked, and an index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from ..documents import text_of_source
from ..score.scoring import score_document
from .pages import review_index, review_page


def write_review(pred: Path, out: Path, gold: dict[str, dict[str, Any]],
                 warn: Callable[[str], None] = lambda _: None) -> int:
    """Write the pages for every line of ``pred`` into ``out``; returns how many."""
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    with pred.open(encoding="utf-8") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            line = json.loads(raw)
            doc = str(line.get("doc"))
            text = text_of_source(line.get("source"))
            if text is None:
                warn(f"{doc}: its text ({line.get('source')}) cannot be read; page shows the record only")
                text = ""
            diffs: dict[str, tuple[Any, Any]] = {}
            if doc in gold:
                for d in score_document(doc, gold[doc], line.get("record")).differences:
                    diffs[d.field] = (d.gold, d.pred)
            name = "".join(c if c.isalnum() or c in "-_." else "_" for c in doc) + ".html"
            (out / name).write_text(review_page(line, text, diffs), encoding="utf-8")
            entries.append((doc, name, str(line.get("status")), len(diffs)))
    (out / "index.html").write_text(review_index(entries), encoding="utf-8")
    return len(entries)
