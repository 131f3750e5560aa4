"""The backend factory: a name and a config (data) in, a backend out.

Config stays data (:mod:`llm_extract.config`); this is the one place that
knows which class serves a name, so the core never imports a provider.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from .backends import Backend, RulesBackend
from .config import ConfigError, backend_configs, load_config


def make_backend(name: str, config_path: Path | None = None, *, cache: Path | bool | None = None,
                 **overrides: Any) -> Backend:
    """The backend called ``name``: ``rules``, a preset, or one from the config file.

    ``cache`` (a path, or ``True`` for the default one) keeps model answers on
    disk; the rules backend asks no model and ignores it.
    """
    if name == "rules":
        return RulesBackend()
    configs = backend_configs(load_config(config_path))
    if name not in configs:
        raise ConfigError(f"unknown backend {name!r}; known: {', '.join(['rules', *configs])}")
    cfg = replace(configs[name], **overrides) if overrides else configs[name]
    from .llm.backend import LLMBackend
    from .llm.cache import DEFAULT_PATH, AnswerCache

    backend = LLMBackend(cfg)
    if cache:
        backend.cache = AnswerCache(DEFAULT_PATH if cache is True else Path(cache))
    return backend
