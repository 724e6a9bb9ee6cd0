"""The annotation dataset folder: what was sent out, who labeled what, and every old label.

::

    DATASET_DIR/
      schema.json               the label schema, fixed by the model of the first export
      sentences.jsonl           registry of exported sentences: id, text sha256, outlet, text, neighbours
      labels/<annotator>.jsonl  one codebook JSONL file per annotator (plus an "annotator" key)
      history.jsonl             every label that was replaced: the old row, when, and by which file
      gold.jsonl                the adjudicated view (``framing annotate agreement``)

A label is keyed by sentence id + text sha256: a label of a sentence whose article was
edited after export is kept (nothing is ever deleted) but no longer *current*, and only
current labels enter agreement, gold and retraining. Files are replaced atomically
(temporary sibling + ``os.replace``); the history is appended and fsynced before a label
is replaced.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from framing.annotation_io import ShownSentence, text_sha256
from framing.errors import InputError
from framing.labels import label_to_json, parse_label
from framing.files import read_jsonl_objects, write_jsonl_atomic, write_text_atomic

_RESTORE = "this file is written by framing; restore it from history or re-export"
from framing.schema import LabelSchema
from framing.types import LabeledSentence, Sentence

SCHEMA_FILE = "schema.json"
REGISTRY_FILE = "sentences.jsonl"
LABELS_DIR = "labels"
HISTORY_FILE = "history.jsonl"
GOLD_FILE = "gold.jsonl"
ANNOTATOR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9@._+-]*$")


@dataclass(frozen=True)
class Registered(ShownSentence):
    """One exported sentence as the registry remembers it."""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "doc_id": self.doc_id, "sent_idx": self.sent_idx, "outlet": self.outlet,
                "text": self.text, "text_sha256": self.text_sha256, "context_before": self.context_before,
                "context_after": self.context_after}


@dataclass(frozen=True)
class StoredLabel:
    """One annotator's label of one sentence, as kept in ``labels/<annotator>.jsonl``."""

    annotator: str
    label: LabeledSentence

    @property
    def key(self) -> tuple[str, str]:
        return (self.label.id, text_sha256(self.label.text))

    def to_json(self) -> dict[str, Any]:
        return {**label_to_json(self.label), "annotator": self.annotator}


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def check_annotator(name: str, where: str | Path = "--annotator") -> str:
    if not ANNOTATOR_NAME.match(name):
        raise InputError(where, f"annotator name {name!r} is not usable as a file name",
                         fix="use letters, digits and . _ - + @ (e.g. 'alice' or 'alice@example.org')")
    return name


# ----------------------------------------------------------------------------- schema
def read_schema(dataset: Path) -> LabelSchema | None:
    path = dataset / SCHEMA_FILE
    if not path.is_file():
        return None
    try:
        return LabelSchema.from_dict(json.loads(path.read_text(encoding="utf-8")), path)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"malformed JSON: {exc.msg}", line=exc.lineno) from None


def require_schema(dataset: Path) -> LabelSchema:
    schema = read_schema(dataset)
    if schema is None:
        raise InputError(dataset, "not an annotation dataset (no schema.json / sentences.jsonl)",
                         fix="create it with `framing annotate export INPUT --dataset DIR ...` first")
    return schema


def write_schema(dataset: Path, schema: LabelSchema) -> None:
    existing = read_schema(dataset)
    if existing is not None:
        if existing.frames != schema.frames:
            raise InputError(dataset / SCHEMA_FILE, f"the dataset's frames are {list(existing.frames)}, "
                             f"the model's are {list(schema.frames)}", fix="export with a model of the same label schema")
        return
    dataset.mkdir(parents=True, exist_ok=True)
    write_text_atomic(dataset / SCHEMA_FILE, json.dumps(schema.to_dict(), indent=2))


# ----------------------------------------------------------------------------- registry
def read_registry(dataset: Path) -> dict[str, Registered]:
    """Exported sentences by id (empty for a new dataset)."""
    path = dataset / REGISTRY_FILE
    if not path.is_file():
        return {}
    out = {}
    for number, obj in read_jsonl_objects(path, fix=_RESTORE):
        try:
            entry = Registered(obj["doc_id"], obj["outlet"], int(obj["sent_idx"]), obj["text"],
                               obj["context_before"], obj["context_after"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(path, f"bad registry entry: {exc}", line=number) from None
        out[entry.id] = entry
    return out


def write_registry(dataset: Path, entries: Mapping[str, Registered]) -> None:
    ordered = sorted(entries.values(), key=lambda e: (e.doc_id, e.sent_idx))
    write_jsonl_atomic(dataset / REGISTRY_FILE, (e.to_json() for e in ordered))


# ----------------------------------------------------------------------------- labels
def labels_path(dataset: Path, annotator: str) -> Path:
    return dataset / LABELS_DIR / f"{annotator}.jsonl"


def read_annotator(dataset: Path, annotator: str, schema: LabelSchema) -> list[StoredLabel]:
    """Every label one annotator gave (current or not), in file order."""
    path = labels_path(dataset, annotator)
    if not path.is_file():
        return []
    out = []
    for number, obj in read_jsonl_objects(path, fix=_RESTORE):
        who = obj.pop("annotator", None)
        if who != annotator:
            raise InputError(path, f"annotator is {who!r}, but the file belongs to {annotator!r}", line=number)
        out.append(StoredLabel(annotator, parse_label(obj, schema, path, number)))
    return out


def annotators(dataset: Path) -> list[str]:
    folder = dataset / LABELS_DIR
    return sorted(p.stem for p in folder.glob("*.jsonl") if not p.name.startswith(".")) if folder.is_dir() else []


def current_labels(dataset: Path, schema: LabelSchema) -> dict[str, dict[str, LabeledSentence]]:
    """annotator -> sentence id -> label, only labels of the sentence's registered text."""
    registry = read_registry(dataset)
    out: dict[str, dict[str, LabeledSentence]] = {}
    for who in annotators(dataset):
        rows = {}
        for stored in read_annotator(dataset, who, schema):
            entry = registry.get(stored.label.id)
            if entry is not None and entry.text_sha256 == stored.key[1]:
                rows[stored.label.id] = stored.label
        out[who] = rows
    return out


def append_history(dataset: Path, records: Iterable[dict[str, Any]]) -> None:
    """Append replaced labels to ``history.jsonl`` and fsync before anything is replaced."""
    lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in records]
    if not lines:
        return
    dataset.mkdir(parents=True, exist_ok=True)
    with (dataset / HISTORY_FILE).open("a", encoding="utf-8") as handle:
        handle.writelines(lines)
        handle.flush()
        os.fsync(handle.fileno())


def write_annotator(dataset: Path, annotator: str, rows: Iterable[StoredLabel]) -> Path:
    ordered = sorted(rows, key=lambda s: (s.label.doc_id, s.label.sent_idx, s.key[1]))
    return write_jsonl_atomic(labels_path(dataset, annotator), (s.to_json() for s in ordered))


# ----------------------------------------------------------------------------- prediction
def row_context(rows: Sequence[LabeledSentence]) -> dict[str, tuple[str, str]]:
    """Neighbours from the rows themselves, where the previous/next ``sent_idx`` is present."""
    by_id = {(r.doc_id, r.sent_idx): r.text for r in rows}
    return {r.id: (by_id.get((r.doc_id, r.sent_idx - 1), ""), by_id.get((r.doc_id, r.sent_idx + 1), "")) for r in rows}


def predict_in_context(tagger: Any, rows: Sequence[LabeledSentence], context: Mapping[str, tuple[str, str]]) -> np.ndarray:
    """``tagger.predict_proba`` of labeled sentences, each seen with its own neighbours.

    Labeled sentences are a sparse subset of their articles; predicting them as articles
    would make sentence 3 and sentence 17 neighbours. Each sentence becomes its own
    pseudo-article (previous, sentence, next) with the neighbours from ``context`` (the
    registry's, or ``row_context``). Exact for models with ``context <= 1``.
    """
    sentences: list[Sentence] = []
    targets: list[int] = []
    for k, r in enumerate(rows):
        doc = f"{r.doc_id}#{k}"
        before, after = context.get(r.id, ("", ""))
        if before:
            sentences.append(Sentence(doc, r.outlet, 0, before))
        targets.append(len(sentences))
        sentences.append(Sentence(doc, r.outlet, 1, r.text))
        if after:
            sentences.append(Sentence(doc, r.outlet, 2, after))
    if not rows:
        return np.zeros((0, 0), dtype=np.float32)
    return np.asarray(tagger.predict_proba(sentences))[targets]
