"""Old model vs new model on one frozen test set: per-label F1 deltas with paired bootstrap CIs.

The bootstrap resamples test *articles* with replacement (sentences of one article are not
independent) and recomputes both models' metrics on the same resample; the 95% interval
is the 2.5th-97.5th percentile of the B differences (new - old). Metrics are the ones of
``framing.evaluate.score`` (boilerplate F1 over all sentences; frame, none and voice F1 over
gold content sentences; the three headline numbers), computed from per-article
true/false-positive and false-negative counts so that B resamples cost one matrix product.

The non-worse rule: a headline metric is *worse* when its delta is below 0 **and** the
upper end of its 95% interval is below 0 (the new model is reliably worse on it). A new
version is not worse, and may become the default, when none of the three headline metrics
is worse. A delta below 0 whose interval includes 0 is noise at this test-set size.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np

from framing.evaluate import HEADLINE, Labels
from framing.types import LabeledSentence

VOICES = ("attributed", "editorial")


@dataclass(frozen=True)
class Delta:
    """One metric, old vs new: point values on the full test set and the 95% CI of new - old."""

    metric: str
    old: float
    new: float
    delta: float
    ci_low: float
    ci_high: float
    headline: bool

    @property
    def worse(self) -> bool:
        return self.delta < 0 and self.ci_high < 0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "worse": self.worse}


def label_names(frames: Sequence[str]) -> list[str]:
    return ["boilerplate", *frames, "none", *VOICES]


def _counts(gold: Sequence[LabeledSentence], pred: Labels, frames: Sequence[str]) -> np.ndarray:
    """(n_sentences, n_labels, 3): tp, fp, fn of every sentence for every label (0 where out of scope)."""
    names = label_names(frames)
    out = np.zeros((len(gold), len(names), 3))
    for i, (g, (content, chosen, voice)) in enumerate(zip(gold, pred)):
        pairs: list[tuple[bool, bool] | None] = [(not g.content, not content)]
        for f in [*frames, "none"]:
            if not g.content:
                pairs.append(None)
            elif f == "none":
                pairs.append((not g.frames, not chosen))
            else:
                pairs.append((f in g.frames, f in chosen))
        pairs += [(g.attribution == v, voice == v) if g.content else None for v in VOICES]
        for j, pair in enumerate(pairs):
            if pair is not None:
                y, yhat = pair
                out[i, j] = (y and yhat, yhat and not y, y and not yhat)
    return out


def _metrics(totals: np.ndarray, frames: Sequence[str]) -> dict[str, np.ndarray]:
    """F1 per label and the headline numbers from summed counts (..., n_labels, 3)."""
    tp, fp, fn = totals[..., 0], totals[..., 1], totals[..., 2]
    denom = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)  # 0 when undefined, as sklearn's zero_division=0
    names = label_names(frames)
    out = {f"{name}_f1": f1[..., j] for j, name in enumerate(names)}
    n_frames = len(frames) + 1  # the frames and none
    out["frames_macro_f1"] = f1[..., 1 : 1 + n_frames].mean(axis=-1)
    out["attribution_macro_f1"] = f1[..., 1 + n_frames :].mean(axis=-1)
    out["boilerplate_f1"] = f1[..., 0]
    return out


def paired_bootstrap(
    gold: Sequence[LabeledSentence], old: Labels, new: Labels, frames: Sequence[str], *, n_boot: int = 1000, seed: int = 0
) -> list[Delta]:
    """Deltas (new - old) of every metric with 95% CIs over resampled articles; headline metrics first."""
    docs = sorted({g.doc_id for g in gold})
    index = {d: k for k, d in enumerate(docs)}
    which = np.array([index[g.doc_id] for g in gold])
    per_doc = []
    for pred in (old, new):
        counts = _counts(gold, pred, frames)
        summed = np.zeros((len(docs), *counts.shape[1:]))
        np.add.at(summed, which, counts)  # (n_docs, n_labels, 3)
        per_doc.append(summed)
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(len(docs), np.full(len(docs), 1.0 / len(docs)), size=n_boot)  # (B, n_docs)
    point = [_metrics(d.sum(axis=0), frames) for d in per_doc]
    boot = [_metrics(np.einsum("bd,dlk->blk", weights, d), frames) for d in per_doc]
    names = [*HEADLINE, *(f"{n}_f1" for n in label_names(frames) if f"{n}_f1" not in HEADLINE)]
    deltas = []
    for name in names:
        diff = boot[1][name] - boot[0][name]
        low, high = np.percentile(diff, [2.5, 97.5])
        o, n = float(point[0][name]), float(point[1][name])
        deltas.append(Delta(name, round(o, 4), round(n, 4), round(n - o, 4), round(float(low), 4), round(float(high), 4),
                            name in HEADLINE))
    return deltas


def not_worse(deltas: Sequence[Delta]) -> bool:
    """True when no headline metric is reliably worse (see the module docstring)."""
    return not any(d.worse for d in deltas if d.headline)


def format_comparison(deltas: Sequence[Delta], n_docs: int, n_sentences: int, n_boot: int) -> str:
    lines = [f"old vs new on {n_sentences} test sentences from {n_docs} articles "
             f"(95% paired bootstrap CI over articles, {n_boot} resamples)",
             f"{'metric':<26} {'old':>7} {'new':>7} {'delta':>8}  {'95% CI':<18}"]
    for d in deltas:
        flag = "  WORSE" if d.worse else ""
        lines.append(f"{d.metric:<26} {d.old:>7.3f} {d.new:>7.3f} {d.delta:>+8.3f}  [{d.ci_low:+.3f}, {d.ci_high:+.3f}]{flag}")
        if d.metric == HEADLINE[-1]:
            lines.append("")
    return "\n".join(lines)
