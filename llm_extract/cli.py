"""``llm-extract``: a thin command line over the library.

Exit codes: 0 when every input was processed (failed documents are output
lines with status ``error``); 2 for bad usage or a run that could not go on
(unknown backend, unwritable output, missing gold, a backend that cannot answer).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from rich.console import Console
from rich.markup import escape

from . import __version__
from .config import ConfigError
from .factory import make_backend, ready_backend
from .options import Parser, add_backend_options, shard
from .report.export import output_lines
from .report.progress import RunProgress
from .run.paths import OutputPathError, check_output
from .run import (OutputError, RunSummary, count_inputs, run_documents,
                  run_to_handle, write_results)
from .score.gold import GoldError, load_gold, notice_paths
from .score.runs import RunFileError, read_run, run_backend

err = Console(stderr=True)


class UsageError(Exception):
    """The run cannot go on; exit 2 with this message."""


def _parser() -> argparse.ArgumentParser:
    p = Parser(prog="llm-extract", description="Extract grounded records from 巡视/巡察整改 notices.")
    p.add_argument("--version", action="version", version=f"llm-extract {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    ex = sub.add_parser("extract", help="extract records from files, folders or JSONL")
    ex.add_argument("paths", nargs="+", metavar="PATH", help="a .txt/.html file, a folder of them, or a .jsonl of {id, text}")
    ex.add_argument("--backend", default="rules", help="backend name (default: rules, offline)")
    ex.add_argument("--out", default="-", help="output JSONL file (default: standard output)")
    ex.add_argument("--quiet", action="store_true", help="no progress bar or summary table")
    ex.add_argument("--strict", action="store_true",
                    help="exit 1 when any input ended with status error (for pipelines that must stop)")
    ex.add_argument("--retry-errors", action="store_true", help="redo documents whose earlier line is an error or a fallback")
    ex.add_argument("--overwrite", action="store_true", help="start the output afresh instead of resuming it")
    ex.add_argument("--shard", type=shard, default=None, metavar="I/N", help="take only this machine's share of the inputs")
    add_backend_options(ex)

    ev = sub.add_parser("eval", help="score predictions (or a backend) against gold files")
    ev.add_argument("--gold", type=Path, required=True, help="folder of gold/<notice>.json")
    src = ev.add_mutually_exclusive_group(required=True)
    src.add_argument("--pred", type=Path, help="output JSONL of `llm-extract extract`")
    src.add_argument("--backend", help="extract the gold notices with this backend, then score")
    ev.add_argument("--notices", type=Path, nargs="+", default=None, metavar="DIR",
                    help="where the gold notices' texts are (default: the notices/ folder beside --gold)")
    ev.add_argument("--report", type=Path, default=None, help="write report.json, report.md and report.html here")
    ev.add_argument("--quiet", action="store_true", help="no progress bar; print only the overall score")
    add_backend_options(ev)

    cp = sub.add_parser("compare", help="compare two runs against gold: per-field deltas, notices better and worse")
    cp.add_argument("a", type=Path, metavar="A.jsonl")
    cp.add_argument("b", type=Path, metavar="B.jsonl")
    cp.add_argument("--gold", type=Path, required=True)
    cp.add_argument("--report", type=Path, default=None, help="write compare.json, .md and .html here")

    rv = sub.add_parser("review", help="one HTML page per notice with every value highlighted in its text")
    rv.add_argument("pred", type=Path, metavar="FILE.jsonl")
    rv.add_argument("--out", type=Path, required=True)
    rv.add_argument("--gold", type=Path, default=None, help="mark the differences from these gold files")

    sh = sub.add_parser("show", help="print each notice's main facts from an output JSONL, one small table per notice")
    sh.add_argument("pred", type=Path, metavar="FILE.jsonl")

    sub.add_parser("schema", help="print the JSON Schema of a record")

    bt = sub.add_parser("batch", help="run through a provider's Batch API: write its input, read its output")
    bsub = bt.add_subparsers(dest="batch_command", required=True)
    bs = bsub.add_parser("submit", help="write the Batch API input file (one request per document)")
    bs.add_argument("paths", nargs="+", metavar="PATH")
    bs.add_argument("--backend", required=True)
    bs.add_argument("--config", type=Path, default=None)
    bs.add_argument("--out", type=Path, required=True, help="the .jsonl to upload to the provider")
    bc = bsub.add_parser("collect", help="turn the provider's Batch output file into output lines")
    bc.add_argument("results", type=Path, help="the provider's Batch output .jsonl")
    bc.add_argument("paths", nargs="+", metavar="PATH", help="the same inputs as submit")
    bc.add_argument("--backend", required=True)
    bc.add_argument("--config", type=Path, default=None)
    bc.add_argument("--out", type=Path, required=True)

    xp = sub.add_parser("export", help="one row per notice, one column per field: CSV, Excel or Parquet")
    xp.add_argument("pred", type=Path, metavar="RUN.jsonl")
    xp.add_argument("--format", choices=("csv", "xlsx", "parquet"), default=None, help="default: from --out's ending")
    xp.add_argument("--out", type=Path, required=True, help="the file to write")

    sm = sub.add_parser("summary", help="totals and distributions over a run: years, issuer levels, discipline, money")
    sm.add_argument("pred", type=Path, metavar="RUN.jsonl")
    sm.add_argument("--html", type=Path, default=None, help="also write a self-contained HTML page with charts")

    bk = sub.add_parser("backends", help="list backends and whether each is usable now")
    bk.add_argument("--config", type=Path, default=None)
    bk.add_argument("--no-probe", action="store_true", help="do not ask servers whether they answer")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {"schema": _schema, "extract": _extract, "eval": _eval, "backends": _backends, "batch": _batch,
                "compare": _compare, "review": _review, "show": _show, "export": _export, "summary": _summary}
    try:
        return commands[args.command](args)
    except (UsageError, ConfigError, OutputError, OutputPathError, GoldError, RunFileError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        err.print("[yellow]interrupted: every finished document is in the output; run again to resume[/yellow]")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)  # do not wait for requests still in flight: their documents are redone on resume


def _show(args: argparse.Namespace) -> int:
    from .report.terminal import record_table

    Console().print(*[record_table(line) for line in output_lines(args.pred)])
    return 0


def _schema(_: argparse.Namespace) -> int:
    from .schema import json_schema_text

    print(json_schema_text())
    return 0


def _run_to_stdout(paths: list[str], backend: Any, quiet: bool) -> RunSummary:
    with RunProgress(err, count_inputs(paths), quiet=quiet) as bar:
        return run_to_handle(paths, backend, sys.stdout, on_result=lambda r, _: bar.tick(str(r.status), r.doc_id, r.error))


def _extract(args: argparse.Namespace) -> int:
    from .report.terminal import run_summary

    backend = _backend(args)
    if args.out == "-":
        summary = _run_to_stdout(list(args.paths), backend, args.quiet)
    else:
        summary = _run_file(args, backend)
    if not args.quiet:
        err.print(run_summary(dict(summary.counts), summary.usage, backend.name, args.out))
    if args.strict and summary.counts.get("error"):
        err.print(f"[red]--strict: {summary.counts['error']} input(s) failed[/red]")
        return 1
    return 0


def _backend(args: argparse.Namespace) -> Any:
    """The backend the command names, with its answer cache unless ``--no-cache``; fails fast unless ``--allow-fallback``."""
    return ready_backend(args.backend, args.config, cache=None if args.no_cache else (args.cache or True),
                         allow_fallback=args.allow_fallback, warn=lambda m: err.print(f"[yellow]warning:[/yellow] {escape(m)}"))



def _run_file(args: argparse.Namespace, backend: Any) -> RunSummary:
    out, shard = Path(args.out), args.shard
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; give the output file (e.g. {out / 'run.jsonl'})")
    check_output(out, args.paths, resuming=not args.overwrite)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.touch()
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    with RunProgress(err, None if shard else count_inputs(args.paths), quiet=args.quiet) as bar:
        summary = run_documents(args.paths, backend, out, retry_errors=args.retry_errors, shard=shard,
                                concurrency=args.concurrency, overwrite=args.overwrite,
                                on_result=lambda r: bar.tick(str(r.status), r.doc_id, r.error),
                                on_skip=lambda doc: bar.tick("skipped", doc))
    return summary


def _backends(args: argparse.Namespace) -> int:
    from .config import backend_configs, load_config
    from .llm.probe import backend_status
    from .report.terminal import backends_table

    configs, console = backend_configs(load_config(args.config)), Console()
    console.print(backends_table([backend_status(c, probe_server=not args.no_probe) for c in configs.values()], console.width))
    return 0


def _batch(args: argparse.Namespace) -> int:
    from .llm import openai_batch
    from .llm.backend import LLMBackend
    from .report.terminal import run_summary, unmatched_note

    backend = make_backend(args.backend, args.config)
    if not isinstance(backend, LLMBackend):
        raise UsageError("batch needs an LLM backend; the rules backend makes no requests")
    check_output(args.out, [*args.paths, *([args.results] if args.batch_command == "collect" else [])],
                 resuming=False)
    if args.batch_command == "submit":
        n, bad = openai_batch.submit(args.paths, backend, args.out)
        for item in bad:
            err.print(f"[red]{escape(item.id)}[/red]: {escape(item.error)}")
        err.print(f"wrote {n} requests to {escape(str(args.out))}; upload it to the provider's Batch API, then run "
                  f"`llm-extract batch collect RESULTS.jsonl PATH... --backend {escape(args.backend)} --out FILE`")
        return 0
    if not args.results.is_file():
        raise UsageError(f"no batch results file {args.results}")
    unmatched = []
    with args.out.open("w", encoding="utf-8") as handle:
        summary = write_results(openai_batch.collect(args.results, args.paths, backend), handle,
                                lambda r, _: unmatched.extend([r.doc_id] if "no batch result" in (r.error or "") else []))
    err.print(run_summary(dict(summary.counts), {}, backend.name, str(args.out)))
    if unmatched and len(unmatched) == summary.lines:
        raise UsageError(unmatched_note(unmatched, summary.lines, args.results))
    if unmatched:
        err.print(f"[yellow]{escape(unmatched_note(unmatched, summary.lines, args.results))}[/yellow]")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from .report.files import write_comparison
    from .report.terminal import print_comparison
    from .score.compare import compare_runs

    gold = load_gold(args.gold)
    data = compare_runs(gold, read_run(args.a).records, read_run(args.b).records, (str(args.a), str(args.b)))
    print_comparison(data)
    if args.report:
        for path in write_comparison(data, args.report):
            err.print(f"wrote {escape(str(path))}")
    return 0


def _review(args: argparse.Namespace) -> int:
    from .report.review import write_review

    lines = output_lines(args.pred)  # read and checked before anything is written
    gold = load_gold(args.gold) if args.gold else {}
    n = write_review(lines, args.out, gold, warn=lambda msg: err.print(f"[yellow]{escape(msg)}[/yellow]"))
    err.print(f"wrote {n} review pages and {escape(str(args.out / 'index.html'))}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from .report.files import write_reports
    from .report.terminal import print_eval
    from .score.scoring import score_run

    gold = load_gold(args.gold)
    meta: dict[str, Any] = {"gold": str(args.gold)}
    if args.pred:
        run = read_run(args.pred)
        meta.update(run=str(args.pred), backend=run.backends)
    else:
        backend = _backend(args)
        paths = notice_paths(gold, args.notices or [args.gold.parent / "notices"])
        with RunProgress(err, len(paths), quiet=args.quiet, title="evaluating") as bar:
            run = run_backend(backend, paths, concurrency=args.concurrency,
                              on_result=lambda r: bar.tick(str(r.status), r.doc_id, r.error))
        meta["backend"] = backend.name
    result = score_run(gold, run)
    print_eval(result, meta, Console(), err, quiet=args.quiet)
    if args.report:
        for path in write_reports(result, args.report, meta):
            err.print(f"wrote {escape(str(path))}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from .report.export import export

    n = export(output_lines(args.pred), args.out, args.format)
    err.print(f"wrote {n} rows to {args.out}")
    return 0


def _summary(args: argparse.Namespace) -> int:
    from .report.summary import summarise, summary_tables, write_summary_html

    data = summarise(output_lines(args.pred))
    Console().print(*summary_tables(data))
    if args.html:
        err.print(f"wrote {write_summary_html(data, args.html, str(args.pred))}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
