"""A model that knows the answers: an OpenAI-compatible server that answers from gold files.

The scripted server (:mod:`support.fake_openai`) plays a model whose answers
a test writes by hand.  To test the LLM path end to end on real notices
(grounding, re-asks, merge, scoring) a test needs a model whose answers are
*right*, quoted from the notice the way a good model quotes it, and then
wrong in controlled, reproducible ways.  This module builds those answers
from the gold records:

* :func:`answer_from_gold` gives each gold value a quote cut from the notice
  that ``ground`` accepts (the value is readable from it and it carries the
  field's trigger word); with ``p``/``q`` it swaps numbers for other numbers
  of the same sentence or leaves fields out, seeded so runs repeat.
* :func:`invented_answer_for` gives confident values that no notice supports.
* :class:`GoldServer` serves them over HTTP in every instructor mode,
  recognising which notice (or excerpt of one) a request carries.

A gold value for which no acceptable quote exists is left out and listed by
:func:`unquoted`: that is a value a perfect model could not get grounded,
i.e. a gap in grounding (or in the gold file) that the project must look at.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import re
import threading
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, Literal

from llm_extract import rules
from llm_extract.fields import Kind, of_kind
from llm_extract.merge import grounding_regions, merge
from llm_extract.score.scoring import evaluate
from llm_extract.ground import TRIGGERS, ground, without_brackets
from llm_extract.text import (DATE_RE, DAY_FIRST_RE, MONEY_UNIT, NUMBER, fold, page_date, parse_money, parse_number,
                              resolve_date)
from support.fake_openai import ScriptedServer


Mode = Literal["gold", "noisy", "invent"]
Span = tuple[int, int]

MONEY_PATHS = of_kind(Kind.money)
DATE_PATHS = of_kind(Kind.date)
#: Counts and money: the fields whose numbers the noise swaps.
NUMERIC_PATHS = frozenset(TRIGGERS) | MONEY_PATHS
LIST_PATHS = ("sections", "contact.phones", "contact.emails")
_TYPE_WORDS = {"follow_up": "回头看", "special": "专项", "mobile": "机动", "routine": "常规"}
#: Clause stops; a comma between digits (1,234) is part of a number, not a stop.
_CLAUSE_STOP = re.compile(r"[，。；;、\n]|(?<!\d),|,(?!\d{3}(?!\d))")
_SENTENCE_STOP = re.compile(r"[。！？!?\n]")
_NUMBER_RE = re.compile(NUMBER)
_MONEY_RE = re.compile(rf"(?P<n>{NUMBER})\s*(?:余|多)?(?P<u>{MONEY_UNIT})")
#: A Chinese numeral is only taken for a swap when a measure word follows (一是, 万亩 are not figures).
_MEASURED = re.compile(r"\s*(?:个|项|条|人|件|名|家|次|批|起|方面)")
_UNSPECIFIED = re.compile(r"对[^，,。；;、\n]{1,40}?(?:开展|进行)了?[^，,。；;、\n]{0,8}?(?:巡视|巡察)")
_QUOTE_MARKS = dict.fromkeys(map(ord, "\"'“”‘’「」『』"), None)


def _norm(s: str) -> str:
    """How ``ground`` compares a string value with its quote: NFKC, no whitespace, no quote marks."""
    return "".join(unicodedata.normalize("NFKC", s).split()).translate(_QUOTE_MARKS)


# --- the notice's pieces ---------------------------------------------------


class _Text:
    """One notice cut into clauses, sentences and numbers, computed once per text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = fold(text)
        self._clause = [m.start() for m in _CLAUSE_STOP.finditer(self.folded)]
        self._sentence = [m.start() for m in _SENTENCE_STOP.finditer(self.folded)]
        self._line = [i for i, ch in enumerate(text) if ch == "\n"]
        self.numbers: list[tuple[int, int, Decimal]] = []
        for m in _NUMBER_RE.finditer(self.folded):
            n = parse_number(m.group(0))
            if n is not None:
                self.numbers.append((m.start(), m.end(), n))
        self.money: list[tuple[int, int, float]] = []
        for m in _MONEY_RE.finditer(self.folded):
            yuan = parse_money(m.group("n"), m.group("u"))
            if yuan is not None:
                self.money.append((m.start(), m.end(), float(yuan)))

    def _around(self, stops: list[int], start: int, end: int) -> Span:
        i = bisect_left(stops, start)
        s = stops[i - 1] + 1 if i else 0
        j = bisect_left(stops, end)
        e = stops[j] if j < len(stops) else len(self.text)
        while s < e and self.text[s].isspace():
            s += 1
        while e > s and self.text[e - 1].isspace():
            e -= 1
        return s, e

    def clause(self, start: int, end: int) -> Span:
        """The span between the clause stops around ``start:end`` (its own stops excluded)."""
        return self._around(self._clause, start, end)

    def sentence(self, start: int, end: int) -> Span:
        return self._around(self._sentence, start, end)

    def line(self, start: int, end: int) -> Span:
        return self._around(self._line, start, end)

    def pieces(self) -> Iterator[Span]:
        """Every clause, sentence, line and pair of lines: the quotes a string value may take.

        A pair of lines holds a title that a page broke in two.
        """
        for stops in (self._clause, self._sentence, self._line):
            bounds = [-1, *stops, len(self.text)]
            for a, b in zip(bounds, bounds[1:]):
                if b - a > 1:
                    yield self._around(stops, a + 1, a + 1)
        bounds = [-1, *self._line, len(self.text)]
        for a, c in zip(bounds, bounds[2:]):
            if c - a > 2:
                yield self._around(self._line, a + 1, c - 1)


@functools.lru_cache(maxsize=64)
def _pieces(text: str) -> _Text:
    return _Text(text)


# --- quotes for each kind of value -----------------------------------------


def _accepted(text: str, path: str, value: Any, quote: str) -> bool:
    """Whether the project's own ``ground`` takes ``value`` with ``quote``: the one test that counts."""
    node: dict[str, Any] = {"value": value, "quote": quote}
    for part in reversed(path.split(".")):
        node = {part: node}
    _, errors = ground(node, text)
    return not errors


def _number_quotes(t: _Text, path: str, value: float) -> list[Span]:
    """Clauses (else sentences) holding the value's written form and the field's trigger, best first.

    Best: a clause rather than a widened sentence, then (for outcomes) the
    line that names the most kinds of outcome (the summary paragraph, not a
    sub-measure deep in the body), then the trigger nearest the number.
    """
    trigger = re.compile(TRIGGERS.get(path, "."))
    outcome_words = [re.compile(w) for p, w in TRIGGERS.items() if p.startswith("outcomes.") and p.count(".") == 1]
    if path in MONEY_PATHS:
        hits = [(s, e) for s, e, yuan in t.money if abs(yuan - value) <= 1]
    else:
        hits = [(s, e) for s, e, n in t.numbers if float(n) == value]
    ranked: list[tuple[tuple[int, int, int, int], Span]] = []
    for s, e in hits:
        for widened, (a, b) in enumerate((t.clause(s, e), t.sentence(s, e))):
            found = [m.span() for m in trigger.finditer(t.folded, a, b)]
            if found:
                gap = min(max(ts - e, s - te, 0) for ts, te in found)
                score = 0
                if path.startswith("outcomes."):
                    la, lb = t.line(s, e)
                    score = sum(1 for w in outcome_words if w.search(t.folded, la, lb))
                ranked.append(((widened, -score, gap, s), (a, b)))
                break
    return [span for _, span in sorted(ranked)]


def _date_quotes(t: _Text, path: str, want: date) -> list[Span]:
    """The date as the text writes it, reading missing years as SPEC.md says; the signature's date last-first."""
    exact, loose = [], []
    anchor: date | None = None
    for m in DATE_RE.finditer(t.folded):
        got, has_year = resolve_date(m, anchor)
        if got == want:
            exact.append(m.span())
        elif not has_year:  # ground reads a date without a year by its month and day
            other, _ = resolve_date(m, date(want.year, 1, 1))
            if other is not None and (other.month, other.day) == (want.month, want.day):
                loose.append(m.span())
        if got is not None:
            anchor = got
    exact += [m.span() for m in DAY_FIRST_RE.finditer(t.folded) if page_date(m) == want]
    if path == "publish_date":
        exact.reverse()
    return [(a, a + len(t.text[a:b].rstrip())) for a, b in exact + loose]  # DATE_RE takes trailing blanks


def _type_quotes(t: _Text, value: str) -> list[Span]:
    word = _TYPE_WORDS.get(value)
    if word is None:  # unspecified: the opening's 对…开展了巡视
        return [m.span() for m in _UNSPECIFIED.finditer(t.folded)]
    spans = [t.clause(m.start(), m.end()) for m in re.finditer(word, t.folded)]
    return sorted(spans, key=lambda sp: (not re.search("巡视|巡察", t.folded[sp[0]:sp[1]]), sp[0]))


def _string_quotes(t: _Text, value: str) -> list[Span]:
    """The value itself where the text has it verbatim, else the shortest piece holding it.

    Holding it: up to SPEC.md's string normal form, or once bracketed
    additions are removed (雲嶺省衛(wèi)生健康委員會 holds 雲嶺省衛生健康委員會).
    """
    spans = [(m.start(), m.end()) for m in re.finditer(re.escape(value), t.text)] if value else []
    if not spans:
        want = _norm(value)
        holding = [sp for sp in t.pieces() if want and (
            want in _norm(t.text[sp[0]:sp[1]]) or want in _norm(without_brackets(t.text[sp[0]:sp[1]])[0]))]
        spans = sorted(holding, key=lambda sp: (sp[1] - sp[0], sp[0]))[:5]
    return spans


def _quote(t: _Text, path: str, value: Any, gold: dict[str, Any]) -> Span | None:
    """The best span of the text that ``ground`` accepts for ``value``, or ``None``."""
    if path in DATE_PATHS:
        spans = _date_quotes(t, path, date.fromisoformat(str(value)))
    elif path == "inspection_type":
        spans = _type_quotes(t, str(value))
    elif path == "team_number":  # the team's name carries its ordinal
        body = gold.get("inspection_body") or ""
        spans = _string_quotes(t, body) if body else []
        spans += _number_quotes(t, path, float(value))
    elif path in NUMERIC_PATHS:
        spans = _number_quotes(t, path, float(value))
    else:
        spans = _string_quotes(t, str(value))
    for a, b in spans[:40]:
        if _accepted(t.text, path, value, t.text[a:b]):
            return a, b
    return None


# --- answers ---------------------------------------------------------------


def _scalars(node: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every non-null scalar of a gold record as (dotted path, value), in the record's order."""
    for key, value in node.items():
        path = prefix + key
        if path in LIST_PATHS or value is None:
            continue
        if isinstance(value, dict):
            yield from _scalars(value, path + ".")
        else:
            yield path, value


def _put(answer: dict[str, Any], path: str, leaf: Any) -> None:
    *parents, last = path.split(".")
    node = answer
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = leaf


@functools.lru_cache(maxsize=64)
def _clean(text: str, gold_json: str) -> tuple[tuple[tuple[str, Any, Span | None], ...], tuple[str, ...]]:
    """Each gold scalar with its quote span (``None`` where none is acceptable); cached, the noise is not."""
    gold = json.loads(gold_json)
    t = _pieces(text)
    quoted = tuple((path, value, _quote(t, path, value, gold)) for path, value in _scalars(gold))
    return quoted, tuple(path for path, _, span in quoted if span is None)


def _other_numbers(t: _Text, path: str, value: float, span: Span) -> list[float]:
    """The other figures of the sentence a quote stands in: what a careless model picks up instead."""
    a, b = t.sentence(*span)
    if path in MONEY_PATHS:
        found = {yuan for s, e, yuan in t.money if a <= s and e <= b}
    else:
        found = {float(n) for s, e, n in t.numbers
                 if a <= s and e <= b and n == n.to_integral_value() and n > 0
                 and (t.folded[s].isdigit() or _MEASURED.match(t.folded, e))}
    return sorted(v for v in found if abs(v - value) > 1)


def build_answer(text: str, gold: dict[str, Any], *, p: float = 0.0, q: float = 0.0,
                 seed: int = 0) -> tuple[dict[str, Any], list[str]]:
    """:func:`answer_from_gold` and the gold paths it could find no acceptable quote for."""
    quoted, missing = _clean(text, json.dumps(gold, ensure_ascii=False))
    t = _pieces(text)
    doc = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    answer: dict[str, Any] = {}
    for path, value, span in quoted:
        # per notice and field: one field's luck never shifts another's, and seeds differ across notices
        rng = random.Random(f"{seed}\0{doc}\0{path}")
        drop, swap = rng.random() < q, rng.random() < p
        if span is None or drop:
            continue
        quote = text[span[0]:span[1]]
        if swap and path in NUMERIC_PATHS:
            others = _other_numbers(t, path, float(value), span)
            if others:
                new = rng.choice(others)
                value = int(new) if float(new).is_integer() else new
                # a fallible model quotes the sentence it took the figure from, so the swap grounds
                a, b = t.sentence(*span)
                if _accepted(text, path, value, text[a:b]):
                    quote = text[a:b]
        _put(answer, path, {"value": value, "quote": quote})
    contact = gold.get("contact") or {}
    for key, values in (("sections", gold.get("sections")), ("phones", contact.get("phones")),
                        ("emails", contact.get("emails"))):
        if not values or random.Random(f"{seed}\0{doc}\0{key}").random() < q:
            continue
        if key == "sections":
            answer["sections"] = [{"title": s["title"], "items": list(s.get("items") or [])} for s in values]
        else:
            answer.setdefault("contact", {})[key] = list(values)
    return answer, list(missing)


def answer_from_gold(text: str, gold: dict[str, Any], *, p: float = 0.0, q: float = 0.0,
                     seed: int = 0) -> dict[str, Any]:
    """The answer a model that knows the right record would give, every value quoted from ``text``.

    With ``p`` each count or sum of money takes another figure of the same
    sentence instead, quoting that whole sentence as a fallible model would
    (so the swap passes grounding and only the merge's evidence can catch
    it); with ``q`` each field is left out.  The same ``seed`` gives the
    same answer; each field draws its own luck, so a setting's noise on one
    field does not depend on the others.
    """
    return build_answer(text, gold, p=p, q=q, seed=seed)[0]


def unquoted(text: str, gold: dict[str, Any]) -> list[str]:
    """Gold paths no acceptable quote could be built for: grounding gaps to look at."""
    return build_answer(text, gold)[1]


_PLACES = ["子虚", "乌有", "华胥", "无何有", "桃源", "蓬壶", "云梦", "瀛洲", "方丈", "青丘"]


def invented_answer_for(text: str) -> dict[str, Any]:
    """Schema-valid and confident, and not in the notice: a model that makes things up.

    Varied per document (seeded by the text's hash), so a test over many
    notices does not see one fixed answer that a cache or a dedup could hide.
    """
    rng = random.Random(hashlib.sha256(text.encode("utf-8")).hexdigest())
    place = rng.choice([p for p in _PLACES if p not in text] or ["虚构"]) + rng.choice(["市", "县", "区"])

    def absent(low: int, high: int) -> int:
        while True:
            n = rng.randint(low, high)
            if str(n) not in text:
                return n

    team = absent(21, 99)
    year = rng.randint(1990, 2005)
    start, end = date(year, rng.randint(1, 5), rng.randint(1, 28)), date(year, rng.randint(7, 11), rng.randint(1, 28))
    problems, measures, party, yuan = absent(300, 899), absent(900, 1999), absent(2000, 9999), absent(10, 9999) * 10_000
    g = lambda v, quote: {"value": v, "quote": quote}  # noqa: E731
    return {
        "title": g(f"中共{place}委关于虚构巡视整改情况的通报", f"中共{place}委关于虚构巡视整改情况的通报"),
        "issuer": g(f"中共{place}委", f"中共{place}委"),
        "target": g(place, f"对{place}开展了巡视"),
        "inspection_body": g(f"省委第{team}巡视组", f"省委第{team}巡视组"),
        "team_number": g(team, f"省委第{team}巡视组"),
        "inspection_type": g("special", f"对{place}开展了专项巡视"),
        "inspection_start": g(start.isoformat(), f"{start.year}年{start.month}月{start.day}日"),
        "inspection_end": g(end.isoformat(), f"{end.year}年{end.month}月{end.day}日"),
        "plan": {"problems": g(problems, f"{problems}个具体问题"), "measures": g(measures, f"{measures}条整改措施")},
        "outcomes": {"party_discipline": g(party, f"给予党纪处分{party}人"),
                     "funds_returned": g(yuan, f"清退款项{yuan // 10_000}万元")},
        "sections": [{"title": f"{place}虚构的问题", "items": [f"{place}虚构的条目"]}],
        "contact": {"phones": [f"0{absent(100, 999)}-{absent(10_000_000, 99_999_999)}"],
                    "emails": [f"{place.encode('utf-8').hex()[:8]}@example.invalid"]},
    }


# --- scoring the merge against the gold model ---------------------------------


@dataclass(frozen=True)
class MergeScores:
    """Micro F1 over every value (SPEC.md's scoring) of one setting of the gold model, averaged over seeds.

    ``model`` is the grounded answer alone (what grounding lets through, no
    merge), ``rules`` the rules backend's record, ``merged`` what
    :func:`llm_extract.merge.settle` makes of both; ``from_model`` counts
    the fields the merged records took from the model (under ``invent``,
    every one of them an invented value).
    """

    model: float
    rules: float
    merged: float
    from_model: int


def merge_scores(pairs: list[tuple[str, str, dict[str, Any]]], mode: Mode = "gold", *, p: float = 0.0,
                 q: float = 0.0, seeds: int = 1) -> MergeScores:
    """Ground and merge the gold model's answer to every notice in-process, and score the three records.

    What the live route does after its last re-ask: the server answers the
    same at temperature 0, so what grounding refuses here is what stays
    refused there (``tests/test_merge.py`` checks one notice over HTTP).
    """
    golds = {stem: gold for stem, _, gold in pairs}
    readings = {stem: rules.read(text) for stem, text, _ in pairs}
    rules_f1 = evaluate(golds, {s: r.extraction.record_json() for s, r in readings.items()}).overall.f1
    runs = seeds if mode == "noisy" else 1
    model_f1 = merged_f1 = 0.0
    taken = 0
    for seed in range(runs):
        model, merged = {}, {}
        for stem, text, gold in pairs:
            answer = invented_answer_for(text) if mode == "invent" else answer_from_gold(
                text, gold, p=p if mode == "noisy" else 0.0, q=q if mode == "noisy" else 0.0, seed=seed)
            grounded, _ = ground(answer, text, grounding_regions(readings[stem].landmarks))
            final, sources = merge(readings[stem], grounded)
            model[stem], merged[stem] = grounded.record_json(), final.record_json()
            taken += sum(1 for src in sources.values() if src.startswith("model") and src != "model:null")
        model_f1 += evaluate(golds, model).overall.f1 / runs
        merged_f1 += evaluate(golds, merged).overall.f1 / runs
    return MergeScores(model=model_f1, rules=rules_f1, merged=merged_f1, from_model=taken)


# --- the server ------------------------------------------------------------


def gold_pairs(gold_dir: Path, notice_dirs: list[Path]) -> list[tuple[str, str, dict[str, Any]]]:
    """(stem, text, gold) for every gold file whose notice ``<stem>.txt`` is in one of ``notice_dirs``."""
    out = []
    for path in sorted(Path(gold_dir).glob("*.json")):
        for folder in notice_dirs:
            notice = Path(folder) / f"{path.stem}.txt"
            if notice.is_file():
                out.append((path.stem, notice.read_text(encoding="utf-8"), json.loads(path.read_text(encoding="utf-8"))))
                break
    return out


def _user_text(body: dict[str, Any]) -> str:
    """All the user messages' text (a re-ask adds more; the first one carries the notice)."""
    parts = []
    for message in body.get("messages") or []:
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts += [c.get("text", "") for c in content if isinstance(c, dict)]
    return "\n".join(parts)


class GoldServer:
    """An OpenAI-compatible server on 127.0.0.1 that answers from gold records.

    ``mode``: ``gold`` (every value right and quoted), ``noisy`` (the gold
    answer with ``p``/``q`` noise under ``seed``) or ``invent`` (made-up
    values).  Each request is matched to the notice it carries; the answer
    is built once per notice, so a re-ask gets the same answer, as from a
    model at temperature 0.  An unknown notice gets ``{}``.

    Use it as :class:`ScriptedServer` is used::

        with GoldServer([(text, gold)], "noisy", p=0.2, q=0.1, seed=1) as srv:
            LLMBackend(BackendConfig(name="gold", base_url=srv.base_url, model="gold")).extract(doc)
    """

    def __init__(self, pairs: list[tuple[str, dict[str, Any]]], mode: Mode = "gold", p: float = 0.0,
                 q: float = 0.0, seed: int = 0) -> None:
        if mode not in ("gold", "noisy", "invent"):
            raise ValueError(f"mode must be gold, noisy or invent, not {mode!r}")
        self.pairs = list(pairs)
        self.mode, self.seed = mode, seed
        self.p, self.q = (p, q) if mode == "noisy" else (0.0, 0.0)
        self.matched: list[int | None] = []  # which notice each request was taken for
        self._answers: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._heads = [text.lstrip()[:80] for text, _ in self.pairs]
        # Excerpts cut long lines at their first 。 or a length limit: a line's first 40 characters identify it.
        self._lines = [{line.strip()[:40] for line in text.splitlines() if len(line.strip()) >= 10}
                       for text, _ in self.pairs]
        self._server = ScriptedServer(default=self._respond)

    def __enter__(self) -> "GoldServer":
        self._server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.__exit__(*exc)

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self._server.requests

    @property
    def count(self) -> int:
        return self._server.count

    def find_notice(self, message: str) -> int | None:
        """Which notice ``message`` carries: by its opening 80 characters, else by most lines present."""
        by_lines = lambda i: sum(1 for line in self._lines[i] if line in message)  # noqa: E731
        heads = [i for i, head in enumerate(self._heads) if head and head in message]
        if len(heads) == 1:
            return heads[0]
        candidates = heads or list(range(len(self.pairs)))
        best = max(candidates, key=by_lines, default=None)
        return best if best is not None and by_lines(best) > 0 else None

    def answer_for(self, index: int | None) -> dict[str, Any]:
        if index is None:
            return {}
        with self._lock:
            if index not in self._answers:
                text, gold = self.pairs[index]
                self._answers[index] = (invented_answer_for(text) if self.mode == "invent" else
                                        answer_from_gold(text, gold, p=self.p, q=self.q, seed=self.seed))
            return self._answers[index]

    def _respond(self, body: dict[str, Any]) -> dict[str, Any]:
        index = self.find_notice(_user_text(body))
        with self._lock:
            self.matched.append(index)
        answer = self.answer_for(index)
        if body.get("tools") or body.get("response_format"):
            return {"json": answer}  # tool call for TOOLS, message content for JSON_SCHEMA and JSON
        # MD_JSON sends neither tools nor a response_format and asks for a ```json block
        return {"content": "```json\n" + json.dumps(answer, ensure_ascii=False, indent=1) + "\n```"}
