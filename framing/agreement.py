"""Agreement between annotators, the disagreements to adjudicate, and the adjudicated gold view.

Per label (content, each frame, ``none``, voice): Cohen's κ when there are two annotators
(``sklearn.metrics.cohen_kappa_score`` over the sentences both labeled), Krippendorff's α
(nominal; missing labels allowed) when there are more. Frames and voice exist only for
content sentences, so a sentence enters the frame and voice statistics with the labels of
the annotators who called it content.

Gold: the majority per label (content first; frames and voice among the annotators who
said content). A tie goes to the adjudicator's value when ``adjudicator`` labeled the
sentence and the value is one of the tied ones; otherwise the sentence is left out of gold
and listed as unresolved.
"""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Hashable, Iterable, Literal, Mapping, Sequence

import numpy as np

from framing.dataset import GOLD_FILE, current_labels, predict_in_context, read_registry, require_schema
from framing.errors import InputError
from framing.labels import label_to_json
from framing.files import write_jsonl_atomic
from framing.types import LabeledSentence, split_sentence_id

Statistic = Literal["cohen_kappa", "krippendorff_alpha"]
_TIE = object()


def krippendorff_alpha_nominal(units: Iterable[Sequence[Hashable]]) -> float | None:
    """Krippendorff's α for nominal values; each unit lists the values it got (missing left out).

    With the coincidence matrix ``o[c, k] = Σ_u (ordered c-k pairs of values in u) / (m_u − 1)``,
    ``n_c = Σ_k o[c, k]`` and ``n = Σ_c n_c``:
    ``α = 1 − D_o / D_e = 1 − (n − 1) · Σ_{c≠k} o[c, k] / Σ_{c≠k} n_c · n_k``.
    Units with fewer than two values cannot be paired and are left out. ``None`` when α is
    undefined: fewer than two pairable values, or only one value ever used.
    """
    o: defaultdict[tuple[Hashable, Hashable], float] = defaultdict(float)
    for values in units:
        m = len(values)
        if m < 2:
            continue
        counts = Counter(values)
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                o[(c, k)] += (n_c * (n_k - 1) if c == k else n_c * n_k) / (m - 1)
    totals: defaultdict[Hashable, float] = defaultdict(float)
    for (c, _), v in o.items():
        totals[c] += v
    n = sum(totals.values())
    observed = sum(v for (c, k), v in o.items() if c != k)
    expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k)
    if n < 2 or expected == 0:
        return None
    return float(1.0 - (n - 1) * observed / expected)


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's κ of two aligned label lists; ``None`` when undefined (both constant and equal)."""
    from sklearn.metrics import cohen_kappa_score

    if len(a) < 2:
        return None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        value = float(cohen_kappa_score([str(x) for x in a], [str(x) for x in b]))
    return None if np.isnan(value) else value


def label_variables(frames: Sequence[str]) -> list[str]:
    return ["content", *frames, "none", "voice"]


def value_of(label: LabeledSentence, variable: str) -> Hashable | None:
    """The value of one label variable; ``None`` where it does not apply (frames, voice of boilerplate)."""
    if variable == "content":
        return label.content
    if not label.content:
        return None
    if variable == "voice":
        return label.attribution
    if variable == "none":
        return not label.frames
    return variable in label.frames


@dataclass(frozen=True)
class AgreementStat:
    label: str
    statistic: Statistic
    value: float | None
    n_sentences: int  # sentences with at least two values for this label
    percent_agreement: float | None  # of those, the share where everyone agreed


def agreement_stats(by_rater: Mapping[str, Mapping[str, LabeledSentence]], frames: Sequence[str]) -> list[AgreementStat]:
    """κ (two raters) or α (more) per label variable."""
    raters = sorted(by_rater)
    stats = []
    for variable in label_variables(frames):
        units: dict[str, dict[str, Hashable]] = {}
        for r in raters:
            for sid, label in by_rater[r].items():
                v = value_of(label, variable)
                if v is not None:
                    units.setdefault(sid, {})[r] = v
        pairable = {sid: u for sid, u in units.items() if len(u) >= 2}
        agree = sum(len(set(u.values())) == 1 for u in pairable.values())
        share = agree / len(pairable) if pairable else None
        if len(raters) == 2:
            ids = sorted(pairable)
            value = cohen_kappa([pairable[s][raters[0]] for s in ids], [pairable[s][raters[1]] for s in ids])
            stats.append(AgreementStat(variable, "cohen_kappa", value, len(ids), share))
        else:
            value = krippendorff_alpha_nominal([list(u.values()) for u in pairable.values()])
            stats.append(AgreementStat(variable, "krippendorff_alpha", value, len(pairable), share))
    return stats


def _majority(votes: Mapping[str, Hashable], adjudicator: str | None) -> Any:
    counts = Counter(votes.values())
    top = max(counts.values())
    winners = [v for v, c in counts.items() if c == top]
    if len(winners) == 1:
        return winners[0]
    if adjudicator is not None and adjudicator in votes and votes[adjudicator] in winners:
        return votes[adjudicator]
    return _TIE


def gold_label(labels: Mapping[str, LabeledSentence], frames: Sequence[str], adjudicator: str | None) -> tuple[LabeledSentence | None, list[str]]:
    """The majority label of one sentence, or None and the names of the tied labels."""
    first = next(iter(labels.values()))
    content = _majority({a: l.content for a, l in labels.items()}, adjudicator)
    if content is _TIE:
        return None, ["content"]
    if not content:
        return LabeledSentence(first.doc_id, first.outlet, first.sent_idx, first.text, False, (), None), []
    said_content = {a: l for a, l in labels.items() if l.content}
    ties = []
    chosen = []
    for f in frames:
        v = _majority({a: f in l.frames for a, l in said_content.items()}, adjudicator)
        if v is _TIE:
            ties.append(f)
        elif v:
            chosen.append(f)
    voice = _majority({a: l.attribution for a, l in said_content.items()}, adjudicator)
    if voice is _TIE:
        ties.append("voice")
    if ties:
        return None, ties
    return LabeledSentence(first.doc_id, first.outlet, first.sent_idx, first.text, True, tuple(chosen), voice), []


@dataclass(frozen=True)
class Disagreement:
    sentence_id: str
    text: str
    labels: Mapping[str, Mapping[str, Any]]  # annotator -> {content, frames, attribution}
    differ: tuple[str, ...]  # the label variables they disagree on

    def to_json(self) -> dict[str, Any]:
        return {"id": self.sentence_id, "text": self.text, "differ": list(self.differ),
                "labels": {a: dict(v) for a, v in self.labels.items()}}


@dataclass
class AgreementReport:
    annotators: list[str]
    stats: list[AgreementStat]
    disagreements: list[Disagreement]
    gold: list[LabeledSentence]
    unresolved: list[tuple[str, list[str]]]  # (sentence id, tied labels)
    gold_path: Path
    model_stats: list[AgreementStat] = field(default_factory=list)
    model_id: str | None = None

    def lines(self) -> list[str]:
        kind = "Cohen's kappa" if len(self.annotators) == 2 else "Krippendorff's alpha (nominal)"
        out = [f"annotators: {', '.join(self.annotators)}"]
        if len(self.annotators) < 2:
            out.append("agreement needs at least two annotators; the gold view is the single annotator's labels")
        header = f"{'label':<24} {kind:>30} {'n':>5} {'% agree':>8}"
        if self.model_stats:
            header += f" {'model vs gold kappa':>20}"
        out.append(header)
        model = {s.label: s for s in self.model_stats}
        for s in self.stats:
            line = f"{s.label:<24} {_fmt(s.value):>30} {s.n_sentences:>5} {_fmt(s.percent_agreement, pct=True):>8}"
            if model:
                line += f" {_fmt(model[s.label].value):>20}"
            out.append(line)
        if self.model_id:
            out.append(f"model: {self.model_id} (compare its kappa against gold with the annotators' agreement)")
        out.append(f"disagreements to adjudicate: {len(self.disagreements)}")
        for d in self.disagreements:
            out.append(f"  {d.sentence_id} [{', '.join(d.differ)}] {d.text[:100]!r}")
            for who, lab in d.labels.items():
                out.append(f"      {who}: {lab}")
        out.append(f"gold: {len(self.gold)} sentences -> {self.gold_path}")
        if self.unresolved:
            out.append(f"left out of gold (ties; pass --adjudicator NAME): {len(self.unresolved)}")
            out += [f"  {sid}: tied on {', '.join(labels)}" for sid, labels in self.unresolved]
        return out


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.0f}%" if pct else f"{value:.3f}"


def _short(label: LabeledSentence) -> dict[str, Any]:
    return {"content": label.content, "frames": list(label.frames), "attribution": label.attribution}


def dataset_gold(
    dataset: str | Path, adjudicator: str | None = None
) -> tuple[list[LabeledSentence], list[tuple[str, list[str]]], list[Disagreement], dict[str, dict[str, LabeledSentence]]]:
    """The gold view of a dataset: (gold rows, unresolved ties, disagreements, labels by annotator)."""
    dataset = Path(dataset)
    schema = require_schema(dataset)
    labels = {a: rows for a, rows in current_labels(dataset, schema).items() if rows}
    if not labels:
        raise InputError(dataset, "no current labels in the dataset", fix="import annotations first (framing annotate import)")
    if adjudicator is not None and adjudicator not in labels:
        raise InputError("--adjudicator", f"{adjudicator!r} has no labels in {dataset}", fix=f"annotators: {', '.join(sorted(labels))}")
    variables = label_variables(schema.frames)
    by_sentence: dict[str, dict[str, LabeledSentence]] = {}
    for who in sorted(labels):
        for sid, label in labels[who].items():
            by_sentence.setdefault(sid, {})[who] = label
    disagreements, gold, unresolved = [], [], []
    for sid in sorted(by_sentence, key=split_sentence_id):
        votes = by_sentence[sid]
        differ = tuple(v for v in variables if len({value_of(l, v) for l in votes.values()}) > 1)
        if differ:
            first = next(iter(votes.values()))
            disagreements.append(Disagreement(sid, first.text, {a: _short(l) for a, l in votes.items()}, differ))
        row, ties = gold_label(votes, schema.frames, adjudicator)
        if row is None:
            unresolved.append((sid, ties))
        else:
            gold.append(row)
    return gold, unresolved, disagreements, labels


def agreement(dataset: str | Path, adjudicator: str | None = None, model: str | Path | None = None) -> AgreementReport:
    """``framing annotate agreement``: statistics, disagreements, and ``gold.jsonl`` written.

    With ``model``, the model's labels of the gold sentences are compared with gold the
    same way (Cohen's kappa per label), to see whether the model is near human agreement.
    """
    dataset = Path(dataset)
    frames = require_schema(dataset).frames
    gold, unresolved, disagreements, labels = dataset_gold(dataset, adjudicator)
    tagger = None
    if model is not None:  # load before writing anything: a bad --model leaves the dataset as it was
        from framing.pipeline import load_tagger

        tagger = load_tagger(model, progress=False)
        if tuple(tagger.schema.frames) != tuple(frames):
            raise InputError(model, f"the model's frames {list(tagger.schema.frames)} differ from the dataset's {list(frames)}",
                             fix="compare a model of the dataset's label schema")
    gold_path = write_jsonl_atomic(dataset / GOLD_FILE, (label_to_json(r) for r in gold))
    write_jsonl_atomic(dataset / "disagreements.jsonl", (d.to_json() for d in disagreements))
    report = AgreementReport(sorted(labels), agreement_stats(labels, frames), disagreements, gold, unresolved, gold_path)
    if tagger is not None and gold:
        from framing.tagger import _apply

        registry = read_registry(dataset)
        probs = predict_in_context(tagger, gold, {sid: (e.context_before, e.context_after) for sid, e in registry.items()})
        predicted = {}
        for row, (content, chosen, voice) in zip(gold, _apply(probs, tagger.thresholds_, frames)):
            predicted[row.id] = LabeledSentence(row.doc_id, row.outlet, row.sent_idx, row.text, content, chosen, voice)  # type: ignore[arg-type]
        report.model_stats = agreement_stats({"gold": {r.id: r for r in gold}, "model": predicted}, frames)
        report.model_id = tagger.model_id_
    return report
