"""``framing annotate export`` and ``import``: choose what to label, merge the labels back safely.

Export tags the unlabeled articles with the current model, lets a strategy
(``framing.selection``) pick ``n`` sentences that are not yet labeled in the dataset, writes
them with their neighbours and the model's labels as pre-annotations, and records them in
the dataset's sentence registry.

Import checks every row of every file (label schema, registry id, text hash, annotator)
and merges only when all rows are valid: one bad row means nothing is merged and every
problem is listed with its file and line. Re-labeling a sentence replaces the same
annotator's earlier label (the old one goes to ``history.jsonl`` first); different
annotators' labels are kept side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from framing.annotation_io import (
    FORMATS,
    ExportedSentence,
    Format,
    RawAnnotation,
    format_of,
    read_annotations,
    text_sha256,
    write_export,
)
from framing.dataset import (
    ANNOTATOR_NAME,
    Registered,
    StoredLabel,
    append_history,
    check_annotator,
    current_labels,
    now,
    read_annotator,
    read_registry,
    read_schema,
    require_schema,
    write_annotator,
    write_registry,
    write_schema,
)
from framing.errors import InputError
from framing.labels import parse_label
from framing.pipeline import load_sentences, load_tagger
from framing.schema import LabelSchema
from framing.selection import STRATEGIES, Candidates, doubt, select
from framing.tagger import _apply
from framing.types import Sentence


class ImportProblems(InputError):
    """Every problem found in an import, reported together (nothing was merged)."""

    def __init__(self, problems: Sequence[InputError]) -> None:
        first = problems[0]
        super().__init__(first.where, first.problem, line=first.line, fix=first.fix)
        self.problems = list(problems)
        self.args = (f"{len(problems)} problem(s) in the annotations; nothing was merged\n"
                     + "\n".join(f"- {p}" for p in problems),)

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class ExportResult:
    files: list[Path]
    rows: list[ExportedSentence]
    n_candidates: int
    n_new_in_registry: int


@dataclass
class ImportSummary:
    """Counts per annotator: ``added``, ``replaced`` (old label kept in history), ``unchanged``."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def lines(self, dataset: Path) -> list[str]:
        out = []
        for who, c in sorted(self.counts.items()):
            note = f" (old versions appended to {dataset / 'history.jsonl'})" if c["replaced"] else ""
            out.append(f"{who}: {c['added']} added, {c['replaced']} replaced{note}, {c['unchanged']} unchanged")
        return out


def neighbours(sentences: Sequence[Sentence]) -> dict[str, tuple[str, str]]:
    """The previous and next sentence of each sentence in its article ('' at the ends)."""
    docs: dict[str, list[Sentence]] = {}
    for s in sentences:
        docs.setdefault(s.doc_id, []).append(s)
    out = {}
    for doc in docs.values():
        doc.sort(key=lambda s: s.sent_idx)
        for i, s in enumerate(doc):
            out[s.id] = (doc[i - 1].text if i > 0 else "", doc[i + 1].text if i + 1 < len(doc) else "")
    return out


def export_for_annotation(
    input_path: str | Path, n: int, out: str | Path, dataset: str | Path, *,
    strategy: str = "uncertainty", model: str | Path | None = None, fmt: Format = "jsonl", seed: int = 0,
) -> ExportResult:
    """Pick ``n`` unlabeled sentences of the input with ``strategy`` and write them for annotators."""
    dataset = Path(dataset)
    if strategy not in STRATEGIES:
        raise InputError("--strategy", f"unknown strategy {strategy!r}", fix=f"valid strategies: {', '.join(STRATEGIES)}")
    if fmt not in FORMATS:
        raise InputError("--format", f"unknown format {fmt!r}", fix=f"valid formats: {', '.join(FORMATS)}")
    if format_of(out) != fmt:
        raise InputError(out, f"a {fmt} export needs a {FORMATS[fmt]} file name (import picks the format by extension)",
                         fix=f"name it e.g. {Path(out).with_suffix(FORMATS[fmt]).name}")
    if n < 1:
        raise InputError("--n", f"expected a number of sentences >= 1, got {n}")
    sentences = load_sentences(input_path)
    if not sentences:
        raise InputError(input_path, "no sentences in the input")
    tagger = load_tagger(model)
    schema, frames = tagger.schema, tagger.schema.frames
    known = read_schema(dataset)
    if known is not None and tuple(known.frames) != tuple(frames):
        raise InputError(dataset / "schema.json", f"the dataset's frames are {list(known.frames)}, the model's are {list(frames)}",
                         fix="export with a model of the dataset's label schema, or into a new dataset folder")
    registry = read_registry(dataset)
    labeled = set()
    if registry:
        for per_annotator in current_labels(dataset, require_schema(dataset)).values():
            labeled |= {(sid, text_sha256(r.text)) for sid, r in per_annotator.items()}
    pool = [s for s in sentences if (s.id, text_sha256(s.text)) not in labeled]
    if not pool:
        raise InputError(input_path, "every sentence of the input is already labeled in this dataset",
                         fix="export from other articles")
    probs = tagger.predict_proba(sentences)  # whole articles, so every sentence has its neighbours
    position = {s.id: i for i, s in enumerate(sentences)}
    pool_probs = probs[[position[s.id] for s in pool]]
    picks = select(strategy, Candidates(pool, pool_probs, tagger.thresholds_, frames), n, seed)
    scores = doubt(pool_probs, tagger.thresholds_, frames)
    labels = _apply(pool_probs, tagger.thresholds_, frames)
    around = neighbours(sentences)
    rows = []
    for i in picks:
        s, (content, chosen, voice) = pool[i], labels[i]
        rows.append(ExportedSentence(s.doc_id, s.outlet, s.sent_idx, s.text, *around[s.id], content, chosen,
                                     voice, float(scores[i]), tagger.model_id_))
    files = write_export(rows, out, fmt, schema)
    write_schema(dataset, schema)
    new = {r.id: Registered(r.doc_id, r.outlet, r.sent_idx, r.text, r.context_before, r.context_after) for r in rows}
    n_new = sum(1 for sid, e in new.items() if sid not in registry or registry[sid] != e)
    write_registry(dataset, {**registry, **new})
    return ExportResult(files, rows, len(pool), n_new)


def _check(raw: RawAnnotation, schema: LabelSchema, registry: dict[str, Registered]) -> tuple[StoredLabel | None, list[InputError]]:
    """A stored label, or every problem of one row."""
    problems: list[InputError] = []
    obj = dict(raw.label)
    sid = f"{obj.get('doc_id')}:{obj.get('sent_idx')}"
    entry = registry.get(sid)
    text = obj.get("text")
    if entry is None:
        problems.append(InputError(raw.where, f"{sid}: unknown sentence id (not in the dataset's sentences.jsonl)", line=raw.line,
                                   fix="import only files exported into this dataset, with ids unchanged"))
    else:
        obj["outlet"] = entry.outlet  # the registry's outlet is canonical
        own = text_sha256(text) if isinstance(text, str) else None
        if raw.text_sha256 is not None and own is not None and own != raw.text_sha256:
            problems.append(InputError(raw.where, f"{sid}: the text was edited in this file (it no longer matches text_sha256)",
                                       line=raw.line, fix="restore the exported text; labels belong to the text as exported"))
        elif (raw.text_sha256 or own) != entry.text_sha256:
            problems.append(InputError(raw.where, f"{sid}: text hash mismatch: the article was edited after this file was exported",
                                       line=raw.line, fix="export the article again and label the new export"))
    if raw.annotator is None:
        problems.append(InputError(raw.where, f"{sid}: no annotator for this row", line=raw.line,
                                   fix="pass --annotator NAME (or add an 'annotator' column/key)"))
    elif not ANNOTATOR_NAME.match(raw.annotator):
        problems.append(InputError(raw.where, f"{sid}: annotator name {raw.annotator!r} is not usable as a file name",
                                   line=raw.line, fix="use letters, digits and . _ - + @"))
    try:
        label = parse_label(obj, schema, raw.where, raw.line)
    except InputError as exc:
        problems.append(exc)
        return None, problems
    if problems or raw.annotator is None:
        return None, problems
    return StoredLabel(raw.annotator, label), []


def import_annotations(files: Sequence[str | Path], dataset: str | Path, annotator: str | None = None) -> ImportSummary:
    """Validate every row of ``files``; merge into ``dataset`` only if all are valid."""
    dataset = Path(dataset)
    schema = require_schema(dataset)
    registry = read_registry(dataset)
    if annotator is not None:
        check_annotator(annotator)
    problems: list[InputError] = []
    incoming: dict[str, dict[tuple[str, str], tuple[StoredLabel, str]]] = {}
    for path in files:
        raws, bad = read_annotations(path, annotator)
        problems += bad
        for raw in raws:
            stored, row_problems = _check(raw, schema, registry)
            problems += row_problems
            if stored is None:
                continue
            mine = incoming.setdefault(stored.annotator, {})
            place = f"{raw.where} line {raw.line}"
            if stored.key in mine:
                problems.append(InputError(raw.where, f"{stored.label.id}: labeled twice by {stored.annotator} in this import "
                                           f"(also {mine[stored.key][1]})", line=raw.line, fix="keep one label per sentence"))
                continue
            mine[stored.key] = (stored, place)
    if problems:
        raise ImportProblems(problems)
    summary = ImportSummary(files=[str(f) for f in files])
    for who, rows in incoming.items():
        merged = {s.key: s for s in read_annotator(dataset, who, schema)}
        counts = {"added": 0, "replaced": 0, "unchanged": 0}
        history = []
        for key, (stored, place) in rows.items():
            old = merged.get(key)
            if old is None:
                counts["added"] += 1
            elif old.label == stored.label:
                counts["unchanged"] += 1
                continue
            else:
                counts["replaced"] += 1
                history.append({"replaced_at": now(), "annotator": who, "replaced_by": place, "label": old.to_json()})
            merged[key] = stored
        append_history(dataset, history)  # the old versions are safe before the file is replaced
        write_annotator(dataset, who, merged.values())
        summary.counts[who] = counts
    return summary
