"""The backend factory: a name and a config (data) in, a backend out.

Config stays data (:mod:`llm_extract.config`); this is the one place that
knows which class serves a name, so the core never imports a provider.
"""

from __future__ import annotations

from dataclasses import replace
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Callable

from .backends import Backend, RulesBackend
from .config import ConfigError, backend_configs, load_config

#: The tables a config file may hold; anything else is most likely a typo of one.
CONFIG_TABLES = ("backends",)


def make_backend(name: str, config_path: Path | None = None, *, cache: Path | bool | None = None,
                 **overrides: Any) -> Backend:
    """The backend called ``name``: ``rules``, a preset, or one from the config file.

    ``cache`` (a path, or ``True`` for the default one) keeps model answers on
    disk; the rules backend asks no model and ignores it.  A ``config_path``
    that does not exist is refused for every backend, ``rules`` included, so
    a mistyped path never passes silently.
    """
    if name == "rules":
        if config_path is not None:
            load_config(config_path)
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


def config_warnings(config_path: Path | None) -> list[str]:
    """One line per top-level table of the config that nothing reads (``[backend.x]`` for ``[backends.x]``).

    Such a table is otherwise ignored without a word, and the backend it was
    meant to configure runs on its preset.
    """
    warnings = []
    for key in load_config(config_path):
        if key not in CONFIG_TABLES:
            near = get_close_matches(key, CONFIG_TABLES, n=1, cutoff=0.6)
            hint = f"; did you mean [{near[0]}.…]?" if near else ""
            warnings.append(f"config: [{key}] is not read (only [backends.NAME] tables are){hint}")
    return warnings


def preflight_backend(backend: Backend) -> str | None:
    """Why ``backend`` cannot serve a run (its key variable unset, its server silent), or ``None``.

    The rules backend is always ready; an LLM backend is checked once by
    :func:`llm_extract.llm.preflight.preflight`.
    """
    cfg = getattr(backend, "cfg", None)
    if cfg is None:
        return None
    from .llm.preflight import preflight

    return preflight(cfg)


def ready_backend(name: str, config_path: Path | None, *, cache: Path | bool | None = None,
                  allow_fallback: bool = False, warn: Callable[[str], None] = lambda _: None) -> Backend:
    """:func:`make_backend`, checked before any document is read.

    Unread config tables are warned about; a backend whose key variable is
    unset or whose server does not answer raises :class:`ConfigError` naming
    the variable or the address, unless ``allow_fallback`` (then it is a
    warning, and every record will be the rules backend's fallback).
    """
    for warning in config_warnings(config_path):
        warn(warning)
    backend = make_backend(name, config_path, cache=cache)
    problem = preflight_backend(backend)
    if problem and not allow_fallback:
        raise ConfigError(problem)
    if problem:
        warn(problem.split(" (")[0] + "; --allow-fallback: records will fall back to the rules backend")
    return backend
