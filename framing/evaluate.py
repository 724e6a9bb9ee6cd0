"""Metrics of predicted labels against gold labels: per-label P/R/F1, macro-F1s, confusion
matrices and calibration error (scikit-learn; never a metric fetched from a hub).

Frames and voice are scored on the gold content sentences; a content sentence the model
calls boilerplate counts as a miss for both (it gets no frames and no voice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from framing.types import LabeledSentence

Labels = Sequence[tuple[bool, tuple[str, ...], str | None]]
HEADLINE = ("frames_macro_f1", "attribution_macro_f1", "boilerplate_f1")


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """ECE of binary probabilities: mean |accuracy - confidence| over equal-width bins, weighted."""
    if len(y) == 0:
        return float("nan")
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            total += sel.mean() * abs(y[sel].mean() - p[sel].mean())
    return float(total)


def _prf(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", zero_division=0)
    return {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(y_true.sum())}


@dataclass(frozen=True)
class Metrics:
    """All scores of one evaluation; ``headline()`` gives the three numbers reports quote."""

    per_label: Mapping[str, Mapping[str, float]]
    frames_macro_f1: float
    attribution_macro_f1: float
    boilerplate_f1: float
    confusion: Mapping[str, list[list[int]]]
    calibration: Mapping[str, float]
    n_sentences: int
    n_content: int

    def headline(self) -> dict[str, float]:
        return {k: round(float(getattr(self, k)), 4) for k in HEADLINE}

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.headline(),
            "per_label": {k: dict(v) for k, v in self.per_label.items()},
            "confusion": dict(self.confusion),
            "calibration": dict(self.calibration),
            "n_sentences": self.n_sentences,
            "n_content": self.n_content,
        }


def score(
    gold: Sequence[LabeledSentence], pred: Labels, frames: Sequence[str], probs: np.ndarray | None = None
) -> Metrics:
    """Score predicted (content, frames, voice) triples against gold, aligned by position."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold rows but {len(pred)} predictions")
    per_label: dict[str, dict[str, float]] = {}
    confusion: dict[str, list[list[int]]] = {}
    g_boiler = np.array([not r.content for r in gold], dtype=int)
    p_boiler = np.array([not c for c, _, _ in pred], dtype=int)
    per_label["boilerplate"] = _prf(g_boiler, p_boiler)
    confusion["boilerplate"] = confusion_matrix(g_boiler, p_boiler, labels=[0, 1]).tolist()

    content = [int(i) for i in np.flatnonzero(g_boiler == 0)]
    frame_f1 = []
    for frame in [*frames, "none"]:
        if frame == "none":
            y = np.array([not gold[i].frames for i in content], dtype=int)
            yhat = np.array([not pred[i][1] for i in content], dtype=int)
        else:
            y = np.array([frame in gold[i].frames for i in content], dtype=int)
            yhat = np.array([frame in pred[i][1] for i in content], dtype=int)
        per_label[frame] = _prf(y, yhat)
        confusion[frame] = confusion_matrix(y, yhat, labels=[0, 1]).tolist()
        frame_f1.append(per_label[frame]["f1"])

    voices = ["attributed", "editorial"]
    v_true = [gold[i].attribution for i in content]
    v_pred = [pred[i][2] or "boilerplate" for i in content]
    voice_f1 = []
    for v in voices:
        y = np.array([t == v for t in v_true], dtype=int)
        yhat = np.array([t == v for t in v_pred], dtype=int)
        per_label[v] = _prf(y, yhat)
        voice_f1.append(per_label[v]["f1"])
    confusion["attribution"] = confusion_matrix(v_true, v_pred, labels=[*voices, "boilerplate"]).tolist()[:2]

    calibration: dict[str, float] = {}
    if probs is not None:
        calibration["content"] = expected_calibration_error(1 - g_boiler, probs[:, 0])
        calibration["attributed"] = expected_calibration_error(
            np.array([t == "attributed" for t in v_true], dtype=int), probs[content, 1]
        )
        for j, frame in enumerate(frames):
            calibration[frame] = expected_calibration_error(
                np.array([frame in gold[i].frames for i in content], dtype=int), probs[content, 2 + j]
            )
    return Metrics(
        per_label=per_label,
        frames_macro_f1=float(np.mean(frame_f1)),
        attribution_macro_f1=float(np.mean(voice_f1)),
        boilerplate_f1=per_label["boilerplate"]["f1"],
        confusion=confusion,
        calibration=calibration,
        n_sentences=len(gold),
        n_content=len(content),
    )
