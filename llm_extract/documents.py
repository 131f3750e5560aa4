"""Reading notices: files, folders and JSONL, in whatever encoding sites serve.

The text a document carries is *the text as read*: decoded, and for HTML
reduced to its visible text.  Every evidence span indexes into exactly this
string, so it is what a reviewer must be shown.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import json
import logging
import os
import re
import stat
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Callable, Iterable, Iterator

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
    byte zero); then charset-normalizer's best guess and the Chinese
    encodings sites actually use.  A decoding counts only if the text it
    gives is text: binary is judged by the share of control characters
    *after* decoding, so one stray NUL in a GBK file does not make it binary.
    Raises :class:`InputError` for binary data or text no candidate decodes.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError as exc:
                raise InputError(f"undecodable {name} text: {exc.reason} at byte {exc.start}") from None
    decoded_binary = False
    for name in _candidates(data):
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        if _looks_like_text(text):
            return text, name
        decoded_binary = True
    if decoded_binary or b"\x00" in data[:8192]:
        raise InputError("binary file (control bytes throughout, not text in any known encoding)")
    raise InputError("not text: no encoding decodes it (tried UTF-8, UTF-16, GB18030, Big5)")


def _candidates(data: bytes) -> Iterator[str]:
    """Encodings to try, cheapest first: charset-normalizer is asked only when UTF-8 and UTF-16 fail."""
    yield "utf-8"
    yield from _utf16_guess(data)
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        yield best.encoding
    yield "gb18030"
    yield "big5"


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


#: C0 control characters no text file carries (tab, newlines and form feed are text).
_CONTROL = [chr(c) for c in (*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F)]


def _looks_like_text(text: str) -> bool:
    """At most 2% control characters (and a few in any case): a stray NUL is text, a PNG is not."""
    bad = sum(text.count(ch) for ch in _CONTROL)  # str.count: no copy of a 20 MB text
    return bad <= 4 or bad <= 0.02 * len(text)


_HTML_HINT = re.compile(r"<\s*(?:html|body|div|p|br|table|head|meta|span|!doctype)\b", re.I)
_BLOCK_TAGS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article",
               "title", "td", "ul", "ol", "header", "footer", "nav")


def looks_like_html(text: str) -> bool:
    return len(_HTML_HINT.findall(text[:20000])) >= 2


def html_to_text(html: str) -> str:
    """Visible text of a page, one line per block, scripts and styles dropped.

    A hand-rolled scanner rather than a tree (BeautifulSoup took 158 s on
    50,000 nested ``<div>`` elements) or :class:`html.parser.HTMLParser`
    (quadratic on unterminated tags such as ``<a `` repeated): every search
    starts where the last ended, so the time is linear in the page's length.
    """
    parts = _visible_parts(html)
    lines = [re.sub(r"[ \t\u3000\xa0]+", " ", line).strip() for line in "".join(parts).splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


_HIDDEN_TAGS = frozenset(["noscript", "template", "iframe", "svg"])  # their content is markup, not shown
_RAW_TAGS = frozenset(["script", "style"])  # their content is not markup: skipped to the end tag
_BLOCKS = frozenset(_BLOCK_TAGS)
_VOID = frozenset(["br"])
_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)")
_TAG_END = re.compile(r"[>\"']")


def _visible_parts(html: str) -> list[str]:
    """The page's shown text in pieces: data (entities decoded) and a newline at each block tag's start and end.

    Like a browser, an unterminated tag, comment or script at the end hides
    the rest of the page.
    """
    parts: list[str] = []
    hidden = 0  # depth inside noscript, template, iframe, svg
    i, n = 0, len(html)
    while i < n:
        j = html.find("<", i)
        if j < 0:
            j = n
        if j > i and not hidden:
            parts.append(unescape(html[i:j]))
        if j >= n:
            break
        tag = _TAG.match(html, j)
        if tag is None:
            i = _skip_markup(html, j, [] if hidden else parts)
            continue
        end = _tag_end(html, tag.end())
        if end < 0:
            break
        closing, name = tag.group(1) == "/", tag.group(2).lower()
        self_closing = html[end - 1] == "/"
        i = end + 1
        if name in _RAW_TAGS and not closing and not self_closing:
            close = re.compile(rf"</{name}\b", re.I).search(html, i)
            i = _tag_end(html, close.end()) + 1 if close else n
            if i == 0:  # the end tag itself never ends
                break
        elif name in _HIDDEN_TAGS:
            if not self_closing:
                hidden = max(0, hidden - 1) if closing else hidden + 1
        elif name in _BLOCKS and not hidden:
            parts.append("\n\n" if not closing and (self_closing or name in _VOID) else "\n")
    return parts


def _tag_end(html: str, i: int) -> int:
    """Index of the ``>`` closing the tag whose attributes start at ``i`` (quoted ``>`` skipped); -1 if none."""
    while True:
        m = _TAG_END.search(html, i)
        if m is None:
            return -1
        if m.group() == ">":
            return m.start()
        close = html.find(m.group(), m.end())
        if close < 0:
            return -1
        i = close + 1


def _skip_markup(html: str, j: int, parts: list[str]) -> int:
    """Past a comment, declaration, CDATA section or processing instruction at ``j``; a lone ``<`` is text."""
    if html.startswith("<!--", j):
        k = html.find("-->", j + 4)
        return len(html) if k < 0 else k + 3
    if html.startswith("<![CDATA[", j):
        k = html.find("]]>", j + 9)
        parts.append(html[j + 9:k if k >= 0 else len(html)])
        return len(html) if k < 0 else k + 3
    if html.startswith(("<!", "<?", "</"), j):
        k = html.find(">", j + 2)
        return len(html) if k < 0 else k + 1
    parts.append("<")
    return j + 1


def text_from_bytes(data: bytes) -> tuple[str, str]:
    """Decode and, for a web page, reduce to text; returns (text, encoding)."""
    text, encoding = decode(data)
    if looks_like_html(text):
        text = html_to_text(text)
    return text, encoding


def read_file(path: str | os.PathLike[str], doc_id: str | None = None) -> Document:
    """One file as a :class:`Document` (id ``doc_id``, else the file's stem); raises :class:`InputError`.

    At most :data:`MAX_BYTES` are read whatever the file claims, so a device
    or a growing file cannot fill memory.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"file is over the {MAX_BYTES} byte limit")
    text, encoding = text_from_bytes(data)
    return Document(id=doc_id or path.stem, text=text, source=str(path), encoding=encoding)


def _jsonl_documents(path: Path) -> Iterator[Document | BadInput]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield BadInput(id=path.stem, source=str(path), error=f"cannot read: {exc.strerror or exc}")
        return
    with handle:
        for lineno, raw in enumerate(handle, 1):
            item = _jsonl_line(path, lineno, raw)
            if item is not None:
                yield item


def _jsonl_line(path: Path, lineno: int, raw: bytes) -> Document | BadInput | None:
    """Line ``lineno`` of a JSONL input as a document (``None`` for a blank line)."""
    source = f"{path}:{lineno}"
    if not raw.strip():
        return None
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
        return Document(id=doc_id, text=text, source=source)
    except (ValueError, UnicodeDecodeError) as exc:
        return BadInput(id=f"{path.stem}:{lineno}", source=source, error=f"bad JSONL line: {exc}")


def iter_documents(paths: list[str | Path]) -> Iterator[Document | BadInput]:
    """Every document under ``paths``: files, folders (``.txt``/``.html``, sub-folders too) and ``.jsonl``.

    Never raises for one bad input: it is yielded as :class:`BadInput`, so a
    batch reports it and goes on.
    """
    for item in iter_inputs(paths):
        if isinstance(item, BadInput):
            yield item
        elif item.path.suffix.lower() == ".jsonl":
            yield from _jsonl_documents(item.path)
        else:
            try:
                yield read_file(item.path, item.id)
            except InputError as exc:
                yield BadInput(id=item.id, source=str(item.path), error=str(exc))


@dataclass(frozen=True)
class Found:
    """A file to read and the id its document gets (its path below the input folder, without suffix)."""

    path: Path
    id: str


def iter_inputs(paths: Iterable[str | Path], warn: Callable[[str], None] | None = None
                ) -> Iterator[Found | BadInput]:
    """Every file :func:`iter_documents` reads, in order, without reading it.

    Folders are walked depth-first in name order, links followed, but a
    folder is entered once: a link back to one already walked (a loop) is
    skipped with a warning.  What cannot be used is a :class:`BadInput` (a
    missing path, a dangling link, a folder that cannot be listed, a name
    that is not UTF-8, which no output line could carry); what is left out
    on purpose (other file types, FIFOs and devices inside a folder, loops)
    is named in a warning: ``warn`` (default: the ``llm_extract`` logger).
    """
    warn = warn or _LOG.warning
    for raw in paths:
        path = Path(raw)
        if not _utf8_name(str(path)):
            yield _bad_name(path, path.stem)
        elif path.is_dir():
            yield from _walk(path, warn)
        elif path.exists():
            yield Found(path, path.stem)
        else:
            yield BadInput(id=path.stem or str(path), source=str(path), error="no such file or folder")


_LOG = logging.getLogger("llm_extract")
#: Suffixes taken from a folder: notices and JSONL batches.
FOLDER_SUFFIXES = TEXT_SUFFIXES + (".jsonl",)


def _walk(root: Path, warn: Callable[[str], None]) -> Iterator[Found | BadInput]:
    """The files under ``root``: each folder's files, then its sub-folders; iterative, so depth cannot overflow."""
    seen = {_identity(root)}
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            rel = _relative_id(folder, root) if folder != root else folder.name
            yield BadInput(id=rel, source=str(folder), error=f"cannot list folder: {exc.strerror or exc}")
            continue
        skipped: list[str] = []
        folders: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            doc_id = _relative_id(path, root)
            if not _utf8_name(entry.name):
                yield _bad_name(path, doc_id)
                continue
            try:
                info = path.stat()
            except OSError as exc:
                if entry.is_symlink() or path.suffix.lower() in FOLDER_SUFFIXES:
                    what = "dangling link" if exc.errno == errno.ENOENT else "cannot read"
                    yield BadInput(id=doc_id, source=str(path), error=f"{what}: {exc.strerror or exc}")
                continue
            if stat.S_ISDIR(info.st_mode):
                if (info.st_dev, info.st_ino) in seen:
                    warn(f"skipped {path}: a link to a folder already read (a loop or a second name)")
                else:
                    seen.add((info.st_dev, info.st_ino))
                    folders.append(path)
            elif not stat.S_ISREG(info.st_mode):
                warn(f"skipped {path}: not a regular file")
            elif path.suffix.lower() in FOLDER_SUFFIXES:
                yield Found(path, doc_id)
            else:
                skipped.append(entry.name)
        if skipped:
            warn(f"skipped {len(skipped)} file(s) in {folder} that are not {'/'.join(FOLDER_SUFFIXES)}: "
                 + ", ".join(skipped[:20]) + (", …" if len(skipped) > 20 else ""))
        stack.extend(reversed(folders))


def _identity(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_dev, info.st_ino


def _relative_id(path: Path, root: Path) -> str:
    """``2021/notice`` for ``root/2021/notice.txt``: unique in the folder, and the stem for a top-level file."""
    return path.relative_to(root).with_suffix("").as_posix()


def _utf8_name(name: str) -> bool:
    """False for a name with bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(text: str) -> str:
    """``text`` safe to print and write: undecodable file-name bytes as ``\\xNN``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _bad_name(path: Path, doc_id: str) -> BadInput:
    return BadInput(id=shown(doc_id), source=shown(str(path)),
                    error="file name is not valid UTF-8; rename it (e.g. convmv -f gbk -t utf-8) to read it")


class SourceTexts:
    """The texts of output lines' ``source`` (a file, or ``file.jsonl:LINE``), as the run read them.

    One per pass over many lines (a review, an eval's contexts): each JSONL
    input is indexed once, by where its lines start, and each line then read
    on its own, rather than the file scanned from the top for every line.
    """

    def __init__(self) -> None:
        self._starts: dict[str, list[int] | None] = {}

    def __call__(self, source: str | None) -> str | None:
        """The text of ``source``, else ``None`` (gone, unreadable, not a document)."""
        if not source:
            return None
        path, _, lineno = source.rpartition(":")
        if path.endswith(".jsonl") and lineno.isdigit():
            item = self._jsonl_item(path, int(lineno))
            return item.text if isinstance(item, Document) and item.source == source else None
        try:
            return read_file(Path(source)).text
        except InputError:
            return None

    def _jsonl_item(self, path: str, lineno: int) -> Document | BadInput | None:
        if path not in self._starts:
            self._starts[path] = _line_starts(Path(path))
        starts = self._starts[path]
        if starts is None or not 1 <= lineno <= len(starts):
            return None
        try:
            with Path(path).open("rb") as handle:
                handle.seek(starts[lineno - 1])
                raw = handle.readline()
        except OSError:
            return None
        return _jsonl_line(Path(path), lineno, raw)


def _line_starts(path: Path) -> list[int] | None:
    """Where each line of ``path`` starts (in bytes), ``None`` when it cannot be read."""
    starts, at = [], 0
    try:
        with path.open("rb") as handle:
            for raw in handle:
                starts.append(at)
                at += len(raw)
    except OSError:
        return None
    return starts
