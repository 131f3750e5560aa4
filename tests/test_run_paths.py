"""Where a run may write: never over an input, never into a folder, /proc or a file that is not an output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NOTICES

DONGYANG = NOTICES / "000_52b65cbec59bb7bf.txt"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "llm_extract.cli", *args], capture_output=True, text=True, timeout=60)


def refused(proc: subprocess.CompletedProcess[str], words: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and words in " ".join(proc.stderr.split()), proc.stderr


def test_an_input_file_is_never_the_output(tmp_path: Path) -> None:
    notice = tmp_path / "a.txt"
    notice.write_bytes(DONGYANG.read_bytes())
    refused(cli("extract", str(notice), "--out", str(notice), "--quiet"), "is also an input")
    assert notice.read_bytes() == DONGYANG.read_bytes()


def test_a_jsonl_input_is_never_its_own_output_under_another_name(tmp_path: Path) -> None:
    docs = tmp_path / "docs.jsonl"
    docs.write_text(json.dumps({"id": "d1", "text": DONGYANG.read_text(encoding="utf-8")}) + "\n", encoding="utf-8")
    before = docs.read_bytes()
    (tmp_path / "link.jsonl").symlink_to(docs)
    refused(cli("extract", str(docs), "--out", str(tmp_path / "sub" / ".." / "link.jsonl"), "--quiet"),
            "is also an input")
    assert docs.read_bytes() == before


def test_an_output_inside_an_input_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(DONGYANG.read_bytes())
    out = tmp_path / "year" / "run.jsonl"
    refused(cli("extract", str(tmp_path), "--out", str(out), "--quiet"), "inside the input folder")
    assert not out.exists()


@pytest.mark.parametrize("target", ["folder", "/proc/version"])
def test_an_output_that_cannot_be_a_file_is_one_clear_line(tmp_path: Path, target: str) -> None:
    out = str(tmp_path) if target == "folder" else target
    proc = cli("extract", str(DONGYANG), "--out", out, "--quiet")
    refused(proc, "is a folder" if target == "folder" else "cannot write /proc/version")
    assert proc.stderr.count("error:") == 1


def test_an_existing_file_that_is_not_an_output_is_not_resumed_into(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_text("[1,2]\n", encoding="utf-8")
    refused(cli("extract", str(DONGYANG), "--out", str(out), "--quiet"), "o.jsonl:1 is not an llm-extract output")
    assert out.read_text(encoding="utf-8") == "[1,2]\n"
    ok = cli("extract", str(DONGYANG), "--out", str(out), "--quiet", "--overwrite")
    assert ok.returncode == 0 and json.loads(out.read_text(encoding="utf-8"))["status"] == "ok"
