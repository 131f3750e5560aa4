"""Prompts live in ``prompts/`` as files; every output line names the one it used."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

PROMPT_DIR = Path(__file__).resolve().parents[2] / "prompts"
NAME = "extract"


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str
    name: str = NAME

    @property
    def sha256(self) -> str:
        return hashlib.sha256((self.system + "\0" + self.user).encode("utf-8")).hexdigest()[:16]

    @property
    def id(self) -> str:
        """``extract@<hash>``: what a run's output lines record, to trace them to their prompt."""
        return f"{self.name}@{self.sha256}"

    def messages(self, text: str) -> list[dict[str, str]]:
        # str.replace, not str.format: notices contain braces
        return [{"role": "system", "content": self.system},
                {"role": "user", "content": self.user.replace("{text}", text)}]


def load_prompt(directory: str | Path | None = None, name: str = NAME) -> Prompt:
    folder = Path(directory) if directory else PROMPT_DIR
    try:
        system = (folder / f"{name}.system.md").read_text(encoding="utf-8")
        user = (folder / f"{name}.user.md").read_text(encoding="utf-8")
    except OSError as exc:
        raise FileNotFoundError(f"prompt {name!r} not found in {folder}: {exc.strerror}") from None
    if "{text}" not in user:
        raise ValueError(f"{folder / (name + '.user.md')} has no {{text}} placeholder")
    return Prompt(system=system, user=user, name=name)
