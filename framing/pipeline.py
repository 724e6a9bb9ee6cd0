"""The main job, stage by stage: input → sentences → tagged sentences → files.

``tag_input`` and ``report_input`` are what ``framing tag`` and ``framing report`` call.
The tag JSONL format (one object per sentence, input order) is a public interface; see
docs/output-format.md before changing a field.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from framing import __version__
from framing.clean import clean_article
from framing.errors import InputError
from framing.files import read_jsonl_objects, write_jsonl_atomic
from framing.ingest import is_presplit, read_articles, read_sentences
from framing.registry import resolve_model_dir
from framing.segment import segment_articles
from framing.tagger import FramingTagger
from framing.types import ATTRIBUTIONS, Sentence, TaggedSentence

TAG_FIELDS = (
    "doc_id", "outlet", "sent_idx", "text", "content", "content_score", "frames",
    "frame_scores", "attribution", "attribution_score", "model",
)


def input_files(path: str | Path) -> list[Path]:
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    return [path]


def file_hashes(path: str | Path) -> dict[str, str]:
    """sha256 of every input file, for the report's methods footer."""
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in input_files(path)}


def load_sentences(path: str | Path) -> list[Sentence]:
    """Sentences from articles (ingest → clean → segment) or from a pre-split sentence JSONL."""
    if is_presplit(path):
        return read_sentences(path)
    return segment_articles([clean_article(a) for a in read_articles(path)])


def load_tagger(model: str | Path | None = None, progress: bool = True) -> FramingTagger:
    """The tagger in ``model``, else the current default version, else the shipped model."""
    folder = resolve_model_dir(model)
    try:
        return FramingTagger.load(folder, progress=progress)
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        raise InputError(folder, f"not a loadable framing model: {exc}",
                         fix="pass --model a folder written by FramingTagger.save (tagger.json, weights.safetensors)") from None


def tagged_to_json(t: TaggedSentence) -> dict[str, Any]:
    return {
        "doc_id": t.doc_id, "outlet": t.outlet, "sent_idx": t.sent_idx, "text": t.text,
        "content": t.content, "content_score": t.content_score, "frames": list(t.frames),
        "frame_scores": dict(t.frame_scores), "attribution": t.attribution,
        "attribution_score": t.attribution_score, "model": t.model,
    }


def is_tag_output(path: str | Path) -> bool:
    """A ``framing tag`` output file: JSONL whose first object has the tag fields."""
    path = Path(path)
    if not path.is_file() or path.suffix != ".jsonl":
        return False
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.strip():
                try:
                    first = json.loads(line)
                except json.JSONDecodeError:
                    return False
                return isinstance(first, dict) and {"content_score", "frame_scores"} <= set(first)
    return False


def read_tagged(path: str | Path) -> list[TaggedSentence]:
    """Read a ``framing tag`` output back, validating each line."""
    path = Path(path)
    out = []
    for number, obj in read_jsonl_objects(path, fix="pass the file written by `framing tag`, unchanged"):
        missing = [k for k in TAG_FIELDS if k not in obj]
        if missing:
            raise InputError(path, f"missing field(s) {missing}", line=number,
                             fix="pass the file written by `framing tag`, unchanged")
        if obj["content"] and obj["attribution"] not in ATTRIBUTIONS:
            raise InputError(path, f"attribution: expected 'attributed' or 'editorial', got {obj['attribution']!r}", line=number)
        out.append(TaggedSentence(
            obj["doc_id"], obj["outlet"], int(obj["sent_idx"]), obj["text"], bool(obj["content"]),
            float(obj["content_score"]), tuple(obj["frames"]), dict(obj["frame_scores"]), obj["attribution"],
            float(obj["attribution_score"]), obj["model"],
        ))
    if not out:
        raise InputError(path, "no tagged sentences in the file")
    return out


def tag_input(input_path: str | Path, out: str | Path, model: str | Path | None = None) -> list[TaggedSentence]:
    """``framing tag``: tag every sentence of the input and write one JSON line per sentence."""
    sentences = load_sentences(input_path)
    tagged = load_tagger(model).predict(sentences)
    write_jsonl_atomic(out, (tagged_to_json(t) for t in tagged))
    return tagged


def report_input(
    input_path: str | Path, out_dir: str | Path, model: str | Path | None = None, title: str | None = None,
    seed: int = 0,
) -> Path:
    """``framing report``: tag (unless given a tag output) and write the per-outlet report."""
    from framing.report import write_report  # matplotlib is only needed here

    if is_tag_output(input_path):
        tagged = read_tagged(input_path)
        models = sorted({t.model for t in tagged})
        frames = tuple(dict.fromkeys(f for t in tagged for f in t.frame_scores))
        model_id, model_hash = ", ".join(models), "(from the tag file; see its model id)"
    else:
        tagger = load_tagger(model)
        tagged = tagger.predict(load_sentences(input_path))
        frames = tagger.schema.frames
        model_id, model_hash = tagger.model_id_, tagger.weights_sha256_
    return write_report(
        tagged, frames, out_dir,
        title=title or f"Framing report: {Path(input_path).name}",
        model_id=model_id, model_hash=model_hash, inputs=file_hashes(input_path),
        package_version=__version__, seed=seed,
    )

