"""The README and the tool agree: every command its command blocks show runs, and its Python snippet works.

Synopsis lines (with placeholders such as ``PATH...`` or ``[--report DIR]``)
are checked against the sub-command's ``--help``: every option they show
must exist.  Concrete lines run for real, in README order, in a scratch
folder holding the bundled notices and gold; LLM backends are pointed at a
scripted OpenAI-compatible server (through ``llm_extract.toml`` in that
folder, as the README says) that answers what a faithful model would.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA, GOLD, NOTICES, ROOT
from support.answers import faithful_answer
from support.fake_openai import ScriptedServer

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = [line.split(" #")[0].strip() for block in re.findall(r"```sh\n(.*?)```", README, re.S)
            for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
PLACEHOLDER = re.compile(r"\.\.\.|…|\[|\b[A-Z]{2,}[A-Z_]*\b|\|")
KEYS = {"DEEPSEEK_API_KEY": "sk-readme-test", "OPENAI_API_KEY": "sk-readme-test", "DASHSCOPE_API_KEY": "sk-readme-test"}


def cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "llm_extract.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=env)


def test_the_readme_shows_commands() -> None:
    assert any(c.startswith("llm-extract export") for c in COMMANDS)
    assert any(c.startswith("llm-extract summary") for c in COMMANDS)
    assert sum(1 for c in COMMANDS if not PLACEHOLDER.search(c)) >= 10


@pytest.mark.parametrize("line", [c for c in COMMANDS if c.startswith("llm-extract") and PLACEHOLDER.search(c)])
def test_every_option_a_synopsis_shows_exists(line: str) -> None:
    words = line.split()
    subs = words[2].split("|") if words[1] == "batch" else [None]
    for sub in subs:
        command = [words[1]] + ([sub] if sub else [])
        help_text = cli(*command, "--help").stdout
        assert help_text.startswith("usage: llm-extract " + " ".join(command)), line
        for option in re.findall(r"--[a-z][a-z-]*", line):
            assert option in help_text, f"{line}: {option} is not in `llm-extract {' '.join(command)} --help`"


@pytest.mark.parametrize("target", sorted({c.split()[1] for c in COMMANDS if c.startswith("make ")}))
def test_every_make_target_shown_exists(target: str) -> None:
    assert subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True).returncode == 0, target


def _sandbox(root: Path, base_url: str) -> None:
    shutil.copytree(NOTICES, root / "notices")
    shutil.copytree(GOLD, root / "gold")
    shutil.copytree(DATA / "genre", root / "tests" / "data" / "genre")
    shutil.copytree(NOTICES, root / "corpus")
    (root / "llm_extract.toml").write_text("".join(
        f'[backends.{name}]\nbase_url = "{base_url}"\ntransport_retries = 0\nmax_retries = 1\n'
        for name in ("deepseek", "vllm", "openai")), encoding="utf-8")


def _answerer(texts: list[str]):
    answers = {t[:120]: faithful_answer(t) for t in texts}

    def answer(body: dict) -> dict:
        user = body["messages"][-1]["content"]
        return next(({"json": a} for head, a in answers.items() if head in user), {"status": 400})
    return answer


def _batch_output(root: Path) -> None:
    """What the provider would return for ``batch-input.jsonl``: a faithful answer per request."""
    out = []
    for raw in (root / "batch-input.jsonl").read_text(encoding="utf-8").splitlines():
        doc = json.loads(raw)["custom_id"]
        answer = faithful_answer((root / "corpus" / f"{doc}.txt").read_text(encoding="utf-8"))
        body = {"choices": [{"message": {"content": json.dumps(answer, ensure_ascii=False)}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        out.append(json.dumps({"custom_id": doc, "response": {"status_code": 200, "body": body}}, ensure_ascii=False))
    (root / "batch-output.jsonl").write_text("\n".join(out) + "\n", encoding="utf-8")


def test_every_concrete_command_runs(tmp_path: Path) -> None:
    texts = [p.read_text(encoding="utf-8") for p in [*NOTICES.glob("*.txt"), *(DATA / "genre").glob("*.txt")]]
    env = {**os.environ, **KEYS}
    with ScriptedServer(default=_answerer(texts)) as srv:
        _sandbox(tmp_path, srv.base_url)
        for line in [c for c in COMMANDS if c.startswith("llm-extract") and not PLACEHOLDER.search(c)]:
            args = shlex.split(line)[1:]
            if args[:2] == ["batch", "collect"]:
                _batch_output(tmp_path)
            proc = cli(*args, cwd=tmp_path, env=env)
            assert proc.returncode == 0, f"{line}\n{proc.stderr[-2000:]}"
    assert (tmp_path / "out" / "rules.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (tmp_path / "out" / "summary.html").exists() and (tmp_path / "out" / "review" / "index.html").exists()


def test_the_python_snippet_runs(tmp_path: Path) -> None:
    (snippet,) = re.findall(r"```python\n(.*?)```", README, re.S)
    shutil.copytree(NOTICES, tmp_path / "notices")
    proc = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
