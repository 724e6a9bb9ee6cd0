"""Annotation files in and out: codebook JSONL, CSV, and Label Studio (tasks JSON + labeling config).

Export writes each picked sentence with its context and the model's labels as
pre-annotations. Import reads a filled-in file back into ``RawAnnotation`` rows, and
collects every malformed row as an ``InputError`` (file, line, fix) instead of stopping at
the first: the caller decides what to do with a file that has problems. Label checks
against the schema and the sentence registry happen in ``framing.annotate``.

The format follows the file's extension: ``.jsonl`` codebook JSONL, ``.csv`` CSV,
``.json`` Label Studio.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Sequence

from framing.errors import InputError
from framing.files import write_jsonl_atomic, write_text_atomic
from framing.schema import LabelSchema
from framing.types import sentence_id

Format = Literal["jsonl", "csv", "labelstudio"]
FORMATS: dict[str, str] = {"jsonl": ".jsonl", "csv": ".csv", "labelstudio": ".json"}
CSV_COLUMNS = ("id", "outlet", "text", "context_before", "context_after", "text_sha256", "content", "frames", "attribution")
JSONL_EXTRAS = ("annotator", "text_sha256", "context_before", "context_after", "model", "doubt", "id")
_ID = re.compile(r"^(?P<doc>[^:]+):(?P<idx>\d+)$")


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ShownSentence:
    """A sentence as annotators see it: its text and the neighbours shown around it."""

    doc_id: str
    outlet: str
    sent_idx: int
    text: str
    context_before: str
    context_after: str

    @property
    def id(self) -> str:
        return sentence_id(self.doc_id, self.sent_idx)

    @property
    def text_sha256(self) -> str:
        return text_sha256(self.text)


@dataclass(frozen=True)
class ExportedSentence(ShownSentence):
    """One sentence sent to annotators: what they see, and the model's pre-annotation."""

    content: bool
    frames: tuple[str, ...]
    attribution: str | None
    doubt: float
    model: str


@dataclass(frozen=True)
class RawAnnotation:
    """One filled-in row as read from a file, before checking it against schema and registry."""

    where: str
    line: int
    annotator: str | None
    label: dict[str, Any]  # the codebook JSONL object (doc_id, outlet, sent_idx, text, content, frames, attribution)
    text_sha256: str | None


def format_of(path: str | Path) -> Format:
    """The annotation format a file's extension names."""
    suffix = Path(path).suffix.lower()
    for name, ext in FORMATS.items():
        if suffix == ext:
            return name  # type: ignore[return-value]
    raise InputError(path, f"unknown annotation file type {suffix or '(none)'!r}",
                     fix="use .jsonl (codebook JSONL), .csv or .json (Label Studio export)")


# ----------------------------------------------------------------------------- export
def _codebook(row: ExportedSentence) -> dict[str, Any]:
    return {"doc_id": row.doc_id, "outlet": row.outlet, "sent_idx": row.sent_idx, "text": row.text,
            "content": row.content, "frames": list(row.frames), "attribution": row.attribution}


def _choices(name: str, values: Sequence[str]) -> dict[str, Any]:
    return {"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": list(values)}}


def labelstudio_task(row: ExportedSentence) -> dict[str, Any]:
    """A Label Studio task: the sentence and its context as data, the model's labels as a prediction."""
    result = [_choices("content", ["content" if row.content else "boilerplate"])]
    if row.content:
        if row.frames:
            result.append(_choices("frames", row.frames))
        result.append(_choices("voice", [row.attribution or "editorial"]))
    return {
        "data": {"id": row.id, "text": row.text, "context_before": row.context_before,
                 "context_after": row.context_after, "outlet": row.outlet, "text_sha256": row.text_sha256},
        # Label Studio's prediction score is the model's confidence: 1 - doubt (sort tasks by it to see the doubtful first)
        "predictions": [{"model_version": row.model, "score": round(1.0 - row.doubt, 4), "result": result}],
    }


def labelstudio_config(schema: LabelSchema) -> str:
    """The labeling interface: context, the sentence, and the three codebook questions."""
    view = ET.Element("View")
    for name, header in (("context_before", "Previous sentence"), ("text", "Sentence to label"),
                         ("context_after", "Next sentence")):
        ET.SubElement(view, "Header", value=header)
        ET.SubElement(view, "Text", name=name, value=f"${name}")
    ET.SubElement(view, "Header", value="Content or boilerplate?")
    content = ET.SubElement(view, "Choices", {"name": "content", "toName": "text", "choice": "single", "required": "true"})
    for value in ("content", "boilerplate"):
        ET.SubElement(content, "Choice", value=value)
    shown = {"visibleWhen": "choice-selected", "whenTagName": "content", "whenChoiceValue": "content"}
    ET.SubElement(view, "Header", value="Frames (none selected = no frame)")
    frames = ET.SubElement(view, "Choices", {"name": "frames", "toName": "text", "choice": "multiple", **shown})
    for frame in schema.frames:
        ET.SubElement(frames, "Choice", value=frame, hint=schema.descriptions[frame])
    ET.SubElement(view, "Header", value="Voice")
    voice = ET.SubElement(view, "Choices", {"name": "voice", "toName": "text", "choice": "single", **shown})
    for value in ("attributed", "editorial"):
        ET.SubElement(voice, "Choice", value=value)
    ET.indent(view)
    return ET.tostring(view, encoding="unicode") + "\n"


def labelstudio_config_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.stem + ".label_config.xml")


def write_export(rows: Sequence[ExportedSentence], out: str | Path, fmt: Format, schema: LabelSchema) -> list[Path]:
    """Write the picked sentences in ``fmt``; returns the files written."""
    out = Path(out)
    if fmt not in FORMATS:
        raise InputError("--format", f"unknown format {fmt!r}", fix=f"valid formats: {', '.join(FORMATS)}")
    if out.suffix.lower() != FORMATS[fmt]:
        raise InputError(out, f"a {fmt} export needs a {FORMATS[fmt]} file name (import picks the format by extension)",
                         fix=f"name it e.g. {out.with_suffix(FORMATS[fmt]).name}")
    if fmt == "jsonl":
        extra = lambda r: {"text_sha256": r.text_sha256, "context_before": r.context_before,  # noqa: E731
                           "context_after": r.context_after, "model": r.model, "doubt": round(r.doubt, 4)}
        return [write_jsonl_atomic(out, ({"id": r.id, **_codebook(r), **extra(r)} for r in rows))]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for r in rows:
            writer.writerow([r.id, r.outlet, r.text, r.context_before, r.context_after, r.text_sha256,
                             "content" if r.content else "boilerplate", ";".join(r.frames), r.attribution or ""])
        write_text_atomic(out, buffer.getvalue())
        return [out]
    config = labelstudio_config_path(out)
    write_text_atomic(out, json.dumps([labelstudio_task(r) for r in rows], indent=2, ensure_ascii=False) + "\n")
    write_text_atomic(config, labelstudio_config(schema))
    return [out, config]


# ----------------------------------------------------------------------------- import
def _split_id(value: Any) -> tuple[str, int] | None:
    match = _ID.match(value) if isinstance(value, str) else None
    return (match["doc"], int(match["idx"])) if match else None


def _bad_id(where: str, line: int, value: Any) -> InputError:
    return InputError(where, f"id: expected a sentence id 'doc_id:sent_idx', got {value!r}", line=line,
                      fix="keep the id column/field exactly as exported")


def _read_text(path: Path) -> str | InputError:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return InputError(path, "annotation file not found")
    except UnicodeDecodeError as exc:
        return InputError(path, f"not UTF-8 text (byte {exc.start})", fix="save the file as UTF-8")


def read_annotations(path: str | Path, annotator: str | None) -> tuple[list[RawAnnotation], list[InputError]]:
    """Rows of one filled-in annotation file and every malformed row's problem."""
    path = Path(path)
    try:
        fmt = format_of(path)
    except InputError as exc:
        return [], [exc]
    text = _read_text(path)
    if isinstance(text, InputError):
        return [], [text]
    reader = {"jsonl": _read_jsonl, "csv": _read_csv, "labelstudio": _read_labelstudio}[fmt]
    rows, problems = reader(text, str(path), annotator)
    if not rows and not problems:
        problems.append(InputError(path, "no labeled rows in the file"))
    return rows, problems


def _row_annotator(own: Any, given: str | None, where: str, line: int, problems: list[InputError]) -> str | None:
    """The row's annotator; ``--annotator`` fills it in, and a row naming someone else is a problem."""
    if own is not None and given is not None and own != given:
        problems.append(InputError(where, f"the row names annotator {own!r} but --annotator is {given!r}", line=line,
                                   fix="drop --annotator, or fix the row's annotator"))
    if own is not None and not isinstance(own, str):
        problems.append(InputError(where, f"annotator: expected a name, got {own!r}", line=line))
        return None
    return own if own is not None else given


def _read_jsonl(text: str, where: str, annotator: str | None) -> tuple[list[RawAnnotation], list[InputError]]:
    rows, problems = [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(InputError(where, f"malformed JSON: {exc.msg} at column {exc.colno}", line=number,
                                       fix="one JSON object per line"))
            continue
        if not isinstance(obj, dict):
            problems.append(InputError(where, f"expected a JSON object, got {type(obj).__name__}", line=number))
            continue
        extras = {k: obj.pop(k) for k in JSONL_EXTRAS if k in obj}
        if "id" in extras and extras["id"] != f"{obj.get('doc_id')}:{obj.get('sent_idx')}":
            problems.append(InputError(where, f"id {extras['id']!r} does not match doc_id:sent_idx", line=number,
                                       fix="keep the id, doc_id and sent_idx as exported"))
            continue
        who = _row_annotator(extras.get("annotator"), annotator, where, number, problems)
        rows.append(RawAnnotation(where, number, who, obj, extras.get("text_sha256")))
    return rows, problems


_CONTENT_WORDS = {"content": True, "true": True, "boilerplate": False, "false": False}


def _read_csv(text: str, where: str, annotator: str | None) -> tuple[list[RawAnnotation], list[InputError]]:
    rows: list[RawAnnotation] = []
    problems: list[InputError] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], [InputError(where, "empty CSV file", fix=f"the header is {','.join(CSV_COLUMNS)}")]
    required = ("id", "text", "content", "frames", "attribution")
    missing = [c for c in required if c not in header]
    if missing:
        return [], [InputError(where, f"missing column(s) {missing}", line=1, fix=f"the export's columns are {','.join(CSV_COLUMNS)}")]
    start = reader.line_num + 1
    for record in reader:
        number, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            problems.append(InputError(where, f"expected {len(header)} columns, found {len(record)}", line=number,
                                       fix="quote cells that contain commas"))
            continue
        cell = dict(zip(header, record))
        ids = _split_id(cell["id"])
        if ids is None:
            problems.append(_bad_id(where, number, cell["id"]))
            continue
        content = _CONTENT_WORDS.get(cell["content"].strip().lower(), cell["content"])
        frames = [f.strip() for f in cell["frames"].split(";") if f.strip()]
        voice = cell["attribution"].strip() or None
        label = {"doc_id": ids[0], "outlet": cell.get("outlet", ""), "sent_idx": ids[1], "text": cell["text"],
                 "content": content, "frames": frames, "attribution": voice}
        who = _row_annotator(cell.get("annotator") or None, annotator, where, number, problems)
        rows.append(RawAnnotation(where, number, who, label, cell.get("text_sha256") or None))
    return rows, problems


def _json_array_items(text: str) -> list[tuple[int, Any]]:
    """(line, item) for every item of a top-level JSON array, so a problem can name its line."""
    decoder = json.JSONDecoder()
    pos = len(text) - len(text.lstrip())
    if not text.startswith("[", pos):
        raise ValueError("expected a JSON list of tasks (Label Studio: Export -> JSON)")
    pos += 1
    items: list[tuple[int, Any]] = []
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            raise ValueError("the list is not closed with ']'")
        if text[pos] == "]":
            return items
        item, end = decoder.raw_decode(text, pos)
        items.append((text.count("\n", 0, pos) + 1, item))
        pos = end


def _annotator_name(completed_by: Any) -> str | None:
    if isinstance(completed_by, dict):
        value = completed_by.get("email") or completed_by.get("username") or completed_by.get("id")
        return None if value is None else str(value)
    if isinstance(completed_by, (int, str)) and not isinstance(completed_by, bool):
        return f"user-{completed_by}" if isinstance(completed_by, int) else completed_by
    return None


def _read_labelstudio(text: str, where: str, annotator: str | None) -> tuple[list[RawAnnotation], list[InputError]]:
    try:
        items = _json_array_items(text)
    except (ValueError, json.JSONDecodeError) as exc:
        return [], [InputError(where, f"not a Label Studio JSON export: {exc}", fix="in Label Studio use Export -> JSON")]
    rows: list[RawAnnotation] = []
    problems: list[InputError] = []
    for number, task in items:
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict):
            problems.append(InputError(where, "task without a 'data' object", line=number, fix="export tasks as JSON from Label Studio"))
            continue
        ids = _split_id(data.get("id"))
        if ids is None:
            problems.append(_bad_id(where, number, data.get("id")))
            continue
        done = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
        if annotator is not None and len(done) > 1:
            problems.append(InputError(where, f"task {data['id']} has {len(done)} annotations but --annotator names one person",
                                       line=number, fix="drop --annotator: each annotation's completed_by names its annotator"))
            continue
        for annotation in done:
            choices: dict[str, list[str]] = {}
            for item in annotation.get("result") or []:
                if isinstance(item, dict) and item.get("type") == "choices":
                    value = item.get("value") or {}
                    choices[str(item.get("from_name"))] = list(value.get("choices") or [])
            who = annotator or _annotator_name(annotation.get("completed_by"))
            content_choice = choices.get("content", [])
            if len(content_choice) != 1 or content_choice[0] not in ("content", "boilerplate"):
                problems.append(InputError(where, f"{data['id']}: expected one content choice ('content' or 'boilerplate'), "
                                           f"got {content_choice}", line=number, fix="answer the content question for every task"))
                continue
            voice = choices.get("voice", [])
            label = {"doc_id": ids[0], "outlet": data.get("outlet", ""), "sent_idx": ids[1], "text": data.get("text", ""),
                     "content": content_choice[0] == "content", "frames": choices.get("frames", []),
                     "attribution": voice[0] if len(voice) == 1 else (None if not voice else voice)}
            rows.append(RawAnnotation(where, number, who, label, data.get("text_sha256")))
    return rows, problems
