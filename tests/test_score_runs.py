"""The scored run: statuses read from the lines, and an eval's backend run uses the backend's concurrency."""

from __future__ import annotations

import threading
from pathlib import Path

from conftest import NOTICES
from llm_extract.record import DocResult, Status
from llm_extract.score.runs import origin_counts, provenance_line, read_run, run_backend, score_label


def test_read_run_keeps_each_documents_status(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text('{"doc": "a", "status": "ok", "backend": "m", "record": {}}\n'
                    '{"doc": "b", "status": "fallback", "backend": "m", "record": {}}\n', encoding="utf-8")
    run = read_run(path)
    assert run.status == {"a": "ok", "b": "fallback"} and run.backends == "m"


def test_the_provenance_line_and_label_name_fallbacks_and_failures() -> None:
    origins = origin_counts({"ok": 3, "fallback": 2}, missing=1)
    assert provenance_line(origins, "deepseek") == "records: 3 from deepseek, 2 fell back to rules, 0 failed, 1 missing"
    assert score_label(origins).startswith("score WITH FALLBACKS")
    assert score_label(origin_counts({"ok": 3})) is None


class Gate:
    """A backend whose documents wait for each other: finishes only if ``concurrency`` run at once."""

    name = "gate"
    fingerprint = "gate"

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self.barrier = threading.Barrier(concurrency, timeout=30)

    def extract(self, doc) -> DocResult:
        self.barrier.wait()  # raises BrokenBarrierError (an error line) if the others never come
        return DocResult(doc.id, Status.ok, self.name)


def test_an_eval_runs_the_backends_documents_concurrently() -> None:
    paths = sorted(str(p) for p in NOTICES.glob("*.txt"))[:4]
    seen = []
    run = run_backend(Gate(4), paths, on_result=lambda r: seen.append(r.doc_id))
    assert set(run.status.values()) == {"ok"} and len(seen) == 4
