"""``llm-extract``: a thin command line over the library.

Exit codes: 0 when every input was processed (failed documents are output
lines with status ``error``); 2 for bad usage or a run that could not go on
(unknown backend, unwritable output, missing gold).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from . import __version__
from .backends import DocResult
from .config import ConfigError, resolve_backend
from .documents import iter_documents
from .pipeline import JsonlWriter, OutputError, RunSummary, extract_one, read_predictions
from .report import print_report, write_reports
from .schema import json_schema_text
from .scoring import evaluate

err = Console(stderr=True)


class UsageError(Exception):
    """The run cannot go on; exit 2 with this message."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="llm-extract", description="Extract grounded records from 巡视/巡察整改 notices.")
    p.add_argument("--version", action="version", version=f"llm-extract {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    ex = sub.add_parser("extract", help="extract records from files, folders or JSONL")
    ex.add_argument("paths", nargs="+", metavar="PATH", help="a .txt/.html file, a folder of them, or a .jsonl of {id, text}")
    ex.add_argument("--backend", default="rules", help="backend name (default: rules, offline)")
    ex.add_argument("--config", type=Path, default=None, help="backends config (default: ./llm_extract.toml if present)")
    ex.add_argument("--out", default="-", help="output JSONL file (default: standard output)")
    ex.add_argument("--quiet", action="store_true", help="no progress bar or summary table")
    ex.add_argument("--strict", action="store_true",
                    help="exit 1 when any input ended with status error (for pipelines that must stop)")
    ex.add_argument("--retry-errors", action="store_true", help="redo documents whose earlier line is an error")
    ex.add_argument("--overwrite", action="store_true", help="start the output afresh instead of resuming it")
    ex.add_argument("--concurrency", type=int, default=None, help="documents in flight (default: the backend's)")
    ex.add_argument("--shard", default=None, metavar="I/N", help="take only this machine's share of the inputs")
    ex.add_argument("--no-cache", action="store_true", help="do not read or write cached model answers")
    ex.add_argument("--cache", type=Path, default=None, help="answer cache file (default .llm_extract_cache/answers.sqlite)")

    ev = sub.add_parser("eval", help="score predictions (or a backend) against gold files")
    ev.add_argument("--gold", type=Path, required=True, help="folder of gold/<notice>.json")
    src = ev.add_mutually_exclusive_group(required=True)
    src.add_argument("--pred", type=Path, help="output JSONL of `llm-extract extract`")
    src.add_argument("--backend", help="extract the gold notices with this backend, then score")
    ev.add_argument("--notices", type=Path, default=None,
                    help="where the gold notices' texts are (default: the notices/ folder beside --gold)")
    ev.add_argument("--config", type=Path, default=None)
    ev.add_argument("--report", type=Path, default=None, help="write report.json and report.md here")
    ev.add_argument("--no-cache", action="store_true", help="do not read or write cached model answers")
    ev.add_argument("--cache", type=Path, default=None)
    ev.add_argument("--quiet", action="store_true")

    cp = sub.add_parser("compare", help="compare two runs against gold: per-field deltas, notices better and worse")
    cp.add_argument("a", type=Path, metavar="A.jsonl")
    cp.add_argument("b", type=Path, metavar="B.jsonl")
    cp.add_argument("--gold", type=Path, required=True)
    cp.add_argument("--report", type=Path, default=None, help="write compare.json, .md and .html here")

    rv = sub.add_parser("review", help="one HTML page per notice with every value highlighted in its text")
    rv.add_argument("pred", type=Path, metavar="FILE.jsonl")
    rv.add_argument("--out", type=Path, required=True)
    rv.add_argument("--gold", type=Path, default=None, help="mark the differences from these gold files")

    sh = sub.add_parser("show", help="print the records of an output JSONL as a table, one row per notice")
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

    bk = sub.add_parser("backends", help="list backends and whether each is usable now")
    bk.add_argument("--config", type=Path, default=None)
    bk.add_argument("--no-probe", action="store_true", help="do not ask servers whether they answer")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {"schema": _schema, "extract": _extract, "eval": _eval, "backends": _backends, "batch": _batch,
                "compare": _compare, "review": _review, "show": _show}
    try:
        return commands[args.command](args)
    except (UsageError, ConfigError, OutputError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        return 2
    except KeyboardInterrupt:
        err.print("[yellow]interrupted: every finished document is in the output; run again to resume[/yellow]")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)  # do not wait for requests still in flight: their documents are redone on resume


def _show(args: argparse.Namespace) -> int:
    """Each notice's main facts, one small table per notice (readable in 80 columns)."""
    if not args.pred.is_file():
        raise UsageError(f"no output file {args.pred}")
    console = Console()

    def v(x: Any) -> str:
        return "—" if x is None else str(x)

    with args.pred.open(encoding="utf-8") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            line = json.loads(raw)
            r = line.get("record") or {}
            o, p, c = r.get("outcomes") or {}, r.get("plan") or {}, r.get("contact") or {}
            sections = r.get("sections") or []
            table = Table(title=f"{line.get('doc')} · {line.get('status')}", show_header=False, title_justify="left")
            table.add_column("field", style="dim", no_wrap=True)
            table.add_column("value", overflow="fold")
            if line.get("error"):
                table.add_row("error", str(line["error"]))
            for name, value in (
                ("issuer · target", f"{v(r.get('issuer'))} · {v(r.get('target'))}"),
                ("team · type", f"{v(r.get('inspection_body'))} · {v(r.get('inspection_type'))} · round {v(r.get('round'))}"),
                ("dates", f"on site {v(r.get('inspection_start'))} to {v(r.get('inspection_end'))}, feedback "
                          f"{v(r.get('feedback_date'))}, published {v(r.get('publish_date'))}"),
                ("plan", f"{v(p.get('problem_areas'))} areas, {v(p.get('problems'))} problems, "
                         f"{v(p.get('measures'))} measures, {v(p.get('problems_rectified'))} rectified"),
                ("discipline", f"党纪 {v(o.get('party_discipline'))}, 政务 {v(o.get('government_discipline'))}, "
                               f"合并 {v(o.get('combined_discipline'))}, 组织处理 {v(o.get('organizational_handling'))}, "
                               f"诫勉 {v(o.get('admonishment'))}, 教育提醒 {v(o.get('education_reminder'))}"),
                ("money (yuan)", f"清退 {v(o.get('funds_returned'))}, 收缴 {v(o.get('funds_confiscated'))}, "
                                 f"挽回 {v(o.get('losses_recovered'))}"),
                ("findings", f"{len(sections)} with {sum(len(x.get('items') or []) for x in sections)} items"
                             + (f"; first: {sections[0]['title']}" if sections else "")),
                ("contact", ", ".join([*c.get("phones", []), *c.get("emails", [])]) or "—"),
            ):
                table.add_row(name, value)
            console.print(table)
    return 0


def _schema(_: argparse.Namespace) -> int:
    print(json_schema_text())
    return 0


def _progress(quiet: bool) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), console=err, disable=quiet,
                    transient=False)


def _run_to(handle: Any, paths: list[str], backend: Any, quiet: bool) -> RunSummary:
    items = list(iter_documents(paths))
    summary = RunSummary()
    writer = JsonlWriter(handle)
    with _progress(quiet) as progress:
        task = progress.add_task("extracting", total=len(items), counts="")
        for item in items:
            result: DocResult = extract_one(backend, item)
            writer.write(result.to_line())
            summary.add(result.status)
            if result.status == "error" and not quiet:
                progress.console.print(f"[red]{result.doc_id}[/red]: {result.error}")
            progress.update(task, advance=1, counts=" ".join(f"{k} {v}" for k, v in sorted(summary.counts.items())))
    return summary


def _summary_table(summary: RunSummary, backend: str, out: str) -> None:
    table = Table(title=f"llm-extract · backend {backend} → {out}")
    table.add_column("status")
    table.add_column("documents", justify="right")
    for status, n in sorted(summary.counts.items()):
        table.add_row(status, str(n))
    table.add_row("[bold]total[/bold]", f"[bold]{summary.lines + summary.counts.get('skipped', 0)}[/bold]")
    for key, value in (summary.usage or {}).items():
        table.add_row(f"[dim]{key}[/dim]", f"{value:,.4f}" if key == "cost" else f"{int(value):,}")
    err.print(table)


def _extract(args: argparse.Namespace) -> int:
    backend = resolve_backend(args.backend, args.config)
    _attach_cache(backend, args)
    if args.out == "-":
        summary = _run_to(sys.stdout, list(args.paths), backend, args.quiet)
    else:
        summary = _run_file(args, backend)
    if not args.quiet:
        _summary_table(summary, backend.name, args.out)
    if args.strict and summary.counts.get("error"):
        err.print(f"[red]--strict: {summary.counts['error']} input(s) failed[/red]")
        return 1
    return 0


def _attach_cache(backend: Any, args: argparse.Namespace) -> None:
    if hasattr(backend, "cache") and not getattr(args, "no_cache", False):
        from .cache import DEFAULT_PATH, AnswerCache

        backend.cache = AnswerCache(args.cache or DEFAULT_PATH)


def _run_file(args: argparse.Namespace, backend: Any) -> RunSummary:
    from .runner import Shard, count_inputs, run_batch

    out = Path(args.out)
    try:
        shard = Shard.parse(args.shard) if args.shard else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.overwrite and out.exists():
        out.unlink()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.touch()
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    total = None if shard else count_inputs(args.paths)
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[rate]}"), TextColumn("{task.fields[counts]}"),
                        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=err,
                        disable=args.quiet)
    counts: dict[str, int] = {}
    started = time.monotonic()
    with progress:
        task = progress.add_task("extracting", total=total, counts="", rate="")

        def tick(status: str, doc: str, error: str | None = None) -> None:
            counts[status] = counts.get(status, 0) + 1
            done = sum(counts.values())
            rate = done / max(1e-9, time.monotonic() - started)
            progress.update(task, advance=1, rate=f"{rate:.1f}/s",
                            counts=" ".join(f"{k} {v}" for k, v in sorted(counts.items())))
            if status == "error" and error:
                progress.console.print(f"[red]{doc}[/red]: {error}")

        summary = run_batch(args.paths, backend, out, retry_errors=args.retry_errors, shard=shard,
                            concurrency=args.concurrency,
                            on_result=lambda r: tick(r.status, r.doc_id, r.error),
                            on_skip=lambda doc: tick("skipped", doc))
    summary.usage = _usage_of(out, backend)
    return summary


def _usage_of(out: Path, backend: Any) -> dict[str, float]:
    """Tokens and cost of this backend's lines in the output (the run and what it resumed)."""
    total: dict[str, float] = {}
    fingerprint = getattr(backend, "fingerprint", None)
    with out.open(encoding="utf-8") as handle:
        for raw in handle:
            try:
                line = json.loads(raw)
            except json.JSONDecodeError:
                continue
            if line.get("run") != fingerprint:
                continue
            for key, value in (line.get("usage") or {}).items():
                total[key] = total.get(key, 0) + value
            if line.get("cost") is not None:
                total["cost"] = total.get("cost", 0) + line["cost"]
    return total


def _backends(args: argparse.Namespace) -> int:
    from .config import backend_configs, load_config
    from .probe import probe

    table = Table(title="backends")
    for col in ("name", "model", "base_url", "mode", "key", "server", "usable"):
        table.add_column(col)
    table.add_row("rules", "—", "offline", "—", "not needed", "not needed", "[green]yes (default)[/green]")
    for name, cfg in backend_configs(load_config(args.config)).items():
        key_state = "not needed" if not cfg.api_key_env else (
            f"{cfg.api_key_env} set" if cfg.api_key() else f"[red]{cfg.api_key_env} unset[/red]")
        needs_key = bool(cfg.api_key_env) and not cfg.api_key()
        server = "not probed" if args.no_probe or needs_key else probe(cfg)
        usable = (not cfg.api_key_env or bool(cfg.api_key())) and (args.no_probe or server == "answering")
        table.add_row(name, cfg.model, cfg.base_url, cfg.mode, key_state, server,
                      "[green]yes[/green]" if usable else "no")
    Console().print(table)
    return 0


def _batch(args: argparse.Namespace) -> int:
    from . import batch
    from .client import LLMBackend

    backend = resolve_backend(args.backend, args.config)
    if not isinstance(backend, LLMBackend):
        raise UsageError("batch needs an LLM backend; the rules backend makes no requests")
    if args.batch_command == "submit":
        n, bad = batch.submit(args.paths, backend, args.out)
        for item in bad:
            err.print(f"[red]{item.id}[/red]: {item.error}")
        err.print(f"wrote {n} requests to {args.out}; upload it to the provider's Batch API, then run "
                  f"`llm-extract batch collect RESULTS.jsonl PATH... --backend {args.backend} --out FILE`")
        return 0
    if not args.results.is_file():
        raise UsageError(f"no batch results file {args.results}")
    summary = RunSummary()
    with args.out.open("w", encoding="utf-8") as handle:
        writer = JsonlWriter(handle)
        for result in batch.collect(args.results, args.paths, backend):
            writer.write(result.to_line())
            summary.add(result.status)
    _summary_table(summary, backend.name, str(args.out))
    return 0


def _predictions(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    if not path.is_file():
        raise UsageError(f"no predictions file {path}")
    try:
        return read_predictions(path)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _compare(args: argparse.Namespace) -> int:
    from .compare import compare_runs, print_comparison, write_comparison

    gold = _gold(args.gold)
    a, _ = _predictions(args.a)
    b, _ = _predictions(args.b)
    data = compare_runs(gold, a, b, (str(args.a), str(args.b)))
    print_comparison(data)
    if args.report:
        for path in write_comparison(data, args.report):
            err.print(f"wrote {path}")
    return 0


def _review(args: argparse.Namespace) -> int:
    from .documents import text_of_source
    from .html import review_index, review_page
    from .scoring import score_document

    if not args.pred.is_file():
        raise UsageError(f"no predictions file {args.pred}")
    gold = _gold(args.gold) if args.gold else {}
    args.out.mkdir(parents=True, exist_ok=True)
    entries = []
    with args.pred.open(encoding="utf-8") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            line = json.loads(raw)
            doc = str(line.get("doc"))
            text = text_of_source(line.get("source"))
            if text is None:
                err.print(f"[yellow]{doc}[/yellow]: its text ({line.get('source')}) cannot be read; page shows the record only")
                text = ""
            diffs: dict[str, tuple[Any, Any]] = {}
            if doc in gold:
                for d in score_document(doc, gold[doc], line.get("record")).differences:
                    diffs[d.field] = (d.gold, d.pred)
            name = "".join(c if c.isalnum() or c in "-_." else "_" for c in doc) + ".html"
            (args.out / name).write_text(review_page(line, text, diffs), encoding="utf-8")
            entries.append((doc, name, str(line.get("status")), len(diffs)))
    (args.out / "index.html").write_text(review_index(entries), encoding="utf-8")
    err.print(f"wrote {len(entries)} review pages and {args.out / 'index.html'}")
    return 0


def _gold(folder: Path) -> dict[str, dict[str, Any]]:
    if not folder.is_dir():
        raise UsageError(f"no gold folder {folder}")
    gold = {}
    for path in sorted(folder.glob("*.json")):
        try:
            gold[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise UsageError(f"gold file {path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    if not gold:
        raise UsageError(f"no gold files (*.json) in {folder}")
    return gold


def _notice_paths(gold: dict[str, Any], notices: Path) -> list[str]:
    paths = []
    for stem in gold:
        found = [p for p in (notices / f"{stem}{s}" for s in (".txt", ".html", ".htm")) if p.exists()]
        if not found:
            raise UsageError(f"no text for gold {stem} in {notices}")
        paths.append(str(found[0]))
    return paths


def _eval(args: argparse.Namespace) -> int:
    gold = _gold(args.gold)
    meta: dict[str, Any] = {"gold": str(args.gold)}
    if args.pred:
        if not args.pred.exists():
            raise UsageError(f"no predictions file {args.pred}")
        try:
            records, evidence = read_predictions(args.pred)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        meta["pred"] = str(args.pred)
    else:
        backend = resolve_backend(args.backend, args.config)
        _attach_cache(backend, args)
        notices = args.notices or args.gold.parent / "notices"
        records, evidence = {}, {}
        for path in _notice_paths(gold, notices):
            item = next(iter(iter_documents([path])))
            line = extract_one(backend, item).to_line()
            records[line["doc"]] = line["record"]
            evidence[line["doc"]] = line["evidence"]
        meta["backend"] = backend.name
    result = evaluate(gold, records, evidence)
    if not args.quiet:
        print_report(result, Console())
    else:
        o = result.overall
        print(f"value precision {o.precision:.3f} recall {o.recall:.3f} F1 {o.f1:.3f}")
    if args.report:
        for path in write_reports(result, args.report, meta):
            err.print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
