"""Decision thresholds: stored with a model, tuned on held-out articles (never on test data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Mapping, Sequence, get_args

import numpy as np
from sklearn.metrics import f1_score

from framing.types import LabeledSentence

GRID = np.round(np.arange(0.10, 0.91, 0.05), 2)


@dataclass(frozen=True)
class Thresholds:
    """P(content) >= content is content; P(attributed) >= attributed is attributed; per frame likewise."""

    content: float
    attributed: float
    frames: Mapping[str, float]

    @classmethod
    def default(cls, frames: Sequence[str]) -> "Thresholds":
        return cls(0.5, 0.5, {f: 0.5 for f in frames})

    def to_dict(self) -> dict[str, Any]:
        return {"content": self.content, "attributed": self.attributed, "frames": dict(self.frames)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Thresholds":
        return cls(float(data["content"]), float(data["attributed"]), {k: float(v) for k, v in data["frames"].items()})


ThresholdTuning = Literal["pooled", "balanced", "fixed"]
TUNING: tuple[str, ...] = get_args(ThresholdTuning)
MAX_TOLERANCE = 0.1  # a tolerance this wide would let almost any threshold through


def _best(y: np.ndarray, p: np.ndarray, average: str, weight: np.ndarray | None = None, below: bool = False,
          tolerance: float = 0.0) -> float:
    """The grid threshold nearest 0.5 (least tuned) among those within ``tolerance`` of the best (weighted) F1.

    The positive class is predicted where ``p >= t`` (or, with ``below``, where ``p < t``).
    """
    if len(np.unique(y)) < 2:
        return 0.5
    scores = [f1_score(y, ((p < t) if below else (p >= t)).astype(int), average=average, sample_weight=weight,
                       zero_division=0) for t in GRID]
    best = max(scores)
    return float(min((t for t, s in zip(GRID, scores) if s >= best - tolerance - 1e-9), key=lambda t: abs(t - 0.5)))


def balanced_weights(gold: Sequence[LabeledSentence]) -> np.ndarray:
    """Sentence weights that give the real and the synthetic part of ``gold`` equal total weight.

    Synthetic sentences outnumber real ones 16 to 1 in training and about 30 to 1 in a CV
    fold's dev split, so a pooled F1 is almost all synthetic; this makes the few real
    articles count as much as the corpus.
    """
    synthetic = np.array([r.synthetic for r in gold])
    n_syn, n_real = int(synthetic.sum()), int((~synthetic).sum())
    if n_syn == 0 or n_real == 0:
        return np.ones(len(gold))
    return np.where(synthetic, len(gold) / (2 * n_syn), len(gold) / (2 * n_real))


def tune_thresholds(
    gold: Sequence[LabeledSentence], probs: np.ndarray, frames: Sequence[str], how: ThresholdTuning = "pooled",
    tolerance: float = 0.0,
) -> Thresholds:
    """Per-head thresholds maximising F1 on ``gold`` (boilerplate F1, voice macro-F1, frame F1).

    ``how``: ``pooled`` weighs every dev sentence alike; ``balanced`` weighs the real and
    the synthetic dev articles equally (see :func:`balanced_weights`); ``fixed`` keeps 0.5.
    ``tolerance``: take the threshold nearest 0.5 whose dev F1 is within this of the best. Most
    probabilities sit near 0 or 1, so dev F1 is flat over much of the grid and the exact
    maximum on a few dozen real sentences is mostly noise.
    """
    if how not in TUNING:
        raise ValueError(f"threshold tuning {how!r}: expected one of {', '.join(TUNING)}")
    if not 0.0 <= tolerance < MAX_TOLERANCE:
        raise ValueError(f"threshold tolerance {tolerance}: expected a number in [0, {MAX_TOLERANCE:g})")
    if how == "fixed":
        return Thresholds.default(frames)
    weight = balanced_weights(gold) if how == "balanced" else np.ones(len(gold))
    is_content = np.array([r.content for r in gold])
    # boilerplate is the positive class, predicted where P(content) < threshold (as tagger._apply does)
    content = _best((~is_content).astype(int), probs[:, 0], "binary", weight, below=True, tolerance=tolerance)
    content_rows, content_weight = probs[is_content], weight[is_content]
    voice_gold = np.array([r.attribution == "attributed" for r in gold])[is_content].astype(int)
    attributed = _best(voice_gold, content_rows[:, 1], "macro", content_weight, tolerance=tolerance)
    frame_t = {}
    for j, frame in enumerate(frames):
        y = np.array([frame in r.frames for r in gold])[is_content].astype(int)
        frame_t[frame] = _best(y, content_rows[:, 2 + j], "binary", content_weight, tolerance=tolerance)
    return Thresholds(content=content, attributed=attributed, frames=frame_t)
