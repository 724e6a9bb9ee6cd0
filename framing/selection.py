"""Which unlabeled sentences to label next: a plain dict of strategy name -> function.

- ``uncertainty``: the sentences the model doubts most (see ``doubt``).
- ``diverse``: picks spread over outlets and over k-means clusters of TF-IDF sentence
  vectors (TF-IDF, not the model's embeddings: no second pass through the encoder, and
  clusters that an annotator can read off the words).
- ``random``: the control every other strategy must beat.

Every strategy takes the candidates, a budget ``n`` and a seed, and returns candidate
positions in pick order; it is a pure function (no disk, no model calls).
"""

from __future__ import annotations

import random
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Callable, Literal, Sequence

import numpy as np

from framing.errors import InputError
from framing.tune import Thresholds
from framing.types import Sentence

StrategyName = Literal["uncertainty", "diverse", "random"]


@dataclass(frozen=True)
class Candidates:
    """Unlabeled sentences and, when a strategy needs them, the model's probabilities."""

    sentences: Sequence[Sentence]
    probs: np.ndarray | None  # (n, 2 + n_frames): P(content), P(attributed), P(frame)...
    thresholds: Thresholds | None
    frames: Sequence[str]


def margin_doubt(p: np.ndarray, t: float) -> np.ndarray:
    """1 at the threshold, 0 at the far end (0 or 1) of the side ``p`` is on; linear between.

    Dividing by the length of that side makes heads with thresholds far from 0.5 comparable:
    p = 0.2 under a threshold of 0.3 and p = 0.6 under a threshold of 0.9 are both a third of
    the way from their threshold down to 0, and both score 2/3.
    """
    side = np.where(p < t, t, 1.0 - t)
    return np.clip(1.0 - np.abs(p - t) / np.maximum(side, 1e-9), 0.0, 1.0)


def doubt(probs: np.ndarray, thresholds: Thresholds, frames: Sequence[str]) -> np.ndarray:
    """One doubt score per sentence, in [0, 1]: the model's most doubtful decision.

    ``doubt = max(d_content, P(content) * max(d_voice, d_frame_1, ..., d_frame_k))`` with
    ``d = margin_doubt(p, threshold)`` per head. Voice and frames only matter for content
    sentences, so their doubt is weighted by P(content): a sure boilerplate line is not worth
    labeling because its frame head wavers.
    """
    d_content = margin_doubt(probs[:, 0], thresholds.content)  # (n,)
    heads = [margin_doubt(probs[:, 1], thresholds.attributed)]
    heads += [margin_doubt(probs[:, 2 + j], thresholds.frames[f]) for j, f in enumerate(frames)]
    d_inner = np.max(np.stack(heads, axis=1), axis=1)  # (n,)
    return np.maximum(d_content, probs[:, 0] * d_inner)


def _uncertainty(c: Candidates, n: int, seed: int) -> list[int]:
    if c.probs is None or c.thresholds is None:
        raise ValueError("the uncertainty strategy needs the model's probabilities")
    scores = doubt(c.probs, c.thresholds, c.frames)
    tiebreak = random.Random(seed).sample(range(len(scores)), len(scores))
    order = sorted(range(len(scores)), key=lambda i: (-round(float(scores[i]), 6), tiebreak[i]))
    return order[:n]


def _random(c: Candidates, n: int, seed: int) -> list[int]:
    return random.Random(seed).sample(range(len(c.sentences)), min(n, len(c.sentences)))


def tfidf_clusters(texts: Sequence[str], k: int, seed: int) -> np.ndarray:
    """k-means cluster of each text over word 1-2-gram TF-IDF vectors."""
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer

    k = max(1, min(k, len(set(texts))))
    if k == 1:
        return np.zeros(len(texts), dtype=int)
    x = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(texts)
    with warnings.catch_warnings():  # texts with identical vectors: fewer distinct clusters, which is fine
        warnings.simplefilter("ignore", ConvergenceWarning)
        return np.asarray(KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(x))


def _diverse(c: Candidates, n: int, seed: int) -> list[int]:
    """Outlets in turn; within an outlet, its least-picked cluster so far; a random member of it."""
    rng = random.Random(seed)
    n = min(n, len(c.sentences))
    clusters = tfidf_clusters([s.text for s in c.sentences], k=max(2, int(np.sqrt(n)) + 1), seed=seed)
    cells: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, s in enumerate(c.sentences):
        cells[s.outlet][int(clusters[i])].append(i)
    for by_cluster in cells.values():
        for members in by_cluster.values():
            rng.shuffle(members)
    outlets = sorted(cells)
    rng.shuffle(outlets)
    picked: list[int] = []
    used: Counter[int] = Counter()
    while len(picked) < n:
        for outlet in outlets:
            open_clusters = [k for k, m in cells[outlet].items() if m]
            if not open_clusters or len(picked) >= n:
                continue
            k = min(open_clusters, key=lambda k: (used[k], k))
            picked.append(cells[outlet][k].pop())
            used[k] += 1
    return picked


Strategy = Callable[[Candidates, int, int], list[int]]
STRATEGIES: dict[str, Strategy] = {"uncertainty": _uncertainty, "diverse": _diverse, "random": _random}
NEEDS_PROBS = frozenset({"uncertainty"})


def select(name: str, candidates: Candidates, n: int, seed: int) -> list[int]:
    """Positions of the ``n`` candidates strategy ``name`` picks (all of them when fewer)."""
    if name not in STRATEGIES:
        raise InputError("--strategy", f"unknown strategy {name!r}", fix=f"valid strategies: {', '.join(STRATEGIES)}")
    return STRATEGIES[name](candidates, n, seed)
