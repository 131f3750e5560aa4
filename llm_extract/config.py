"""Backends named in a TOML config file; ``rules`` needs none."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .backends import Backend, RulesBackend

DEFAULT_CONFIG = Path("llm_extract.toml")


class ConfigError(ValueError):
    """A config file or backend name that cannot be used."""


def load_config(path: Path | None) -> dict[str, Any]:
    """The parsed config: ``path``, else ./llm_extract.toml if present, else empty."""
    if path is None:
        if not DEFAULT_CONFIG.exists():
            return {}
        path = DEFAULT_CONFIG
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no config file {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {path} is not valid TOML: {exc}") from None


def resolve_backend(name: str, config_path: Path | None = None) -> Backend:
    if name == "rules":
        return RulesBackend()
    config = load_config(config_path)
    backends = config.get("backends", {})
    if name not in backends:
        known = ", ".join(["rules", *sorted(backends)])
        raise ConfigError(f"unknown backend {name!r}; known: {known}")
    raise ConfigError(f"backend {name!r}: LLM backends are not available in this build")
