"""Decision thresholds: stored with a model, tuned on held-out articles (never on test data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

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


def _best(y: np.ndarray, p: np.ndarray, average: str) -> float:
    """The grid threshold with the best F1; ties go to the one nearest 0.5 (least tuned)."""
    if len(np.unique(y)) < 2:
        return 0.5
    scores = [f1_score(y, (p >= t).astype(int), average=average, zero_division=0) for t in GRID]
    best = max(scores)
    return float(min((t for t, s in zip(GRID, scores) if s >= best - 1e-9), key=lambda t: abs(t - 0.5)))


def tune_thresholds(gold: Sequence[LabeledSentence], probs: np.ndarray, frames: Sequence[str]) -> Thresholds:
    """Per-head thresholds maximising F1 on ``gold`` (boilerplate F1, voice macro-F1, frame F1)."""
    is_content = np.array([r.content for r in gold])
    content = _best((~is_content).astype(int), 1.0 - probs[:, 0], "binary")
    content_rows = probs[is_content]
    voice_gold = np.array([r.attribution == "attributed" for r in gold])[is_content].astype(int)
    attributed = _best(voice_gold, content_rows[:, 1], "macro")
    frame_t = {}
    for j, frame in enumerate(frames):
        y = np.array([frame in r.frames for r in gold])[is_content].astype(int)
        frame_t[frame] = _best(y, content_rows[:, 2 + j], "binary")
    # boilerplate is predicted when P(content) < threshold, i.e. 1 - P(content) > 1 - threshold
    return Thresholds(content=round(1.0 - content, 2), attributed=attributed, frames=frame_t)
