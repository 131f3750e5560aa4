"""Fail fast: before any document is read, is a backend able to answer at all?

A run against a backend whose key variable is unset, or whose server does not
answer, would retry every document and then write the rules backend's record
as ``fallback`` for each: minutes spent to produce a score that is not the
model's.  One check at the start names the cause instead.
"""

from __future__ import annotations

from ..config import BackendConfig
from .probe import probe


def preflight(cfg: BackendConfig, timeout: float = 3.0) -> str | None:
    """Why ``cfg`` cannot serve a run (one line naming the variable or the address), or ``None`` when it can.

    The key is checked first (no request is sent without one); then one
    ``GET /models``: any HTTP answer counts as answering, since some servers
    do not serve that route but still answer completions.
    """
    if cfg.api_key_env and not cfg.api_key():
        return (f"backend {cfg.name!r} needs an API key: the environment variable {cfg.api_key_env} is not set "
                f"(set it, or pass --allow-fallback to run with the rules backend's records)")
    state = probe(cfg, timeout=timeout)
    if state.startswith("not answering"):
        return (f"backend {cfg.name!r}: the server at {cfg.base_url} is {state} "
                f"(start it or fix base_url, or pass --allow-fallback to run with the rules backend's records)")
    return None
