"""The command line's option types and parser, kept out of ``cli`` so it stays parser-and-dispatch only.

A mistyped option is answered in the sub-command's own usage with the option
most likely meant; counts and shards are checked where they are parsed, so
the message names the part that is wrong.
"""

from __future__ import annotations

import argparse
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Sequence

from .run import Shard


class Parser(argparse.ArgumentParser):
    """Rejects an unknown option in the sub-command's own usage, suggesting the option meant."""

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> argparse.Namespace:  # type: ignore[override]
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            sub = self._sub_parser(parsed)
            known = [o for a in sub._actions for o in a.option_strings]
            near = get_close_matches(extra[0].split("=")[0], known, n=1, cutoff=0.5)
            sub.error(f"unrecognized argument {extra[0]}" + (f"; did you mean {near[0]}?" if near else ""))
        return parsed

    def _sub_parser(self, parsed: argparse.Namespace) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = self
        for dest in ("command", "batch_command"):
            action = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
            if action is None or getattr(parsed, dest, None) not in action.choices:
                break
            parser = action.choices[getattr(parsed, dest)]
        return parser


def count(text: str) -> int:
    """``--concurrency``: a whole number of documents in flight, at least 1."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes a whole number, not {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {n}")
    return n


def shard(text: str) -> Shard:
    """``--shard I/N``: N at least 1 and I in 0..N-1, each named when wrong (:meth:`Shard.parse`)."""
    try:
        return Shard.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    """The options of a command that runs a backend: config, concurrency, fail-fast override, answer cache."""
    parser.add_argument("--config", type=Path, default=None, help="backends config (default: ./llm_extract.toml if present)")
    parser.add_argument("--concurrency", type=count, default=None, help="documents in flight (default: the backend's)")
    parser.add_argument("--allow-fallback", action="store_true",
                        help="run even when the backend's key is unset or its server silent (records fall back to rules)")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write cached model answers")
    parser.add_argument("--cache", type=Path, default=None, help="answer cache file (default .llm_extract_cache/answers.sqlite)")

