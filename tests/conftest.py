"""Shared fixtures: where the bundled notices, gold files and test data are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTICES = ROOT / "notices"
GOLD = ROOT / "gold"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def sample_texts() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(NOTICES.glob("*.txt"))}


@pytest.fixture(scope="session")
def gold() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(GOLD.glob("*.json"))}


@pytest.fixture(scope="session")
def county_notice() -> str:
    """A made-up county-level 专项巡察 notice in the Shandong/Hunan layout, with page chrome."""
    return (DATA / "county_special.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def variant_notice() -> str:
    """A made-up provincial 常规巡视 notice: dates after the team, 余万元, signature and date on one line."""
    return (DATA / "variant_routine.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def sample_gold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gold folder with only the five bundled samples' files (what a quick eval over a server needs)."""
    folder = tmp_path_factory.mktemp("sample_gold")
    for text in NOTICES.glob("*.txt"):
        (folder / f"{text.stem}.json").write_bytes((GOLD / f"{text.stem}.json").read_bytes())
    return folder
