"""Reading notices: files, folders and JSONL, in whatever encoding sites serve.

The text a document carries is *the text as read*: decoded, and for HTML
reduced to its visible text.  Every evidence span indexes into exactly this
string, so it is what a reviewer must be shown.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from charset_normalizer import from_bytes

#: File endings read when a folder is given.
TEXT_SUFFIXES = (".txt", ".html", ".htm")
MAX_BYTES = 20 * 1024 * 1024


class InputError(ValueError):
    """A document that cannot be read; reported as one error line."""


@dataclass
class Document:
    id: str
    text: str
    source: str
    encoding: str = "utf-8"
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass
class BadInput:
    """A path or JSONL line that could not become a :class:`Document`."""

    id: str
    source: str
    error: str


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes) -> tuple[str, str]:
    """Decode bytes of unknown encoding; returns (text, encoding name).

    Order: a byte-order mark; strict UTF-8; BOM-less UTF-16 (every other
    byte zero); then charset-normalizer's best guess, checked against the
    Chinese encodings sites actually use.  Raises :class:`InputError` for
    binary data or text no candidate decodes.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError as exc:
                raise InputError(f"undecodable {name} text: {exc.reason} at byte {exc.start}") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for name in _utf16_guess(data):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text, name
    if b"\x00" in data[:8192]:
        raise InputError("binary file (NUL bytes, not text in any known encoding)")
    best = from_bytes(data[:200_000]).best()
    candidates = []
    if best is not None and best.encoding:
        candidates.append(best.encoding)
    candidates += ["gb18030", "big5"]
    for name in candidates:
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        if name in {"gb18030", "gbk", "gb2312", "big5", "cp950"} or _looks_like_text(text):
            return text, name
    raise InputError("not text: no encoding decodes it (tried UTF-8, UTF-16, GB18030, Big5)")


_UTF16_HIGH = frozenset([0x00, 0x20, 0x30, 0xFF, *range(0x4E, 0xA0)])


def _utf16_guess(data: bytes) -> list[str]:
    """BOM-less UTF-16: the high byte of nearly every code unit is ASCII's 00,
    CJK's 4E-9F, CJK punctuation's 30 or full-width's FF."""
    if len(data) < 4 or len(data) % 2:
        return []
    sample = data[:8192]
    out = []
    for offset, name in ((1, "utf-16-le"), (0, "utf-16-be")):
        high = sample[offset::2]
        if sum(b in _UTF16_HIGH for b in high) / len(high) >= 0.9:
            out.append(name)
    return out


def _looks_like_text(text: str) -> bool:
    if not text:
        return True
    bad = sum(1 for ch in text[:5000] if ord(ch) < 32 and ch not in "\r\n\t\f")
    return bad / min(len(text), 5000) < 0.01


_HTML_HINT = re.compile(r"<\s*(?:html|body|div|p|br|table|head|meta|span|!doctype)\b", re.I)
_BLOCK_TAGS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article",
               "title", "td", "ul", "ol", "header", "footer", "nav")


def looks_like_html(text: str) -> bool:
    return len(_HTML_HINT.findall(text[:20000])) >= 2


def html_to_text(html: str) -> str:
    """Visible text of a page, one line per block, scripts and styles dropped."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "iframe", "svg"]):
        tag.decompose()
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    text = soup.get_text()
    lines = [re.sub(r"[ \t\u3000\xa0]+", " ", line).strip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def text_from_bytes(data: bytes) -> tuple[str, str]:
    """Decode and, for a web page, reduce to text; returns (text, encoding)."""
    text, encoding = decode(data)
    if looks_like_html(text):
        text = html_to_text(text)
    return text, encoding


def read_file(path: Path) -> Document:
    """One file as a :class:`Document`; raises :class:`InputError`."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"file is {size} bytes, over the {MAX_BYTES} byte limit")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    text, encoding = text_from_bytes(data)
    return Document(id=path.stem, text=text, source=str(path), encoding=encoding)


def _jsonl_documents(path: Path) -> Iterator[Document | BadInput]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield BadInput(id=path.stem, source=str(path), error=f"cannot read: {exc.strerror or exc}")
        return
    with handle:
        for lineno, raw in enumerate(handle, 1):
            source = f"{path}:{lineno}"
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8-sig"))
                if not isinstance(obj, dict):
                    raise InputError("line is not a JSON object")
                doc_id = str(obj.get("id") if obj.get("id") is not None else f"{path.stem}:{lineno}")
                text = obj.get("text")
                if not isinstance(text, str):
                    raise InputError('no "text" string in the object')
                if looks_like_html(text):
                    text = html_to_text(text)
                yield Document(id=doc_id, text=text, source=source)
            except (ValueError, UnicodeDecodeError) as exc:
                yield BadInput(id=f"{path.stem}:{lineno}", source=source, error=f"bad JSONL line: {exc}")


def iter_documents(paths: list[str | Path]) -> Iterator[Document | BadInput]:
    """Every document under ``paths``: files, folders (``.txt``/``.html``) and ``.jsonl``.

    Never raises for one bad input: it is yielded as :class:`BadInput`, so a
    batch reports it and goes on.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES + (".jsonl",))
        elif path.exists():
            files = [path]
        else:
            yield BadInput(id=path.stem or str(path), source=str(path), error="no such file or folder")
            continue
        for file in files:
            if file.suffix.lower() == ".jsonl":
                yield from _jsonl_documents(file)
                continue
            try:
                yield read_file(file)
            except InputError as exc:
                yield BadInput(id=file.stem, source=str(file), error=str(exc))


def text_of_source(source: str | None) -> str | None:
    """The text as read of an output line's ``source`` (a file, or ``file.jsonl:LINE``), else ``None``."""
    if not source:
        return None
    path, _, lineno = source.rpartition(":")
    if path.endswith(".jsonl") and lineno.isdigit():
        for item in _jsonl_documents(Path(path)):
            if isinstance(item, Document) and item.source == source:
                return item.text
        return None
    try:
        return read_file(Path(source)).text
    except InputError:
        return None
