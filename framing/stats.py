"""The statistics behind the report, as pure functions on numpy arrays.

Intervals (Wilson, percentile bootstrap), the outlet x frame chi-square and its permutation
test over articles, Benjamini-Hochberg adjustment, Jensen-Shannon divergence. scipy does
the distributions; what is written here is only the vectorised bookkeeping a permutation
test over thousands of resamples needs.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

CI_LEVEL = 0.95
_PERM_CHUNK = 1000  # permutations per block, to bound memory on large corpora


def wilson_interval(k: int, n: int, level: float = CI_LEVEL) -> tuple[float, float]:
    """Wilson score interval for k of n independent trials (n >= 1); contains k / n."""
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def bootstrap_weights(n_units: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """How often each unit is drawn in each resample with replacement: (n_boot, n_units) ints."""
    return rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=n_boot)


def percentile_interval(draws: np.ndarray, level: float = CI_LEVEL) -> tuple[float, float]:
    """The percentile interval of 1-D bootstrap draws (NaN draws dropped by the caller)."""
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


def chi_square(k: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Pearson chi-square of outlet x (frame / no frame) tables, vectorised.

    k: (..., outlets, frames) sentences with the frame; c: (..., outlets) content sentences.
    Returns (..., frames). For a two-column table the statistic reduces to
    sum_outlets (k - c p)^2 / (c p (1 - p)), p = pooled share. Frames with p in {0, 1} get 0.
    """
    c = c[..., None]
    p = k.sum(axis=-2, keepdims=True) / c.sum(axis=-2, keepdims=True)
    var = c * p * (1 - p)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(var > 0, (k - c * p) ** 2 / var, 0.0)
    return np.asarray(terms.sum(axis=-2))


def permutation_pvalues(
    k: np.ndarray, c: np.ndarray, labels: np.ndarray, n_perm: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Chi-square statistic and permutation p per frame, shuffling outlet labels across articles.

    k: (articles, frames) frame counts; c: (articles,) content counts; labels: (articles,)
    outlet index 0..R-1. Each outlet keeps its number of articles in every permutation.
    """
    n_out = int(labels.max()) + 1
    onehot = np.eye(n_out)[labels]  # (articles, outlets)
    observed = chi_square(onehot.T @ k, onehot.T @ c)  # (frames,)
    tol = 1e-9 * np.maximum(1.0, observed)  # equal statistics computed in another order
    exceed = np.zeros_like(observed)
    data = np.column_stack([c, k])  # (articles, 1 + frames)
    for start in range(0, n_perm, _PERM_CHUNK):
        m = min(_PERM_CHUNK, n_perm - start)
        perm = rng.permuted(np.tile(labels, (m, 1)), axis=1)  # (m, articles)
        sums = np.stack([(perm == r).astype(float) @ data for r in range(n_out)], axis=1)
        permuted = chi_square(sums[..., 1:], sums[..., 0])  # (m, frames)
        exceed += (permuted >= observed - tol).sum(axis=0)
    return observed, (1 + exceed) / (1 + n_perm)


def bh_adjust(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q), in the input order."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p)
    scaled = p[order] * p.size / np.arange(1, p.size + 1)
    q = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty_like(p)
    out[order] = np.minimum(q, 1.0)
    return out


def js_divergence(p: Sequence[float], q: Sequence[float]) -> float:
    """Jensen-Shannon divergence, base 2, in [0, 1] (scipy gives the distance: square it)."""
    return float(jensenshannon(p, q, base=2) ** 2)
