"""Backends named in a TOML config file; ``rules`` needs none.

```toml
[backends.deepseek]
base_url = "https://api.deepseek.com/v1"
model = "deepseek-chat"
api_key_env = "DEEPSEEK_API_KEY"   # the key itself never goes in the file
mode = "tools"                     # json_schema, tools, json, md_json
```

Shipped presets (:data:`PRESETS`) can be used by name or overridden field by
field in ``llm_extract.toml`` (or ``--config FILE``).  This module is data
only: :mod:`llm_extract.factory` builds backends from it.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

DEFAULT_CONFIG = Path("llm_extract.toml")
MODES = ("json_schema", "tools", "json", "md_json")
PROMPT_FILES = ("extract.system.md", "extract.user.md")  # what a prompt_dir must hold


class ConfigError(ValueError):
    """A config file or backend name that cannot be used."""


@dataclass(frozen=True)
class BackendConfig:
    name: str
    base_url: str
    model: str
    api_key_env: str | None = None
    mode: str = "json_schema"
    temperature: float = 0.0
    max_tokens: int = 4096
    timeout: float = 120.0  # seconds for one request, from the first byte sent to the last received
    max_retries: int = 2  # re-asks after a validation failure
    transport_retries: int = 4  # retries of 429, 5xx, timeouts, resets
    retry_budget: float = 300.0  # seconds for all the attempts of one request, waits between them included
    concurrency: int = 4
    context_chars: int = 12_000  # longest excerpt of a notice sent in one request
    retry_after_cap: float = 60.0  # never sleep longer than this for one Retry-After
    prompt_dir: str | None = None
    requests_per_minute: float | None = None  # rate limits shared by the whole run
    tokens_per_minute: float | None = None
    price_prompt_per_million: float | None = None  # prices, in the provider's currency, for the cost columns
    price_completion_per_million: float | None = None

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None


PRESETS: dict[str, dict[str, Any]] = {
    "openai": {"base_url": "https://api.openai.com/v1", "model": "gpt-4o-mini", "api_key_env": "OPENAI_API_KEY",
               "mode": "json_schema"},
    "deepseek": {"base_url": "https://api.deepseek.com/v1", "model": "deepseek-chat",
                 "api_key_env": "DEEPSEEK_API_KEY", "mode": "tools"},
    "qwen": {"base_url": "https://dashscope.aliyuncs.com/compatible-mode/v1", "model": "qwen-plus",
             "api_key_env": "DASHSCOPE_API_KEY", "mode": "tools"},
    "ollama": {"base_url": "http://127.0.0.1:11434/v1", "model": "qwen2.5:7b", "mode": "json_schema"},
    "vllm": {"base_url": "http://127.0.0.1:8000/v1", "model": "Qwen/Qwen2.5-7B-Instruct", "mode": "json_schema"},
    "llamacpp": {"base_url": "http://127.0.0.1:8080/v1", "model": "local", "mode": "json_schema",
                 "context_chars": 6000},
}


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


def backend_configs(config: dict[str, Any]) -> dict[str, BackendConfig]:
    """Every named LLM backend: the presets, overridden and extended by the file."""
    table = config.get("backends", {})
    if not isinstance(table, dict):
        raise ConfigError("[backends] must be a table of named backends")
    known = {f.name for f in fields(BackendConfig)} - {"name"}
    out: dict[str, BackendConfig] = {}
    for name in [*PRESETS, *[n for n in table if n not in PRESETS]]:
        if name == "rules":
            continue
        entry = table.get(name) or {}
        if not isinstance(entry, dict):
            raise ConfigError(f"backend {name!r} must be a table ([backends.{name}]), not {entry!r}")
        values = {**PRESETS.get(name, {}), **entry}
        if "api_key" in values:
            raise ConfigError(f"backend {name!r}: put the key in an environment variable and name it in api_key_env")
        unknown = set(values) - known
        if unknown:
            raise ConfigError(f"backend {name!r}: unknown settings {', '.join(sorted(unknown))}")
        missing = {"base_url", "model"} - set(values)
        if missing:
            raise ConfigError(f"backend {name!r}: missing {', '.join(sorted(missing))}")
        if values.get("mode", "json_schema") not in MODES:
            raise ConfigError(f"backend {name!r}: mode must be one of {', '.join(MODES)}")
        for key, value in values.items():
            problem = _type_problem(key, value)
            if problem:
                raise ConfigError(f"backend {name!r}: {key} {problem}, not {value!r}")
        try:
            out[name] = BackendConfig(name=name, **values)
        except TypeError as exc:
            raise ConfigError(f"backend {name!r}: {exc}") from None
    return out


#: Numeric settings: (whole numbers only, smallest allowed, whether the smallest itself is allowed).
_NUMBERS: dict[str, tuple[bool, float, bool]] = {
    "temperature": (False, 0, True), "max_tokens": (True, 1, True), "timeout": (False, 0, False),
    "retry_budget": (False, 0, False), "max_retries": (True, 0, True), "transport_retries": (True, 0, True),
    "concurrency": (True, 1, True), "context_chars": (True, 1, True), "retry_after_cap": (False, 0, True),
    "requests_per_minute": (False, 0, False), "tokens_per_minute": (False, 0, False),
    "price_prompt_per_million": (False, 0, True), "price_completion_per_million": (False, 0, True),
}
_STRINGS = ("base_url", "model", "api_key_env", "mode", "prompt_dir")
_OPTIONAL = ("api_key_env", "prompt_dir", "requests_per_minute", "tokens_per_minute", "price_prompt_per_million",
             "price_completion_per_million")


def _type_problem(key: str, value: Any) -> str | None:
    """What is wrong with one setting's value (``"must be a number > 0"``), or ``None``.

    Checked when the file is read, so ``timeout = "x"`` or ``concurrency =
    "lots"`` is one clear line before the run rather than a traceback in it.
    """
    if value is None and key in _OPTIONAL:
        return None
    if key in _STRINGS:
        if not isinstance(value, str) or not value.strip():
            return "must be a non-empty string"
        if key == "prompt_dir" and not all((Path(value) / f).is_file() for f in PROMPT_FILES):
            return f"must be a folder holding {' and '.join(PROMPT_FILES)}"
        return None
    if key not in _NUMBERS:
        return None
    whole, least, inclusive = _NUMBERS[key]
    kind = "a whole number" if whole else "a number"
    bound = f"{'≥' if inclusive else '>'} {least:g}"
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
        return f"must be {kind} {bound}"
    if value != value or value in (float("inf"), float("-inf")) or value < least or (value == least and not inclusive):
        return f"must be {kind} {bound}"
    return None
