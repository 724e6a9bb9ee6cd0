"""Reading articles (and pre-split sentences) from disk: the pipeline's input edge.

Formats, chosen by file extension:

- ``.txt``: an optional header of ``key: value`` lines closed by a line ``---`` within the
  first 20 lines (keys ``outlet``, ``url``, ``date``, ``title``, ``doc_id``; any other key goes
  to ``meta``), then the body. Without such a header the whole file is the body.
- ``.html`` / ``.htm``: body and metadata (title, date, author, url, site name as outlet)
  extracted with trafilatura, one paragraph per line.
- ``.jsonl``: one article per line with ``text`` and ``outlet`` (optional ``doc_id``, ``url``,
  ``date``, ``title``; other keys go to ``meta``).
- ``.csv``: the same columns, read with the csv module (quoted multi-line fields allowed).

A ``metadata.csv`` beside the files (columns ``file``, ``outlet``; optional ``doc_id``,
``url``, ``date``, ``title``; other columns go to ``meta``) fills in what a file does not say
itself: the file's own header, row or page metadata wins, except ``doc_id``, which the
sidecar sets when it gives one (a file header that names a different ``doc_id`` is an
error). For a ``.jsonl``/``.csv`` file the sidecar row applies to every row, and its
``doc_id`` replaces the file stem in the derived ids.

Decisions:

- A folder is read recursively, files in order of their relative path. Hidden files,
  ``metadata.csv``, ``README*`` and ``*.md`` are skipped; any other file with an unknown
  extension is an error naming it (a stray file is more often a mistake than noise).
- Every article gets a ``doc_id`` made only of ``[A-Za-z0-9._-]``: the given one (checked,
  never silently rewritten, since label files join on it), else the file stem, plus ``-LINE``
  for a ``.jsonl``/``.csv`` row (the same line ``Article.source`` points at).
- A ``.jsonl`` whose lines carry ``sent_idx`` holds sentences, not articles: read it with
  ``read_sentences`` (``is_presplit`` tells which).

Every problem is an ``InputError`` naming the file (and line), what was expected and the fix.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from framing.errors import InputError
from framing.types import Article, Sentence

ARTICLE_SUFFIXES = (".txt", ".html", ".htm", ".jsonl", ".csv")
SIDECAR_NAME = "metadata.csv"
HEADER_SCAN_LINES = 20
FIELDS = ("doc_id", "outlet", "url", "date", "title")  # known keys; the rest go to meta
SENTENCE_KEYS = ("doc_id", "outlet", "sent_idx", "text")

_DOC_ID = re.compile(r"^[A-Za-z0-9._-]+$")
_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9_ -]*):(.*)$")
_SUPPORTED = ", ".join(ARTICLE_SUFFIXES)


@dataclass(frozen=True)
class _Found:
    """What one file (or one row of it) says about an article, before the sidecar and defaults."""

    text: str
    line: int | None  # the row's first line in a .jsonl/.csv file; None for a whole file
    values: Mapping[str, str] = field(default_factory=dict)  # known FIELDS that were given
    meta: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _SidecarRow:
    path: Path
    line: int
    values: Mapping[str, str]
    meta: Mapping[str, str]


def read_articles(path: str | Path) -> list[Article]:
    """Read one article file or a folder of them (mixed formats) into ``Article`` records."""
    path = Path(path)
    sidecars: dict[Path, dict[str, _SidecarRow]] = {}
    articles: list[Article] = []
    first_use: dict[str, Article] = {}
    for file in _article_files(path):
        if file.parent not in sidecars:
            sidecars[file.parent] = _read_sidecar(file.parent / SIDECAR_NAME)
        row = sidecars[file.parent].get(file.name)
        for found in _read_file(file, row):
            article = _to_article(found, file, row)
            if article.doc_id in first_use:
                raise InputError(
                    file, f"doc_id '{article.doc_id}' is already used by {first_use[article.doc_id].source}",
                    line=found.line,
                    fix="give each article its own doc_id (in its header, its row, or metadata.csv)",
                )
            first_use[article.doc_id] = article
            articles.append(article)
    return articles


def read_sentences(path: str | Path) -> list[Sentence]:
    """Read a JSONL of already-split sentences (``doc_id``, ``outlet``, ``sent_idx``, ``text``), in input order."""
    path = Path(path)
    text = _read_text(path)
    sentences: list[Sentence] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        obj = _json_object(line, path, number)
        missing = [k for k in SENTENCE_KEYS if k not in obj]
        if missing:
            raise InputError(path, f"missing key(s) {missing}", line=number,
                             fix=f"every sentence line needs {list(SENTENCE_KEYS)}")
        doc_id, outlet, sent_idx, sent = obj["doc_id"], obj["outlet"], obj["sent_idx"], obj["text"]
        if not isinstance(doc_id, str) or not doc_id.strip() or ":" in doc_id:
            raise InputError(path, f"doc_id: expected a non-empty string without ':', got {doc_id!r}", line=number)
        if not isinstance(outlet, str) or not outlet.strip():
            raise InputError(path, f"outlet: expected the outlet's name, got {outlet!r}", line=number)
        if not isinstance(sent_idx, int) or isinstance(sent_idx, bool) or sent_idx < 0:
            raise InputError(path, f"sent_idx: expected an integer >= 0, got {sent_idx!r}", line=number)
        if not isinstance(sent, str) or not sent.strip():
            raise InputError(path, f"text: expected the sentence's text, got {sent!r}", line=number)
        sentence = Sentence(doc_id.strip(), outlet.strip(), sent_idx, sent.strip())
        if sentence.id in seen:
            raise InputError(path, f"sentence {sentence.id} already appears on line {seen[sentence.id]}",
                             line=number, fix="each (doc_id, sent_idx) may appear once")
        seen[sentence.id] = number
        sentences.append(sentence)
    return sentences


def is_presplit(path: str | Path) -> bool:
    """True for a ``.jsonl`` file whose first non-empty line has ``sent_idx`` (sentences, not articles)."""
    path = Path(path)
    if path.suffix.lower() != ".jsonl" or not path.is_file():
        return False
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    obj = json.loads(line)
                    return isinstance(obj, dict) and "sent_idx" in obj
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False  # not readable as sentences; read_articles will say what is wrong
    return False


# ---------------------------------------------------------------------------- files


def _article_files(path: Path) -> list[Path]:
    """The article files under ``path`` in a stable order; unknown file types are errors."""
    if not path.exists():
        raise InputError(path, "no such file or folder", fix="pass an article file or a folder of them")
    if path.is_file():
        if path.name == SIDECAR_NAME:
            raise InputError(path, f"{SIDECAR_NAME} describes articles but is not one",
                             fix="pass the folder that holds it")
        if path.suffix.lower() not in ARTICLE_SUFFIXES:
            raise InputError(path, f"unknown file type '{path.suffix}'", fix=f"article files end in {_SUPPORTED}")
        return [path]
    files: list[Path] = []
    unknown: list[str] = []
    for file in sorted(path.rglob("*"), key=lambda p: p.relative_to(path).as_posix()):
        rel = file.relative_to(path)
        if any(part.startswith(".") for part in rel.parts) or not file.is_file() or _skipped(file):
            continue
        if file.suffix.lower() in ARTICLE_SUFFIXES:
            files.append(file)
        else:
            unknown.append(rel.as_posix())
    if unknown:
        raise InputError(
            path, f"file(s) of unknown type: {unknown}",
            fix=f"article files end in {_SUPPORTED}; move other files out "
                f"({SIDECAR_NAME}, README*, *.md and hidden files are skipped)",
        )
    if not files:
        raise InputError(path, "no article files in the folder", fix=f"add files ending in {_SUPPORTED}")
    return files


def _skipped(file: Path) -> bool:
    name = file.name.lower()
    return name == SIDECAR_NAME or name.startswith("readme") or name.endswith(".md")


def _read_text(path: Path) -> str:
    """The file's text as UTF-8 with ``\\n`` line ends; empty, binary and non-UTF-8 files are errors."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except OSError as exc:
        raise InputError(path, f"cannot read the file: {exc.strerror}") from None
    if not raw.strip():
        raise InputError(path, "empty file", fix="remove it, or put the article text in it")
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise InputError(path, "binary file (contains NUL bytes), expected text", line=line,
                         fix="pass text files; if it is UTF-16 text, save it as UTF-8")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(path, f"not UTF-8 text (byte {exc.start})", line=line,
                         fix="save the file as UTF-8 (e.g. iconv -f cp1252 -t utf-8)") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_file(path: Path, sidecar: _SidecarRow | None) -> list[_Found]:
    text = _read_text(path)
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return [_parse_txt(text, path)]
    if suffix in (".html", ".htm"):
        return [_parse_html(text, path)]
    if suffix == ".jsonl":
        return list(_parse_jsonl(text, path))
    has_outlet = sidecar is not None and "outlet" in sidecar.values
    return list(_parse_csv(text, path, required=("text",) if has_outlet else ("text", "outlet")))


def _to_article(found: _Found, path: Path, sidecar: _SidecarRow | None) -> Article:
    """Merge a file's own values with its sidecar row, derive the doc_id, check the outlet."""
    side = dict(sidecar.values) if sidecar else {}
    values = {**side, **found.values}
    where = f"{path}:{found.line}" if found.line is not None else str(path)
    stem = side.get("doc_id") or _sanitize(path.stem)
    if found.line is not None:  # a row of a multi-article file
        doc_id = found.values.get("doc_id") or f"{stem}-{found.line}"
    else:
        own, given = found.values.get("doc_id"), side.get("doc_id")
        if own and given and own != given and sidecar is not None:
            raise InputError(path, f"doc_id '{own}' disagrees with '{given}' in {sidecar.path} line {sidecar.line}",
                             fix="keep one of the two")
        doc_id = own or stem
    if not _DOC_ID.match(doc_id):
        raise InputError(path, f"doc_id {doc_id!r} may only use letters, digits, '.', '_' and '-'",
                         line=found.line, fix=f"use e.g. {_sanitize(doc_id)!r}")
    outlet = values.get("outlet")
    if not outlet:
        how = "an 'outlet' value in its row" if found.line is not None else "an 'outlet: NAME' header line"
        raise InputError(path, "no outlet for this article", line=found.line,
                         fix=f"add {how}, or a row for {path.name} in {SIDECAR_NAME} beside it")
    meta = {**(sidecar.meta if sidecar else {}), **found.meta}
    return Article(doc_id=doc_id, outlet=outlet, text=found.text, source=where, title=values.get("title"),
                   url=values.get("url"), date=values.get("date"), meta=meta)


def _sanitize(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return cleaned or "doc"


# ---------------------------------------------------------------------------- formats


def _parse_txt(text: str, path: Path) -> _Found:
    lines = text.split("\n")
    values: dict[str, str] = {}
    meta: dict[str, str] = {}
    body_start = 0
    for i, line in enumerate(lines[: HEADER_SCAN_LINES + 1]):
        if line.strip() == "---":
            header = _parse_header(lines[:i], path)
            if header is not None:
                for key, value in header.items():
                    (values if key in FIELDS else meta)[key] = value
                body_start = i + 1
            break
    body = "\n".join(lines[body_start:]).strip()
    if not body:
        raise InputError(path, "no article text after the header", line=body_start + 1,
                         fix="put the article body after the '---' line")
    return _Found(body, None, values, meta)


def _parse_header(lines: list[str], path: Path) -> dict[str, str] | None:
    """``key: value`` lines before ``---``; None when any line is not one (then there is no header)."""
    header: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        match = _HEADER_LINE.match(line.strip())
        if match is None:
            return None
        key = re.sub(r"[ -]+", "_", match.group(1).strip().lower())
        if key in header:
            raise InputError(path, f"header key '{key}' is given twice", line=number, fix="keep one")
        if match.group(2).strip():
            header[key] = match.group(2).strip()
    return header


def _parse_html(html: str, path: Path) -> _Found:
    import trafilatura  # imported here: only HTML input needs it

    body = trafilatura.extract(html, include_comments=False, output_format="txt", deduplicate=False)
    if not body or not body.strip():
        raise InputError(path, "no article text found in the HTML page",
                         fix="check the page holds the article (not a consent wall or an empty script shell), "
                             "or save its text as .txt")
    values: dict[str, str] = {}
    meta: dict[str, str] = {}
    doc = trafilatura.extract_metadata(html)
    if doc is not None:
        for key, attr in (("title", "title"), ("date", "date"), ("url", "url"), ("outlet", "sitename")):
            value = getattr(doc, attr, None)
            if isinstance(value, str) and value.strip():
                values[key] = value.strip()
        if isinstance(doc.author, str) and doc.author.strip():
            meta["author"] = doc.author.strip()
    return _Found(body.strip(), None, values, meta)


def _json_object(line: str, path: Path, number: int) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"malformed JSON: {exc.msg} at column {exc.colno}", line=number,
                         fix="one JSON object per line") from None
    if not isinstance(obj, dict):
        raise InputError(path, f"expected a JSON object, got {type(obj).__name__}", line=number,
                         fix="one JSON object per line")
    return obj


def _parse_jsonl(text: str, path: Path) -> Iterator[_Found]:
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        obj = _json_object(line, path, number)
        if "sent_idx" in obj:
            raise InputError(path, "this line has 'sent_idx': the file holds pre-split sentences, not articles",
                             line=number, fix="pass it on its own (it is read as sentences), or drop 'sent_idx'")
        yield _row(obj, path, number)


def _parse_csv(text: str, path: Path, required: tuple[str, ...]) -> Iterator[_Found]:
    for line, record in _csv_records(text, path, required):
        yield _row(record, path, line)


def _csv_records(text: str, path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Non-blank CSV rows as ``(first line, {column: value})``; the header must name ``required``."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        columns = [c.strip().lower() for c in next(reader)]
        missing = [c for c in required if c not in columns]
        if missing:
            raise InputError(path, f"missing column(s) {missing}; the header has {columns}", line=reader.line_num,
                             fix=f"the first row names the columns; {list(required)} are required")
        if len(set(columns)) != len(columns):
            raise InputError(path, f"a column name repeats in the header {columns}", line=reader.line_num)
        start = reader.line_num + 1
        for cells in reader:
            if any(c.strip() for c in cells):
                if len(cells) > len(columns):
                    if columns[-1] in FIELDS or columns[-1] == "file":
                        raise InputError(path, f"{len(cells)} fields but the header names {len(columns)}",
                                         line=start, fix="quote fields that contain commas")
                    # an unquoted comma in the last, free-text column (a note, the text): rejoin it
                    cells = cells[: len(columns) - 1] + [",".join(cells[len(columns) - 1:])]
                yield start, dict(zip(columns, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(path, f"malformed CSV: {exc}", line=reader.line_num,
                         fix="check the quoting around this line") from None


def _row(obj: Mapping[str, Any], path: Path, number: int) -> _Found:
    """One JSONL object or CSV row: ``text`` is required, known keys are fields, the rest meta."""
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(path, f"missing text: expected a non-empty string under 'text', got {text!r}",
                         line=number, fix="every article row needs its body under 'text'")
    values: dict[str, str] = {}
    meta: dict[str, str] = {}
    for key, value in obj.items():
        if key == "text" or value is None:
            continue
        value = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if value.strip():
            (values if key in FIELDS else meta)[key] = value.strip()
    return _Found(text.strip(), number, values, meta)


def _read_sidecar(path: Path) -> dict[str, _SidecarRow]:
    """``metadata.csv`` rows by file name; every named file must exist beside it."""
    if not path.is_file():
        return {}
    rows: dict[str, _SidecarRow] = {}
    for line, record in _csv_records(_read_text(path), path, required=("file", "outlet")):
        record = {k: v.strip() for k, v in record.items()}
        name = record.pop("file")
        if not name or "/" in name or "\\" in name:
            raise InputError(path, f"file: expected a file name in this folder, got {name!r}", line=line)
        if name in rows:
            raise InputError(path, f"{name} already has a row on line {rows[name].line}", line=line,
                             fix="one row per file")
        if not (path.parent / name).is_file():
            raise InputError(path, f"names {name}, which is not in {path.parent}", line=line,
                             fix="fix the file name, or remove the row")
        values = {k: v for k, v in record.items() if k in FIELDS and v}
        if "doc_id" in values and not _DOC_ID.match(values["doc_id"]):
            raise InputError(path, f"doc_id {values['doc_id']!r} may only use letters, digits, '.', '_' and '-'",
                             line=line, fix=f"use e.g. {_sanitize(values['doc_id'])!r}")
        meta = {k: v for k, v in record.items() if k not in FIELDS and v}
        rows[name] = _SidecarRow(path, line, values, meta)
    return rows
