"""Gold files: one hand-labelled record per notice, named after the notice's file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TEXT_ENDINGS = (".txt", ".html", ".htm")


class GoldError(ValueError):
    """A gold folder or file that cannot be used."""


def load_gold(folder: Path) -> dict[str, dict[str, Any]]:
    """Every ``<stem>.json`` in ``folder``, by stem."""
    if not folder.is_dir():
        raise GoldError(f"no gold folder {folder}")
    gold = {}
    for path in sorted(folder.glob("*.json")):
        try:
            gold[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise GoldError(f"gold file {path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    if not gold:
        raise GoldError(f"no gold files (*.json) in {folder}")
    return gold


def notice_paths(gold: dict[str, Any], folders: list[Path]) -> list[str]:
    """The text of each gold notice: ``<stem>.txt`` (or .html) in the first folder that has it."""
    paths = []
    for stem in gold:
        found = [p for folder in folders for p in (folder / f"{stem}{e}" for e in TEXT_ENDINGS) if p.exists()]
        if not found:
            raise GoldError(f"no text for gold {stem} in {', '.join(map(str, folders))}")
        paths.append(str(found[0]))
    return paths
