"""Labeled sentences: strict reading of the codebook's JSONL format, and splits by article.

Every problem names the file, the line and the sentence id, says what was expected, and
how to fix it. Splits are always by ``doc_id``: sentences of one article in both train and
test inflate every score.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Sequence

from framing.errors import InputError
from framing.files import read_jsonl_objects
from framing.schema import LabelSchema
from framing.types import ATTRIBUTIONS, LabeledSentence

REQUIRED_KEYS = ("doc_id", "outlet", "sent_idx", "text", "content", "frames", "attribution")
OPTIONAL_KEYS = ("synthetic",)


def parse_label(obj: Any, schema: LabelSchema, where: str | Path, line: int) -> LabeledSentence:
    """Validate one decoded JSON object against the codebook's rules and the schema."""
    if not isinstance(obj, dict):
        raise InputError(where, f"expected a JSON object, got {type(obj).__name__}", line=line)
    missing = [k for k in REQUIRED_KEYS if k not in obj]
    if missing:
        raise InputError(
            where, f"missing key(s) {missing}", line=line,
            fix=f"every label line needs {list(REQUIRED_KEYS)}",
        )
    unknown = sorted(set(obj) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise InputError(where, f"unknown key(s) {unknown}", line=line,
                         fix=f"allowed keys: {list(REQUIRED_KEYS + OPTIONAL_KEYS)}")
    doc_id, outlet, sent_idx, text = obj["doc_id"], obj["outlet"], obj["sent_idx"], obj["text"]
    if not isinstance(doc_id, str) or not doc_id or ":" in doc_id:
        raise InputError(where, f"doc_id: expected a non-empty string without ':', got {doc_id!r}", line=line)
    sid = f"{doc_id}:{sent_idx}"
    place = f"{where} line {line} ({sid})"
    if not isinstance(outlet, str) or not outlet.strip():
        raise InputError(place, f"outlet: expected the outlet's name, got {outlet!r}")
    if not isinstance(sent_idx, int) or isinstance(sent_idx, bool) or sent_idx < 0:
        raise InputError(place, f"sent_idx: expected an integer >= 0, got {sent_idx!r}")
    if not isinstance(text, str) or not text.strip():
        raise InputError(place, "text: expected the sentence's text, got an empty value")
    content, frames, attribution = obj["content"], obj["frames"], obj["attribution"]
    if not isinstance(content, bool):
        raise InputError(place, f"content: expected true or false, got {content!r}")
    if not isinstance(frames, list) or not all(isinstance(f, str) for f in frames):
        raise InputError(place, f"frames: expected a list of frame names, got {frames!r}")
    bad = [f for f in frames if f not in schema.frames]
    if bad:
        raise InputError(
            place, f"unknown frame(s) {bad}",
            fix=f"frames of schema '{schema.name}': {list(schema.frames)} ([] for none)",
        )
    if len(set(frames)) != len(frames):
        raise InputError(place, f"frames lists a frame twice: {frames}")
    if not content:
        if frames:
            raise InputError(place, f"content is false but frames is {frames}; boilerplate takes no frames")
        if attribution is not None:
            raise InputError(place, f"content is false but attribution is {attribution!r}; boilerplate takes null")
    elif attribution not in ATTRIBUTIONS:
        raise InputError(place, f"attribution: expected 'attributed' or 'editorial' for a content sentence, got {attribution!r}")
    synthetic = obj.get("synthetic", False)
    if not isinstance(synthetic, bool):
        raise InputError(place, f"synthetic: expected true or false, got {synthetic!r}")
    ordered = tuple(f for f in schema.frames if f in frames)
    return LabeledSentence(doc_id, outlet.strip(), sent_idx, text, content, ordered, attribution, synthetic)


def read_labels(path: str | Path, schema: LabelSchema) -> list[LabeledSentence]:
    """Read a labeled JSONL file; any bad line is an ``InputError`` naming it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "labeled data file not found")
    rows: list[LabeledSentence] = []
    seen: dict[str, int] = {}
    for number, obj in read_jsonl_objects(path, fix="one JSON object per line"):
        row = parse_label(obj, schema, path, number)
        if row.id in seen:
            raise InputError(path, f"sentence id {row.id} already appears on line {seen[row.id]}", line=number,
                             fix="each (doc_id, sent_idx) may be labeled once per file")
        seen[row.id] = number
        rows.append(row)
    if not rows:
        raise InputError(path, "no labeled sentences in the file")
    return rows


def label_to_json(row: LabeledSentence) -> dict[str, Any]:
    """The codebook JSONL object of one labeled sentence."""
    obj: dict[str, Any] = {
        "doc_id": row.doc_id, "outlet": row.outlet, "sent_idx": row.sent_idx, "text": row.text,
        "content": row.content, "frames": list(row.frames), "attribution": row.attribution,
    }
    if row.synthetic:
        obj["synthetic"] = True
    return obj


def by_document(rows: Iterable[LabeledSentence]) -> dict[str, list[LabeledSentence]]:
    """Group sentences by article, each article in ``sent_idx`` order."""
    docs: dict[str, list[LabeledSentence]] = defaultdict(list)
    for row in rows:
        docs[row.doc_id].append(row)
    return {d: sorted(v, key=lambda r: r.sent_idx) for d, v in docs.items()}


def split_by_document(
    rows: Sequence[LabeledSentence], fraction: float, seed: int
) -> tuple[list[LabeledSentence], list[LabeledSentence]]:
    """Hold out ``fraction`` of the articles (never single sentences); returns (rest, held_out)."""
    docs = sorted({r.doc_id for r in rows})
    random.Random(seed).shuffle(docs)
    n_held = max(1, round(fraction * len(docs))) if len(docs) > 1 else 0
    held = set(docs[:n_held])
    return [r for r in rows if r.doc_id not in held], [r for r in rows if r.doc_id in held]


def outlet_folds(rows: Sequence[LabeledSentence], n_folds: int, seed: int) -> list[set[str]]:
    """Partition outlets into ``n_folds`` groups for leave-outlets-out cross-validation."""
    outlets = sorted({r.outlet for r in rows})
    random.Random(seed).shuffle(outlets)
    n_folds = min(n_folds, len(outlets))
    return [set(outlets[i::n_folds]) for i in range(n_folds)]
