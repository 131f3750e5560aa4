"""Config files: every value type-checked when the file is read, so a bad one is one clear line and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NOTICES
from llm_extract.config import ConfigError, backend_configs, load_config

BASE = {"base_url": "http://127.0.0.1:9/v1", "model": "m"}


def configs(**settings: object) -> dict:
    return backend_configs({"backends": {"x": {**BASE, **settings}}})


@pytest.mark.parametrize("setting, value, says", [
    ("concurrency", "lots", "concurrency must be a whole number ≥ 1, not 'lots'"),
    ("concurrency", 0, "concurrency must be a whole number ≥ 1"),
    ("concurrency", True, "concurrency must be a whole number"),
    ("timeout", "x", "timeout must be a number > 0, not 'x'"),
    ("timeout", 0, "timeout must be a number > 0"),
    ("timeout", -5.0, "timeout must be a number > 0"),
    ("retry_budget", float("nan"), "retry_budget must be a number > 0"),
    ("temperature", "hot", "temperature must be a number ≥ 0"),
    ("max_tokens", 1.5, "max_tokens must be a whole number ≥ 1"),
    ("transport_retries", -1, "transport_retries must be a whole number ≥ 0"),
    ("model", 3, "model must be a non-empty string"),
    ("prompt_dir", "/nonexistent/prompts", "prompt_dir must be a folder holding extract.system.md"),
])
def test_a_bad_value_is_refused_when_the_file_is_read(setting: str, value: object, says: str) -> None:
    with pytest.raises(ConfigError, match=f"backend 'x': {says}"):
        configs(**{setting: value})


def test_good_values_pass_and_whole_numbers_serve_as_numbers() -> None:
    cfg = configs(timeout=10, retry_budget=60, temperature=0, concurrency=8, requests_per_minute=None)["x"]
    assert (cfg.timeout, cfg.retry_budget, cfg.temperature, cfg.concurrency) == (10, 60, 0, 8)
    assert configs()["x"].retry_budget == 300.0


def test_a_backend_that_is_not_a_table_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"backend 'x' must be a table \(\[backends.x\]\), not 3"):
        backend_configs({"backends": {"x": 3}})


@pytest.mark.parametrize("line", ['concurrency = "lots"', 'timeout = "x"', "timeout = -1", 'prompt_dir = "missing"'])
def test_the_command_line_says_what_is_wrong_in_one_line(tmp_path: Path, line: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[backends.x]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\n{line}\n', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "llm_extract.cli", "extract", str(NOTICES), "--backend", "x",
                           "--config", str(cfg), "--out", str(tmp_path / "o.jsonl")],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.count("error:") == 1 and line.split(" =")[0] in proc.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_a_prompt_folder_without_the_placeholder_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "extract.system.md").write_text("system", encoding="utf-8")
    (tmp_path / "p" / "extract.user.md").write_text("no placeholder", encoding="utf-8")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[backends.x]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\nprompt_dir = "{tmp_path / "p"}"\n',
                   encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "llm_extract.cli", "extract", str(NOTICES), "--backend", "x",
                           "--config", str(cfg), "--no-cache"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "no {text} placeholder" in proc.stderr


def test_a_missing_config_file_is_named() -> None:
    with pytest.raises(ConfigError, match="no config file /nonexistent.toml"):
        load_config(Path("/nonexistent.toml"))
