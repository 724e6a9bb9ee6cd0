"""Threshold rules: which dev sentences count, and how much."""

from __future__ import annotations

import numpy as np
import pytest

from framing.tune import balanced_weights, tune_thresholds
from framing.types import LabeledSentence

FRAMES = ("security_success", "legal_controversy", "human_rights_concern")


def _row(i: int, content: bool, synthetic: bool) -> LabeledSentence:
    return LabeledSentence(f"{'s' if synthetic else 'r'}{i // 5}", "O", i, "x", content, (),
                           "editorial" if content else None, synthetic)


def _dev() -> tuple[list[LabeledSentence], np.ndarray]:
    """90 synthetic sentences (9 boilerplate at P(content) 0.72, content at 0.88) and 10 real ones (0.22, 0.52).

    The synthetic part wants a content threshold between 0.72 and 0.88; the real part one between 0.22 and 0.52.
    """
    rows, probs = [], []
    for i in range(90):
        content = i % 10 != 0
        rows.append(_row(i, content, True))
        probs.append([0.88 if content else 0.72, 0.2, 0.1, 0.1, 0.1])
    for i in range(10):
        content = i % 2 == 0
        rows.append(_row(i, content, False))
        probs.append([0.52 if content else 0.22, 0.2, 0.1, 0.1, 0.1])
    return rows, np.array(probs)


def test_balanced_weights_give_real_and_synthetic_equal_total_weight():
    rows, _ = _dev()
    w = balanced_weights(rows)
    synthetic = np.array([r.synthetic for r in rows])
    assert w[synthetic].sum() == pytest.approx(w[~synthetic].sum()) == pytest.approx(len(rows) / 2)


def test_balanced_weights_are_uniform_when_one_part_is_missing():
    rows = [_row(i, True, True) for i in range(4)]
    assert list(balanced_weights(rows)) == [1.0] * 4


def test_pooled_tuning_follows_the_many_synthetic_rows_and_balanced_tuning_serves_the_real_ones_too():
    rows, probs = _dev()
    pooled = tune_thresholds(rows, probs, FRAMES, "pooled")
    balanced = tune_thresholds(rows, probs, FRAMES, "balanced")
    # pooled: a cut in (0.72, 0.88] classifies all 90 synthetic rows and loses the 5 real content lines
    assert 0.72 < pooled.content <= 0.88
    # balanced: the 5 real content lines weigh as much as 45 synthetic rows, so the cut drops to (0.22, 0.52]
    assert 0.22 < balanced.content <= 0.52


def test_fixed_rule_keeps_every_threshold_at_one_half():
    rows, probs = _dev()
    fixed = tune_thresholds(rows, probs, FRAMES, "fixed")
    assert fixed.content == fixed.attributed == 0.5 and set(fixed.frames.values()) == {0.5}


def test_unknown_rule_is_refused():
    rows, probs = _dev()
    with pytest.raises(ValueError, match="expected one of pooled, balanced, fixed"):
        tune_thresholds(rows, probs, FRAMES, "median")  # type: ignore[arg-type]


def test_tolerance_prefers_the_least_tuned_threshold_among_near_ties():
    # F1 of boilerplate is 1.0 for a cut in (0.72, 0.88]; one content line at 0.40 is lost below 0.40
    rows = [_row(i, i % 4 != 0, True) for i in range(40)]
    probs = np.array([[0.95 if r.content else 0.05, 0.5, 0.1, 0.1, 0.1] for r in rows])
    probs[1, 0] = 0.40  # a content line scored low: any cut above 0.40 drops it
    exact = tune_thresholds(rows, probs, FRAMES, "pooled", tolerance=0.0)
    loose = tune_thresholds(rows, probs, FRAMES, "pooled", tolerance=0.1 - 1e-6)
    assert exact.content <= 0.40  # the exact best keeps the low content line
    assert loose.content == 0.5  # within the tolerance, 0.5 itself wins: it costs one line
    with pytest.raises(ValueError, match=r"expected a number in \[0, 0.1\)"):
        tune_thresholds(rows, probs, FRAMES, "pooled", tolerance=0.2)
