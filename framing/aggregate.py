"""Aggregate tagged sentences into per-outlet framing tables: shares, voice, tests, divergence.

Pure functions: tagged sentences in, frozen records out; nothing touches disk. Sentences of
one article are not independent (one reporter, one story), so intervals resample an outlet's
ARTICLES and tests permute outlet labels across ARTICLES: resampling sentences would give
intervals and p-values that are too small. Where there is only one article to resample (an
outlet with one article), or no relabelling of articles that could change the statistic (every
outlet has one article), the article methods say nothing; there the numbers fall back to
SENTENCES (a Wilson interval, a chi-square or sentence permutation test), marked as such in the
record, because an optimistic number that says so beats a useless exact one. ``DEFINITIONS``
states each number in words; the report prints it beside the tables.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any, Literal, Sequence

import numpy as np
from scipy import stats

from framing.errors import InputError
from framing.files import json_ready
from framing.stats import (CI_LEVEL, bh_adjust, bootstrap_weights, chi_square, js_divergence, percentile_interval,
                           permutation_pvalues, wilson_interval)
from framing.types import ATTRIBUTIONS, TaggedSentence

MIN_ARTICLES = 3
N_EVIDENCE = 3
NONE = "none"  # the profile's extra category: a content sentence with no frame

Reading = Literal["adopts", "reports", "mixed", "n/a"]
IntervalMethod = Literal[
    "percentile bootstrap over articles",
    "wilson over sentences (one article: sentences treated as independent, so the interval is too narrow)",
]
BOOTSTRAP: IntervalMethod = "percentile bootstrap over articles"
WILSON: IntervalMethod = ("wilson over sentences (one article: sentences treated as independent, "
                          "so the interval is too narrow)")
# where the p that enters Benjamini-Hochberg comes from
PSource = Literal["permutation over articles", "chi-square over sentences", "permutation over sentences"]

DEFINITIONS: dict[str, str] = {
    "content sentence": "a sentence the model tagged as content, not boilerplate. Only content "
    "sentences enter frame shares, voice, tests, profiles and evidence.",
    "boilerplate share": "boilerplate sentences / all sentences of the outlet.",
    "frame share": "content sentences carrying the frame / content sentences, pooled over the "
    "outlet's articles. A sentence can carry several frames, so shares need not sum to 1.",
    "interval": "95% percentile bootstrap interval: the outlet's articles that have at least one "
    "content sentence are resampled with replacement and the pooled share is recomputed. An "
    "outlet with exactly one such article has nothing to resample; it gets instead a 95% Wilson "
    "score interval over its content sentences (marked ‡), which treats the sentences as "
    "independent and is therefore too narrow.",
    "voice split": "of the content sentences carrying the frame, how many are editorial (the "
    "outlet's own voice) and how many attributed (quoted or reported). Editorial share = "
    "editorial / (editorial + attributed); its interval is bootstrapped over articles like the "
    "frame share, dropping resamples in which no sentence carries the frame. When only one of "
    "the outlet's articles carries the frame, it is a 95% Wilson score interval over the "
    "frame's sentences instead (marked ‡; sentences treated as independent, so too narrow).",
    "reading": "'adopts' when the editorial share's interval lies above 0.5 (the outlet mostly "
    "states the frame in its own voice), 'reports' when it lies below 0.5 (it mostly quotes "
    "others using it), 'mixed' when it contains 0.5, 'n/a' when no sentence carries the frame. "
    "A reading from a Wilson interval (‡) rests on one article and is optimistic.",
    "test": "whether outlets differ in a frame's share. Statistic: Pearson chi-square of the "
    "outlet x (frame / no frame) table of content sentences. p: permutation test that shuffles "
    "outlet labels across articles (within-article correlation is kept), "
    "p = (1 + #{permuted >= observed}) / (1 + permutations). q: Benjamini-Hochberg adjustment "
    "of the permutation p over the frames tested. The scipy chi-square p treats sentences as "
    "independent (too small when sentences cluster by article) and is shown only where every "
    "expected count is >= 5. When every outlet has exactly one article, no shuffle of outlet "
    "labels across articles can change the statistic, so that test is not reported; q then "
    "adjusts a p over sentences instead: the chi-square p where every expected count is >= 5, "
    "else a permutation test that shuffles outlet labels across sentences. Both treat sentences "
    "as independent, so that p is optimistic (too small). Cramer's V = sqrt(chi2 / (N * "
    "(min(outlets, 2) - 1))), N = content sentences.",
    "frame profile": "an outlet's distribution over the frames plus 'none': each content "
    "sentence adds one count to every frame it carries, or one count to 'none' when it carries "
    "no frame; counts are divided by their total.",
    "divergence": "Jensen-Shannon divergence between two outlets' frame profiles, base 2, in "
    "[0, 1]; 0 = identical profiles. (scipy's jensenshannon returns the distance; its square, "
    "the divergence, is reported.)",
    "evidence": "the 3 content sentences with the highest model score for the frame among the "
    "outlet's sentences tagged with it (ties broken by sentence id).",
    "caveat": "an outlet with fewer than the minimum number of content sentences or fewer than "
    "3 articles with content: its intervals mean little and it adds little to the tests.",
}


@dataclass(frozen=True)
class Settings:
    """The knobs every number depends on; printed in the methods footer."""

    n_boot: int
    n_perm: int
    seed: int
    min_content: int
    min_articles: int = MIN_ARTICLES
    ci_level: float = CI_LEVEL


@dataclass(frozen=True)
class OutletStats:
    outlet: str
    n_articles: int
    n_articles_content: int  # articles with >= 1 content sentence: the bootstrap's units
    n_sentences: int
    n_content: int
    boilerplate_share: float
    caveats: tuple[str, ...]  # empty when the outlet has enough data


@dataclass(frozen=True)
class FrameShare:
    outlet: str
    frame: str
    n_content: int
    n_frame: int
    share: float | None  # None when the outlet has no content sentence
    ci_low: float | None
    ci_high: float | None
    ci_method: IntervalMethod | None  # WILSON for an outlet with one article with content


@dataclass(frozen=True)
class VoiceSplit:
    outlet: str
    frame: str
    n_frame: int
    n_editorial: int
    n_attributed: int
    editorial_share: float | None  # None when no sentence carries the frame
    ci_low: float | None
    ci_high: float | None
    n_boot_valid: int  # resamples in which some sentence carries the frame; 0 for WILSON
    ci_method: IntervalMethod | None  # WILSON when one article carries the frame
    reading: Reading


@dataclass(frozen=True)
class FrameTest:
    frame: str
    n_outlets: int
    n_content: int
    n_frame: int
    statistic: float | None  # Pearson chi-square; None when the test is undefined
    p_perm: float | None  # over articles; None when every outlet has one article: not testable
    q_bh: float | None
    cramers_v: float | None
    chi2_p: float | None  # scipy chi-square p, only when every expected count >= 5
    chi2_dof: int | None
    p_perm_sentences: float | None  # only when articles cannot be permuted and chi2_p is not shown
    q_from: PSource | None  # which p q_bh adjusts
    method: str
    note: str


@dataclass(frozen=True)
class Divergence:
    outlets: tuple[str, ...]
    categories: tuple[str, ...]  # the frames, then "none"
    profiles: tuple[tuple[float, ...] | None, ...]  # per outlet; None without content sentences
    jsd: tuple[tuple[float | None, ...], ...]  # (outlet, outlet) divergence, base 2


@dataclass(frozen=True)
class Evidence:
    outlet: str
    frame: str
    rank: int  # 1 = highest score
    sentence_id: str
    score: float
    voice: str | None
    text: str


@dataclass(frozen=True)
class Summary:
    """Everything the report shows, as plain records; ``to_dict`` is what summary.json holds."""

    frames: tuple[str, ...]
    outlets: tuple[str, ...]
    settings: Settings
    outlet_stats: tuple[OutletStats, ...]
    shares: tuple[FrameShare, ...]
    voice: tuple[VoiceSplit, ...]
    tests: tuple[FrameTest, ...]
    divergence: Divergence
    evidence: tuple[Evidence, ...]

    def share(self, outlet: str, frame: str) -> FrameShare:
        return next(s for s in self.shares if s.outlet == outlet and s.frame == frame)

    def voice_split(self, outlet: str, frame: str) -> VoiceSplit:
        return next(v for v in self.voice if v.outlet == outlet and v.frame == frame)

    def outlet(self, outlet: str) -> OutletStats:
        return next(o for o in self.outlet_stats if o.outlet == outlet)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: tuples become lists, undefined numbers are None (never NaN)."""
        return json_ready(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Summary":
        return cls(
            frames=tuple(data["frames"]),
            outlets=tuple(data["outlets"]),
            settings=Settings(**data["settings"]),
            outlet_stats=tuple(_record(OutletStats, d) for d in data["outlet_stats"]),
            shares=tuple(_record(FrameShare, d) for d in data["shares"]),
            voice=tuple(_record(VoiceSplit, d) for d in data["voice"]),
            tests=tuple(_record(FrameTest, d) for d in data["tests"]),
            divergence=_record(Divergence, data["divergence"]),
            evidence=tuple(_record(Evidence, d) for d in data["evidence"]),
        )


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _record(cls: Any, data: dict[str, Any]) -> Any:
    return cls(**{k: _tuples(v) for k, v in data.items()})


# ---------------------------------------------------------------- the entry point


@dataclass(frozen=True)
class _Articles:
    """Per-article counts, articles grouped by outlet in sorted order."""

    outlet: np.ndarray  # (articles,) outlet index
    sentences: np.ndarray  # (articles,)
    content: np.ndarray  # (articles,)
    frame: np.ndarray  # (articles, frames) content sentences carrying the frame
    editorial: np.ndarray  # (articles, frames) ... of those, in the outlet's own voice
    framed: np.ndarray  # (articles,) content sentences carrying at least one frame


def _validate(tagged: Sequence[TaggedSentence], frames: Sequence[str]) -> None:
    where = "tagged sentences"
    if not frames or len(set(frames)) != len(frames) or NONE in frames:
        raise InputError("frames", f"expected distinct frame names other than 'none', got {list(frames)}",
                         fix="pass the frames of the label schema the model was trained with")
    if not tagged:
        raise InputError(where, "no tagged sentences to aggregate", fix="tag at least one article first")
    seen: set[str] = set()
    outlet_of: dict[str, str] = {}
    known = set(frames)
    for s in tagged:
        place = f"{where} ({s.id})"
        if s.id in seen:
            raise InputError(place, "this sentence id appears twice", fix="each (doc_id, sent_idx) once")
        seen.add(s.id)
        if outlet_of.setdefault(s.doc_id, s.outlet) != s.outlet:
            raise InputError(place, f"article {s.doc_id!r} has outlets {outlet_of[s.doc_id]!r} and {s.outlet!r}",
                             fix="give every article one outlet (doc_ids must be unique across outlets)")
        bad = [f for f in s.frames if f not in known]
        if len(set(s.frames)) != len(s.frames):
            raise InputError(place, f"frames lists a frame twice: {list(s.frames)}")
        if bad:
            raise InputError(place, f"unknown frame(s) {bad}",
                             fix=f"pass the frame names the model was trained with; given: {list(frames)}")
        if not s.content:
            if s.frames:
                raise InputError(place, f"content is false but frames is {list(s.frames)}; boilerplate takes no frames")
            continue
        if s.attribution not in ATTRIBUTIONS:
            raise InputError(place, f"attribution: expected 'attributed' or 'editorial' for a content sentence, "
                                    f"got {s.attribution!r}")
        missing = [f for f in s.frames if f not in s.frame_scores]
        if missing:
            raise InputError(place, f"frame_scores lacks the tagged frame(s) {missing}")


def _count(tagged: Sequence[TaggedSentence], frames: Sequence[str], outlets: Sequence[str]) -> _Articles:
    col = {f: j for j, f in enumerate(frames)}
    docs: dict[str, list[TaggedSentence]] = defaultdict(list)
    for s in tagged:
        docs[s.doc_id].append(s)
    index = {o: i for i, o in enumerate(outlets)}
    doc_ids = sorted(docs, key=lambda d: (index[docs[d][0].outlet], d))
    n, f = len(doc_ids), len(frames)
    art = _Articles(np.zeros(n, int), np.zeros(n), np.zeros(n), np.zeros((n, f)), np.zeros((n, f)),
                   np.zeros(n))
    for a, d in enumerate(doc_ids):
        art.outlet[a] = index[docs[d][0].outlet]
        for s in docs[d]:
            art.sentences[a] += 1
            if not s.content:
                continue
            art.content[a] += 1
            art.framed[a] += bool(s.frames)
            for fr in s.frames:
                art.frame[a, col[fr]] += 1
                art.editorial[a, col[fr]] += s.attribution == "editorial"
    return art


def _outlet_rng(seed: int, outlet: str) -> np.random.Generator:
    """One stream per outlet, so adding an outlet leaves the others' intervals unchanged."""
    return np.random.default_rng([seed, 0, zlib.crc32(outlet.encode("utf-8"))])


def _reading(low: float | None, high: float | None) -> Reading:
    if low is None or high is None:
        return "n/a"
    return "adopts" if low > 0.5 else "reports" if high < 0.5 else "mixed"


def _per_outlet(
    name: str, art: _Articles, rows: np.ndarray, frames: Sequence[str], settings: Settings
) -> tuple[OutletStats, list[FrameShare], list[VoiceSplit]]:
    n_sent, n_content = int(art.sentences[rows].sum()), int(art.content[rows].sum())
    units = rows[art.content[rows] > 0]  # articles without content sentences add nothing to a share
    caveats = []
    if n_content < settings.min_content:
        caveats.append(f"fewer than {settings.min_content} content sentences ({n_content})")
    if len(units) < settings.min_articles:
        caveats.append(f"fewer than {settings.min_articles} articles with content ({len(units)})")
    outlet = OutletStats(name, len(rows), len(units), n_sent, n_content,
                         (n_sent - n_content) / n_sent, tuple(caveats))
    k, e = art.frame[units].sum(axis=0), art.editorial[units].sum(axis=0)
    if len(units):
        w = bootstrap_weights(len(units), settings.n_boot, _outlet_rng(settings.seed, name))
        c_b, k_b, e_b = w @ art.content[units], w @ art.frame[units], w @ art.editorial[units]
        share_b = k_b / c_b[:, None]  # (n_boot, frames); every unit has content, so c_b > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            edit_b = np.where(k_b > 0, e_b / k_b, np.nan)  # (n_boot, frames)
    shares, voices = [], []
    for j, fr in enumerate(frames):
        low = high = share = None
        how: IntervalMethod | None = None
        if n_content:
            share = float(k[j] / n_content)
            if len(units) >= 2:
                (low, high), how = percentile_interval(share_b[:, j], settings.ci_level), BOOTSTRAP
            else:  # one article: nothing to resample
                (low, high), how = wilson_interval(int(k[j]), n_content, settings.ci_level), WILSON
        shares.append(FrameShare(name, fr, n_content, int(k[j]), share, low, high, how))
        ed, vlow, vhigh, valid, vhow = None, None, None, 0, None
        if k[j] > 0:
            ed = float(e[j] / k[j])
            if (art.frame[units, j] > 0).sum() >= 2:
                draws = edit_b[~np.isnan(edit_b[:, j]), j]
                (vlow, vhigh), valid, vhow = percentile_interval(draws, settings.ci_level), int(draws.size), BOOTSTRAP
            else:  # one article carries the frame: every valid resample repeats its share
                (vlow, vhigh), vhow = wilson_interval(int(e[j]), int(k[j]), settings.ci_level), WILSON
        voices.append(VoiceSplit(name, fr, int(k[j]), int(e[j]), int(k[j] - e[j]), ed, vlow, vhigh,
                                 valid, vhow, _reading(vlow, vhigh)))
    return outlet, shares, voices


def _sentence_permutation(k_o: np.ndarray, c_o: np.ndarray, settings: Settings) -> np.ndarray:
    """Permutation p per frame, shuffling outlet labels across sentences (treated as independent).

    k_o: (outlets, frames) sentences with the frame; c_o: (outlets,) content sentences. Each frame
    is tested on its own column, so any sentence-level layout with these margins gives its p.
    """
    labels = np.repeat(np.arange(len(c_o)), c_o.astype(int))  # (sentences,)
    rank = np.arange(labels.size) - np.repeat(np.cumsum(c_o) - c_o, c_o.astype(int))  # index within outlet
    k_s = (rank[:, None] < k_o[labels]).astype(float)  # (sentences, frames)
    rng = np.random.default_rng([settings.seed, 2])
    return permutation_pvalues(k_s, np.ones(labels.size), labels, settings.n_perm, rng)[1]


def _tests(art: _Articles, frames: Sequence[str], settings: Settings) -> list[FrameTest]:
    keep = art.content > 0
    present = np.unique(art.outlet[keep])  # outlets with content sentences
    labels = np.searchsorted(present, art.outlet[keep])
    k, c = art.frame[keep], art.content[keep]
    n_content, n_frame = int(c.sum()), k.sum(axis=0)
    by_articles = len(labels) > len(present)  # else one article per outlet: every relabelling is a no-op
    method = (f"permutation over articles ({settings.n_perm} permutations), chi-square statistic" if by_articles
              else "test over sentences (one article per outlet: no test over articles)")
    if len(present) < 2:
        return [FrameTest(f, len(present), n_content, int(n_frame[j]), None, None, None, None, None, None, None, None,
                          method, "needs at least two outlets with content sentences")
                for j, f in enumerate(frames)]
    onehot = np.eye(len(present))[labels]
    k_o, c_o = onehot.T @ k, onehot.T @ c  # (outlets, frames), (outlets,)
    if by_articles:
        stat, p_art = permutation_pvalues(k, c, labels, settings.n_perm, np.random.default_rng([settings.seed, 1]))
    else:
        stat, p_art = chi_square(k_o, c_o), np.full(len(frames), np.nan)
    defined = (n_frame > 0) & (n_frame < n_content)
    chi2: dict[int, tuple[float, int]] = {}
    tested = [int(j) for j in np.flatnonzero(defined)]
    for j in tested:
        table = np.column_stack([k_o[:, j], c_o - k_o[:, j]])
        if (stats.contingency.expected_freq(table) >= 5).all():
            res = stats.chi2_contingency(table, correction=False)
            chi2[j] = float(res.pvalue), int(res.dof)
    p_sent = np.full(len(frames), np.nan)
    if not by_articles and any(j not in chi2 for j in tested):
        p_sent = _sentence_permutation(k_o, c_o, settings)
    p = p_art if by_articles else np.array([chi2[j][0] if j in chi2 else p_sent[j] for j in range(len(frames))])
    q = np.full(len(frames), np.nan)
    if defined.any():
        q[defined] = bh_adjust(p[defined])
    optimistic = "p is optimistic (too small): sentences of one article are not independent"
    out = []
    for j, f in enumerate(frames):
        if not defined[j]:
            out.append(FrameTest(f, len(present), n_content, int(n_frame[j]), None, None, None, None, None, None,
                                 None, None, method, "frame never or always present: no test"))
            continue
        chi2_p, dof = chi2.get(j, (None, None))
        q_from: PSource
        if by_articles:
            q_from, how = "permutation over articles", method
            how += "; chi-square test over sentences" if chi2_p is not None else ""
            note = "" if chi2_p is not None else "some expected counts < 5: chi-square p not shown"
        elif chi2_p is not None:
            q_from = "chi-square over sentences"
            how = ("chi-square test over sentences, treated as independent "
                   "(one article per outlet: no test over articles)")
            note = optimistic
        else:
            q_from = "permutation over sentences"
            how = (f"permutation over sentences, treated as independent ({settings.n_perm} permutations, chi-square "
                   "statistic; one article per outlet: no test over articles)")
            note = f"some expected counts < 5, so sentences permuted instead of the chi-square p; {optimistic}"
        v = float(np.sqrt(stat[j] / (n_content * (min(len(present), 2) - 1))))
        out.append(FrameTest(f, len(present), n_content, int(n_frame[j]), float(stat[j]),
                             float(p_art[j]) if by_articles else None, float(q[j]), v, chi2_p, dof,
                             None if by_articles or chi2_p is not None else float(p_sent[j]), q_from, how, note))
    return out


def _divergence(art: _Articles, outlets: Sequence[str], frames: Sequence[str]) -> Divergence:
    profiles: list[tuple[float, ...] | None] = []
    for i in range(len(outlets)):
        rows = art.outlet == i
        counts = np.append(art.frame[rows].sum(axis=0), 0.0)
        content = art.content[rows].sum()
        counts[-1] = content - art.framed[rows].sum()  # content sentences with no frame
        profiles.append(tuple(float(x) for x in counts / counts.sum()) if content else None)
    n = len(outlets)
    jsd: list[list[float | None]] = [[None] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            pi, pj = profiles[i], profiles[j]
            if pi is not None and pj is not None:
                jsd[i][j] = jsd[j][i] = 0.0 if i == j else js_divergence(pi, pj)
    return Divergence(tuple(outlets), (*frames, NONE), tuple(profiles), tuple(tuple(r) for r in jsd))


def _evidence(tagged: Sequence[TaggedSentence], outlets: Sequence[str], frames: Sequence[str]) -> list[Evidence]:
    hits: dict[tuple[str, str], list[TaggedSentence]] = defaultdict(list)
    for s in tagged:
        if s.content:
            for f in s.frames:
                hits[s.outlet, f].append(s)
    out = []
    for o in outlets:
        for f in frames:
            top = sorted(hits[o, f], key=lambda s: (-s.frame_scores[f], s.doc_id, s.sent_idx))[:N_EVIDENCE]
            out += [Evidence(o, f, r, s.id, float(s.frame_scores[f]), s.attribution, s.text)
                    for r, s in enumerate(top, 1)]
    return out


def summarize(
    tagged: Sequence[TaggedSentence],
    frames: Sequence[str],
    *,
    n_boot: int = 2000,
    n_perm: int = 5000,
    seed: int = 0,
    min_content: int = 30,
) -> Summary:
    """All per-outlet tables of the framing report, from the tagger's output.

    ``frames`` are the schema's frame names, in the order the tables show them. ``seed`` fixes
    every resample: outlet o's bootstrap uses stream (seed, o), the tests stream (seed, 1).
    """
    for name, value, least in (("n_boot", n_boot, 1), ("n_perm", n_perm, 1), ("seed", seed, 0),
                               ("min_content", min_content, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise InputError(name, f"expected an integer >= {least}, got {value!r}")
    _validate(tagged, frames)
    frames = tuple(frames)
    settings = Settings(n_boot, n_perm, seed, min_content)
    outlets = tuple(sorted({s.outlet for s in tagged}))
    art = _count(tagged, frames, outlets)
    stats_, shares, voices = [], [], []
    for i, o in enumerate(outlets):
        os_, sh, vo = _per_outlet(o, art, np.flatnonzero(art.outlet == i), frames, settings)
        stats_.append(os_)
        shares += sh
        voices += vo
    return Summary(frames, outlets, settings, tuple(stats_), tuple(shares), tuple(voices),
                   tuple(_tests(art, frames, settings)), _divergence(art, outlets, frames),
                   tuple(_evidence(tagged, outlets, frames)))
