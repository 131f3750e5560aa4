"""``--shard I/N`` over the real CLI: the machines' outputs together are the whole run, each document once."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from test_run import _cmd, _docs


def _by_doc(path: Path) -> dict[str, dict]:
    return {line["doc"]: line for line in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def test_shards_together_write_every_document_once_as_one_run_would(tmp_path: Path) -> None:
    src, texts = _docs(tmp_path, 12)
    whole = tmp_path / "whole.jsonl"
    subprocess.run(_cmd("extract", str(src), "--out", str(whole), "--quiet"), cwd=tmp_path, check=True, timeout=120)
    parts = []
    for i in range(3):  # three machines, each with its own output
        part = tmp_path / f"part{i}.jsonl"
        subprocess.run(_cmd("extract", str(src), "--out", str(part), "--quiet", "--shard", f"{i}/3"), cwd=tmp_path,
                       check=True, timeout=120)
        parts.append(_by_doc(part))
    assert sum(len(p) for p in parts) == len(texts) and all(parts)  # disjoint, none empty
    assert {doc: line for p in parts for doc, line in p.items()} == _by_doc(whole)


def test_a_bad_shard_is_refused_with_exit_2(tmp_path: Path) -> None:
    src, _ = _docs(tmp_path, 1)
    proc = subprocess.run(_cmd("extract", str(src), "--out", str(tmp_path / "o.jsonl"), "--shard", "3/3"),
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "I must be in 0..2" in proc.stderr


def test_shard_parse_names_what_is_wrong() -> None:
    """The one I/N parser: the CLI's --shard and library callers get the same messages."""
    import pytest

    from llm_extract.run import Shard

    assert Shard.parse("1/4") == Shard(1, 4)
    for text, message in (("1/0", "N (the number of shards) must be at least 1"), ("4/4", "I must be in 0..3"),
                          ("a/b", "takes I/N")):
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
            Shard.parse(text)
