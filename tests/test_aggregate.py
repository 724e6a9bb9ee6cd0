"""Aggregation: shares, article bootstrap, voice, tests, BH, divergence, evidence, caveats."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from framing.aggregate import BOOTSTRAP, WILSON, Summary, summarize
from framing.errors import InputError
from framing.stats import bh_adjust
from framing.types import TaggedSentence

FRAMES = ("alpha", "beta")  # a user-defined frame set: nothing here knows the codebook's frames
FAST = {"n_boot": 400, "n_perm": 400}


def ts(doc: str, outlet: str, idx: int, frames: tuple[str, ...] = (), *, content: bool = True,
       voice: str | None = "editorial", score: float = 0.9, text: str | None = None) -> TaggedSentence:
    return TaggedSentence(
        doc_id=doc, outlet=outlet, sent_idx=idx, text=text or f"{doc} sentence {idx}", content=content,
        content_score=0.9 if content else 0.1, frames=frames, frame_scores={f: score for f in FRAMES},
        attribution=voice if content else None, attribution_score=0.2, model="test-model",
    )


def article(doc: str, outlet: str, n: int, n_frame: int, frame: str = "alpha", *,
            n_editorial: int | None = None, start: int = 0) -> list[TaggedSentence]:
    """n content sentences, the first n_frame carrying ``frame``; the first n_editorial editorial."""
    n_editorial = n if n_editorial is None else n_editorial
    return [ts(doc, outlet, start + i, (frame,) if i < n_frame else (),
               voice="editorial" if i < n_editorial else "attributed") for i in range(n)]


def hand_example() -> list[TaggedSentence]:
    # outlet A, article a1: [alpha], [alpha, beta], [], [beta] + 2 boilerplate; a2: [alpha], []
    return [
        ts("a1", "A", 0, ("alpha",)), ts("a1", "A", 1, ("alpha", "beta"), voice="attributed"),
        ts("a1", "A", 2), ts("a1", "A", 3, ("beta",)),
        ts("a1", "A", 4, content=False), ts("a1", "A", 5, content=False),
        ts("a2", "A", 0, ("alpha",), voice="attributed"), ts("a2", "A", 1),
    ]


def test_shares_and_counts_match_a_hand_computed_example():
    s = summarize(hand_example(), FRAMES, **FAST)
    a = s.outlet("A")
    assert (a.n_articles, a.n_sentences, a.n_content) == (2, 8, 6)
    assert a.boilerplate_share == pytest.approx(2 / 8)
    assert s.share("A", "alpha").share == pytest.approx(3 / 6)
    assert s.share("A", "beta").share == pytest.approx(2 / 6)
    assert (s.share("A", "alpha").n_frame, s.share("A", "alpha").n_content) == (3, 6)


def test_boilerplate_is_excluded_from_shares():
    base = article("d1", "A", 10, 4) + article("d2", "A", 10, 2)
    noisy = base + [ts("d1", "A", 100 + i, content=False) for i in range(30)]
    assert summarize(noisy, FRAMES, **FAST).share("A", "alpha").share == pytest.approx(6 / 20)
    assert summarize(noisy, FRAMES, **FAST).outlet("A").boilerplate_share == pytest.approx(30 / 50)


def test_boilerplate_carrying_a_frame_is_an_input_error():
    with pytest.raises(InputError, match="boilerplate takes no frames"):
        summarize([ts("d1", "A", 0, ("alpha",), content=False)], FRAMES, **FAST)


def test_bootstrap_resamples_articles_not_sentences():
    # one all-frame and one no-frame article: resampling articles gives {0, 0.5, 1}
    two_articles = article("d1", "A", 20, 20) + article("d2", "A", 20, 0)
    wide = summarize(two_articles, FRAMES, **FAST).share("A", "alpha")
    assert wide.share == pytest.approx(0.5)
    assert (wide.ci_low, wide.ci_high) == (0.0, 1.0)
    # the same 40 sentences as 40 one-sentence articles: sentence-level resampling is narrow
    as_sentences = [ts(f"s{i}", "A", 0, ("alpha",) if i < 20 else ()) for i in range(40)]
    narrow = summarize(as_sentences, FRAMES, **FAST).share("A", "alpha")
    assert narrow.ci_high - narrow.ci_low < 0.4
    assert narrow.ci_low <= 0.5 <= narrow.ci_high


def _wilson(k: int, n: int) -> tuple[float, float]:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return ci.low, ci.high


@pytest.mark.parametrize("n_frame", [0, 3, 10])
def test_one_article_gets_a_wilson_interval_over_sentences_and_keeps_its_caveats(n_frame):
    s = summarize(article("d1", "A", 10, n_frame), FRAMES, **FAST)
    share = s.share("A", "alpha")
    assert share.ci_method == WILSON and "sentences treated as independent" in share.ci_method
    assert (share.ci_low, share.ci_high) == pytest.approx(_wilson(n_frame, 10))
    assert share.share == pytest.approx(n_frame / 10) and share.ci_low <= share.share <= share.ci_high
    assert share.ci_high - share.ci_low > 0.2  # not the old point interval
    assert any("fewer than 3 articles" in c for c in s.outlet("A").caveats)
    assert any("fewer than 30 content sentences" in c for c in s.outlet("A").caveats)


def test_two_articles_keep_the_bootstrap_beside_a_one_article_outlet():
    s = summarize(article("a1", "A", 10, 2) + article("a2", "A", 10, 6) + article("b1", "B", 10, 4), FRAMES, **FAST)
    assert s.share("A", "alpha").ci_method == BOOTSTRAP
    assert s.share("B", "alpha").ci_method == WILSON
    assert (s.share("B", "alpha").ci_low, s.share("B", "alpha").ci_high) == pytest.approx(_wilson(4, 10))


def test_editorial_share_of_a_frame_in_one_article_gets_a_wilson_interval():
    # three articles; alpha only in d1 (6 editorial of 8), beta in d2 and d3
    tagged = (article("d1", "A", 10, 8, n_editorial=6) + article("d2", "A", 10, 4, "beta", n_editorial=0)
              + article("d3", "A", 10, 4, "beta", n_editorial=4))
    s = summarize(tagged, FRAMES, **FAST)
    one = s.voice_split("A", "alpha")
    assert one.ci_method == WILSON and one.n_boot_valid == 0
    assert (one.ci_low, one.ci_high) == pytest.approx(_wilson(6, 8))
    assert one.ci_low < one.editorial_share == 0.75 < one.ci_high and one.reading == "mixed"
    two = s.voice_split("A", "beta")
    assert two.ci_method == BOOTSTRAP and two.n_boot_valid > 0 and (two.ci_low, two.ci_high) == (0.0, 1.0)
    assert s.voice_split("A", "alpha").reading != "n/a"
    lone = summarize(article("e1", "E", 12, 12, n_editorial=12), FRAMES, **FAST).voice_split("E", "alpha")
    assert lone.ci_method == WILSON and lone.ci_low > 0.5 and lone.reading == "adopts"


@pytest.mark.parametrize("n_articles, per_article, min_content, flagged", [
    (3, 10, 30, False), (3, 9, 30, True), (2, 20, 30, True), (3, 9, 27, False),
])
def test_caveat_thresholds(n_articles, per_article, min_content, flagged):
    tagged = [s for d in range(n_articles) for s in article(f"d{d}", "A", per_article, 2)]
    s = summarize(tagged, FRAMES, min_content=min_content, **FAST)
    assert bool(s.outlet("A").caveats) is flagged


def test_voice_split_counts_and_reading():
    adopts = [s for d in range(6) for s in article(f"e{d}", "Ed", 10, 5, n_editorial=5)]  # all framed editorial
    reports = [s for d in range(6) for s in article(f"q{d}", "Quo", 10, 5, n_editorial=0)]  # all attributed
    s = summarize(adopts + reports, FRAMES, **FAST)
    ed, quo = s.voice_split("Ed", "alpha"), s.voice_split("Quo", "alpha")
    assert (ed.n_frame, ed.n_editorial, ed.n_attributed, ed.editorial_share) == (30, 30, 0, 1.0)
    assert (quo.n_frame, quo.n_editorial, quo.n_attributed, quo.editorial_share) == (30, 0, 30, 0.0)
    assert (ed.reading, quo.reading) == ("adopts", "reports")
    assert s.voice_split("Ed", "beta").reading == "n/a" and s.voice_split("Ed", "beta").editorial_share is None


def test_voice_interval_resamples_articles():
    # two articles carrying the frame: one entirely editorial, one entirely attributed
    tagged = article("d1", "A", 10, 10, n_editorial=10) + article("d2", "A", 10, 10, n_editorial=0)
    v = summarize(tagged, FRAMES, **FAST).voice_split("A", "alpha")
    assert v.editorial_share == pytest.approx(0.5)
    assert (v.ci_low, v.ci_high) == (0.0, 1.0) and v.reading == "mixed"


@pytest.mark.parametrize("p, expected", [
    ([0.01, 0.04, 0.03, 0.005], [0.02, 0.04, 0.04, 0.02]),
    ([0.01, 0.02, 0.021, 0.5], [0.028, 0.028, 0.028, 0.5]),
    ([0.9, 0.8], [0.9, 0.9]),
])
def test_bh_adjustment_matches_hand_computed_cases(p, expected):
    assert bh_adjust(p) == pytest.approx(expected)
    assert bh_adjust(p) == pytest.approx(stats.false_discovery_control(p, method="bh"))


def _two_outlets(share_a: float, share_b: float, n_articles: int = 10, n: int = 20) -> list[TaggedSentence]:
    return ([s for d in range(n_articles) for s in article(f"a{d}", "A", n, round(share_a * n))]
            + [s for d in range(n_articles) for s in article(f"b{d}", "B", n, round(share_b * n))])


def test_permutation_test_finds_clearly_different_outlets():
    t = summarize(_two_outlets(0.8, 0.1), FRAMES, n_boot=100, n_perm=999).tests[0]
    assert t.frame == "alpha"
    assert t.p_perm == pytest.approx(1 / 1000)  # no permutation reaches the observed split
    assert t.cramers_v > 0.5
    assert t.q_from == "permutation over articles" and t.p_perm_sentences is None


def test_permutation_test_gives_large_p_for_identical_outlets():
    t = summarize(_two_outlets(0.3, 0.3), FRAMES, n_boot=100, n_perm=999).tests[0]
    assert t.statistic == pytest.approx(0.0) and t.p_perm == 1.0


def test_permutation_test_keeps_articles_together():
    # 3 articles per outlet, the frame concentrated in one long article: as independent sentences
    # the outlets differ enormously; as articles, only 20 splits exist and p cannot go below 0.1
    tagged = (article("a0", "A", 60, 60) + article("a1", "A", 5, 0) + article("a2", "A", 5, 0)
              + article("b0", "B", 5, 5) + article("b1", "B", 30, 0) + article("b2", "B", 30, 0))
    t = summarize(tagged, FRAMES, n_boot=100, n_perm=2000).tests[0]
    assert t.chi2_p is not None and t.chi2_p < 1e-6
    assert t.p_perm > 0.05


def test_chi_square_statistic_cramers_v_and_when_scipy_p_is_shown():
    t = summarize(_two_outlets(0.5, 0.25), FRAMES, **FAST).tests[0]
    table = np.array([[100, 100], [50, 150]])
    res = stats.chi2_contingency(table, correction=False)
    assert t.statistic == pytest.approx(res.statistic)
    assert t.chi2_p == pytest.approx(res.pvalue) and t.chi2_dof == 1
    assert t.cramers_v == pytest.approx(np.sqrt(res.statistic / 400))
    small = summarize(_two_outlets(0.5, 0.1, n_articles=3, n=5), FRAMES, **FAST).tests[0]
    assert small.chi2_p is None and small.p_perm is not None and "expected counts" in small.note


def test_frame_never_present_is_not_tested_and_not_in_bh_family():
    s = summarize(_two_outlets(0.5, 0.1), FRAMES, **FAST)
    beta = next(t for t in s.tests if t.frame == "beta")
    assert beta.p_perm is None and beta.q_bh is None and "no test" in beta.note
    alpha = next(t for t in s.tests if t.frame == "alpha")
    assert alpha.q_bh == pytest.approx(alpha.p_perm)  # a family of one


def _one_article_each(*outlets: tuple[str, int, int, str]) -> list[TaggedSentence]:
    """One article per outlet: (outlet, content sentences, sentences with the frame, frame)."""
    return [s for name, n, k, frame in outlets for s in article(f"{name}-doc", name, n, k, frame)]


def test_one_article_per_outlet_tests_over_sentences_not_articles():
    clear = summarize(_one_article_each(("A", 20, 20, "alpha"), ("B", 20, 0, "alpha")), FRAMES, **FAST).tests[0]
    assert clear.p_perm is None  # no relabelling of 2 articles between 2 outlets changes anything
    assert clear.q_from == "chi-square over sentences" and clear.chi2_p is not None and clear.chi2_p < 1e-6
    assert clear.q_bh == pytest.approx(clear.chi2_p)  # beta never present: a family of one
    assert "treated as independent" in clear.method and "no test over articles" in clear.method
    assert "optimistic" in clear.note
    same = summarize(_one_article_each(("A", 20, 10, "alpha"), ("B", 20, 10, "alpha")), FRAMES, **FAST).tests[0]
    assert same.p_perm is None and same.chi2_p is not None and same.chi2_p > 0.5 and same.q_bh > 0.5


def test_one_article_per_outlet_with_small_counts_permutes_sentences():
    # expected counts 3.5 < 5: permuting sentences gives the exact (Fisher) two-sided p of the 2x2 table
    t = summarize(_one_article_each(("A", 10, 6, "alpha"), ("B", 10, 1, "alpha")), FRAMES,
                  n_boot=100, n_perm=4000).tests[0]
    assert t.p_perm is None and t.chi2_p is None and t.q_from == "permutation over sentences"
    assert t.p_perm_sentences == pytest.approx(stats.fisher_exact([[6, 4], [1, 9]]).pvalue, abs=0.015)
    assert t.q_bh == pytest.approx(t.p_perm_sentences) and "permutation over sentences" in t.method
    same = summarize(_one_article_each(("A", 8, 3, "alpha"), ("B", 8, 3, "alpha")), FRAMES, **FAST).tests[0]
    assert same.p_perm_sentences == 1.0


def test_one_article_per_outlet_bh_adjusts_the_sentence_level_p():
    tagged = (_one_article_each(("A", 20, 18, "alpha"), ("B", 20, 2, "alpha"))
              + [ts(f"{o}-doc", o, 100 + i, ("beta",) if i < 3 else ()) for o in "AB" for i in range(6)])
    alpha, beta = summarize(tagged, FRAMES, **FAST).tests
    p_alpha, p_beta = alpha.chi2_p, beta.p_perm_sentences  # beta: 6 of 52 sentences, expected counts < 5
    assert alpha.q_from == "chi-square over sentences" and beta.q_from == "permutation over sentences"
    assert p_alpha is not None and p_beta is not None and p_alpha < 1e-4 and p_beta > 0.5
    assert [alpha.q_bh, beta.q_bh] == pytest.approx(list(bh_adjust([p_alpha, p_beta])))


def test_mixed_article_counts_keep_the_permutation_over_articles():
    tagged = article("a1", "A", 10, 8) + article("a2", "A", 10, 9) + _one_article_each(("B", 20, 2, "alpha"))
    t = summarize(tagged, FRAMES, n_boot=100, n_perm=999).tests[0]
    assert t.q_from == "permutation over articles" and t.p_perm_sentences is None
    assert t.p_perm == pytest.approx(1 / 3, abs=0.05)  # 3 ways to pick B's article: only the real one is extreme
    assert t.q_bh == pytest.approx(t.p_perm)


def test_divergence_is_zero_for_identical_profiles_symmetric_and_one_for_disjoint():
    same = _two_outlets(0.3, 0.3)
    d = summarize(same, FRAMES, **FAST).divergence
    assert d.jsd[0][1] == pytest.approx(0.0, abs=1e-12)
    disjoint = summarize(_two_outlets(1.0, 0.0) + article("c0", "C", 10, 5), FRAMES, **FAST).divergence
    assert disjoint.outlets == ("A", "B", "C")
    assert disjoint.jsd[0][1] == pytest.approx(1.0)  # all 'alpha' vs all 'none'
    m = np.array(disjoint.jsd, dtype=float)
    assert np.array_equal(m, m.T) and np.all(np.diag(m) == 0) and np.all((m >= 0) & (m <= 1))


def test_profile_counts_each_frame_mention_and_none():
    d = summarize(hand_example(), FRAMES, **FAST).divergence
    assert d.categories == ("alpha", "beta", "none")
    # mentions: alpha 3, beta 2, none 2 (a1:2 and a2:1), total 7
    assert d.profiles[0] == pytest.approx((3 / 7, 2 / 7, 2 / 7))


def test_evidence_is_the_top_three_by_score_among_tagged_sentences():
    tagged = [ts("d1", "A", i, ("alpha",), score=sc, voice="attributed" if i == 2 else "editorial")
              for i, sc in enumerate([0.6, 0.95, 0.99, 0.7, 0.8])]
    tagged.append(ts("d1", "A", 9, (), score=1.0))  # highest score, but not tagged with the frame
    ev = [e for e in summarize(tagged, FRAMES, **FAST).evidence if e.frame == "alpha"]
    assert [e.sentence_id for e in ev] == ["d1:2", "d1:1", "d1:4"]
    assert [e.rank for e in ev] == [1, 2, 3] and ev[0].voice == "attributed" and ev[0].score == 0.99


def test_frame_names_come_from_the_argument():
    frames = ("economy", "morality")
    tagged = [TaggedSentence("d1", "A", i, "t", True, 0.9, ("economy",) if i else ("morality",),
                             {"economy": 0.8, "morality": 0.7}, "editorial", 0.1, "m") for i in range(3)]
    s = summarize(tagged, frames, **FAST)
    assert s.frames == frames and [x.frame for x in s.shares] == list(frames)
    assert s.divergence.categories == ("economy", "morality", "none")
    with pytest.raises(InputError, match="unknown frame"):
        summarize(tagged, ("economy",), **FAST)


def test_seeded_and_outlets_independent():
    tagged = [s for d in range(6) for s in article(f"a{d}", "A", 10, d) + article(f"b{d}", "B", 10, 6 - d)]
    assert summarize(tagged, FRAMES, seed=3, **FAST) == summarize(tagged, FRAMES, seed=3, **FAST)
    a_alone = summarize([s for s in tagged if s.outlet == "A"], FRAMES, seed=3, **FAST).share("A", "alpha")
    assert summarize(tagged, FRAMES, seed=3, **FAST).share("A", "alpha") == a_alone
    assert summarize(tagged, FRAMES, seed=4, **FAST).share("A", "alpha") != a_alone


@pytest.mark.parametrize("n_articles", [3, 1])
def test_to_dict_is_json_and_round_trips(n_articles):
    s = summarize(_two_outlets(0.4, 0.2, n_articles=n_articles) + article("c0", "C", 4, 0), FRAMES, **FAST)
    text = json.dumps(s.to_dict(), allow_nan=False)
    assert Summary.from_dict(json.loads(text)) == s


@pytest.mark.parametrize("tagged, message", [
    ([ts("d1", "A", 0), ts("d1", "A", 0)], "appears twice"),
    ([ts("d1", "A", 0), ts("d1", "B", 1)], "has outlets"),
    ([ts("d1", "A", 0, voice=None)], "attribution"),
    ([ts("d1", "A", 0, ("alpha", "alpha"))], "twice"),
    ([], "no tagged sentences"),
])
def test_bad_input_is_an_input_error(tagged, message):
    with pytest.raises(InputError, match=message):
        summarize(tagged, FRAMES, **FAST)


@pytest.mark.parametrize("frames", [(), ("alpha", "alpha"), ("alpha", "none")])
def test_bad_frame_list_is_an_input_error(frames):
    with pytest.raises(InputError, match="frame names"):
        summarize([ts("d1", "A", 0)], frames, **FAST)
