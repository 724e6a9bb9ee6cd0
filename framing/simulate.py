"""A simulated labeling loop on real labels: does choosing by ``uncertainty`` beat ``random``?

For each seed of ``train.seeds`` (config: ``framing.config.ActiveLearningConfig``):

1. ``heldout_outlets`` outlets of the real pool are set aside and only scored (with the
   ``seeds`` set when ``evaluate.sets`` lists it): the judgement is on outlets never labeled.
2. The starting model is trained on ``train.data`` (``synthetic_articles`` of its articles,
   drawn by seed) plus ``seed_articles`` real pool articles.
3. Each strategy, from the same start, picks ``round_size`` sentences of the remaining
   pool per round (their labels are revealed), and the model is retrained from scratch on
   the start data plus every real label so far; ``rounds`` times, with equal budgets.

The run folder (``models/<name>/<run-id>/``) holds the resolved config, ``curves.json``
(every point of every seed), ``metrics.json`` (the last round, in the experiment format, so
``framing experiment compare`` reads it) and ``learning_curves.png`` (mean ± std over seeds).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import yaml
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from framing.config import ActiveLearningConfig, ExperimentConfig, load_config
from framing.errors import InputError
from framing.evaluate import HEADLINE, score
from framing.experiment import TAGGERS, load_named_data
from framing.paths import shared_data_dir
from framing.runs import digest_of, write_json, write_run_folder
from framing.schema import LabelSchema, load_schema
from framing.selection import NEEDS_PROBS, STRATEGIES, Candidates
from framing.tagger import _apply
from framing.types import LabeledSentence

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7")


def _docs(rows: Sequence[LabeledSentence]) -> list[str]:
    return sorted({r.doc_id for r in rows})


def simulation_split(
    pool: Sequence[LabeledSentence], al: ActiveLearningConfig, seed: int, where: str | Path
) -> tuple[list[LabeledSentence], list[LabeledSentence], list[LabeledSentence]]:
    """(held-out outlets' rows, seed articles' rows, the rest of the pool), drawn by ``seed``."""
    outlets = sorted({r.outlet for r in pool})
    if al.heldout_outlets >= len(outlets):
        raise InputError(where, f"active_learning.heldout_outlets: {al.heldout_outlets}, but the pool has {len(outlets)} outlets",
                         fix="hold out fewer outlets")
    rng = random.Random(seed)
    rng.shuffle(outlets)
    held = set(outlets[: al.heldout_outlets])
    rest = [r for r in pool if r.outlet not in held]
    docs = _docs(rest)
    if al.seed_articles >= len(docs):
        raise InputError(where, f"active_learning.seed_articles: {al.seed_articles}, but only {len(docs)} pool articles remain",
                         fix="start from fewer articles or hold out fewer outlets")
    rng.shuffle(docs)
    start = set(docs[: al.seed_articles])
    return ([r for r in pool if r.outlet in held], [r for r in rest if r.doc_id in start],
            [r for r in rest if r.doc_id not in start])


def _subsample(rows: Sequence[LabeledSentence], n_articles: int | None, seed: int) -> list[LabeledSentence]:
    if n_articles is None:
        return list(rows)
    docs = _docs(rows)
    random.Random(seed).shuffle(docs)
    keep = set(docs[:n_articles])
    return [r for r in rows if r.doc_id in keep]


def _score(tagger: Any, gold: Sequence[LabeledSentence], frames: Sequence[str]) -> dict[str, float]:
    probs = tagger.predict_proba([r.as_sentence() for r in gold])  # whole articles: true neighbours
    return score(gold, _apply(probs, tagger.thresholds_, frames), frames).headline()


def _pick(tagger: Any, strategy: str, pool: Sequence[LabeledSentence], remaining: Sequence[LabeledSentence],
          frames: Sequence[str], n: int, seed: int) -> list[LabeledSentence]:
    """The strategy's ``n`` picks among ``remaining``; probabilities come from whole pool articles."""
    probs = None
    if strategy in NEEDS_PROBS:
        docs = {r.doc_id for r in remaining}
        context = [r for r in pool if r.doc_id in docs]
        all_probs = tagger.predict_proba([r.as_sentence() for r in context])
        position = {r.id: i for i, r in enumerate(context)}
        probs = all_probs[[position[r.id] for r in remaining]]
    candidates = Candidates([r.as_sentence() for r in remaining], probs, tagger.thresholds_, frames)
    return [remaining[i] for i in STRATEGIES[strategy](candidates, n, seed)]


def simulate(config: ExperimentConfig, schema: LabelSchema, start_data: Sequence[LabeledSentence],
             pool: Sequence[LabeledSentence], seeds_set: Sequence[LabeledSentence], where: str | Path,
             log: Any = sys.stderr) -> dict[str, Any]:
    """Every strategy's learning curve for every seed: no disk access, data in, curves out."""
    al = config.active_learning
    if al is None:
        raise InputError(where, "active_learning: this experiment has no active_learning section")
    make, frames = TAGGERS[config.model.kind], schema.frames
    curves: dict[str, dict[str, list[dict[str, Any]]]] = {s: {} for s in al.strategies}
    splits = {}
    for seed in config.train.seeds:
        held, start_real, rest = simulation_split(pool, al, seed, where)
        base = _subsample(start_data, al.synthetic_articles, seed)
        splits[str(seed)] = {"heldout_outlets": sorted({r.outlet for r in held}), "seed_articles": _docs(start_real)}
        evals = {"heldout_outlets": held, **({"seeds": list(seeds_set)} if seeds_set else {})}

        def point(tagger: Any, labeled: Sequence[LabeledSentence], round_: int, seconds: float) -> dict[str, Any]:
            p = {"round": round_, "real_labeled": len(labeled), "train_sentences": len(base) + len(labeled),
                 "fit_seconds": round(seconds, 1), **{name: _score(tagger, gold, frames) for name, gold in evals.items()}}
            print(f"[{config.name}] seed {seed} round {round_}: " + ", ".join(f"{k}={v}" for k, v in p.items()), file=log)
            return p

        t0 = time.time()
        first = make(schema, config.model, seed).fit(base + start_real)
        origin = point(first, start_real, 0, time.time() - t0)
        for strategy in al.strategies:
            labeled, remaining, tagger = list(start_real), list(rest), first
            points = [origin]
            for round_ in range(1, al.rounds + 1):
                if not remaining:
                    break
                picked = _pick(tagger, strategy, rest, remaining, frames, al.round_size, seed * 1000 + round_)
                print(f"[{config.name}] seed {seed} {strategy} round {round_}: labeling {len(picked)} sentences", file=log)
                ids = {r.id for r in picked}
                labeled += picked
                remaining = [r for r in remaining if r.id not in ids]
                t0 = time.time()
                tagger = make(schema, config.model, seed).fit(base + labeled)
                points.append(point(tagger, labeled, round_, time.time() - t0))
            curves[strategy][str(seed)] = [{**p, "strategy": strategy} for p in points]
    return {"curves": curves, "splits": splits, "eval_sets": ["heldout_outlets", *(["seeds"] if seeds_set else [])]}


def mean_curves(result: dict[str, Any]) -> dict[str, dict[str, dict[str, list[float]]]]:
    """strategy -> eval set -> metric (and 'x') -> per-round mean and std over seeds."""
    out: dict[str, dict[str, dict[str, list[float]]]] = {}
    for strategy, by_seed in result["curves"].items():
        n_rounds = min(len(points) for points in by_seed.values())
        out[strategy] = {}
        for name in result["eval_sets"]:
            series: dict[str, list[float]] = {"x": [float(np.mean([p[r]["real_labeled"] for p in by_seed.values()]))
                                                    for r in range(n_rounds)]}
            for metric in HEADLINE:
                values = np.array([[p[r][name][metric] for r in range(n_rounds)] for p in by_seed.values()])
                series[metric] = [round(float(v), 4) for v in values.mean(axis=0)]
                series[metric + "_std"] = [round(float(v), 4) for v in values.std(axis=0)]
            out[strategy][name] = series
    return out


def learning_curve_figure(means: dict[str, dict[str, dict[str, list[float]]]], title: str) -> Figure:
    """One panel per (evaluation set, headline metric): mean over seeds with a ±1 std band."""
    eval_sets = list(next(iter(means.values())))
    fig = Figure(figsize=(4 * len(HEADLINE), 3.2 * len(eval_sets)), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(eval_sets), len(HEADLINE), squeeze=False)
    for i, name in enumerate(eval_sets):
        for j, metric in enumerate(HEADLINE):
            ax = axes[i][j]
            for k, (strategy, by_set) in enumerate(means.items()):
                s = by_set[name]
                mean, std = np.array(s[metric]), np.array(s[metric + "_std"])
                colour = OKABE_ITO[k % len(OKABE_ITO)]
                ax.plot(s["x"], mean, marker="o", color=colour, label=strategy)
                ax.fill_between(s["x"], mean - std, mean + std, color=colour, alpha=0.2, linewidth=0)
            ax.set_title(f"{name}: {metric.replace('_', ' ')}", fontsize=9)
            ax.set_xlabel("real sentences labeled")
            ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(title)
    return fig


def run_simulation(config_path: str | Path, models_dir: str | Path = "models", log: Any = sys.stderr) -> Path:
    """Run an active-learning experiment YAML; returns its new run folder."""
    config = load_config(config_path)
    if config.active_learning is None:
        raise InputError(config_path, "active_learning: required for a simulation", fix="see experiments/active_learning.yaml")
    schema = load_schema(config.model.schema)
    shared = shared_data_dir()
    if shared is None:
        raise InputError(config_path, "the simulation reads the real pool in ../shared/data, which is not present",
                         fix="check out the repository next to shared/, or set FRAMING_SHARED_DATA")
    start_data = [r for name in config.train.data for r in load_named_data(name, schema, shared)]
    pool = load_named_data("pool", schema, shared)
    seeds_set = load_named_data("seeds", schema, shared) if "seeds" in config.evaluate.sets else []
    started = time.time()
    result = simulate(config, schema, start_data, pool, seeds_set, config_path, log)
    means = mean_curves(result)
    last = {}
    for strategy, by_seed in result["curves"].items():
        for name in result["eval_sets"]:
            per_seed = [{**points[-1][name], "seed": int(seed), "real_labeled": points[-1]["real_labeled"]}
                        for seed, points in by_seed.items()]
            last[f"{strategy}/{name}"] = {"per_seed": per_seed,
                                          "mean": {k: round(float(np.mean([p[k] for p in per_seed])), 4) for k in HEADLINE},
                                          "std": {k: round(float(np.std([p[k] for p in per_seed])), 4) for k in HEADLINE}}

    def fill(tmp: Path) -> None:
        header = f"# resolved from {config_path}; rerun: framing experiment run {config_path}\n"
        (tmp / "config.yaml").write_text(header + yaml.safe_dump(config.to_dict(), sort_keys=False), encoding="utf-8")
        write_json(tmp / "curves.json", {**result, "mean": means})
        write_json(tmp / "metrics.json", {"experiment": config.name, "seconds": round(time.time() - started, 1),
                                          "data": {"pool_sentences": len(pool), "start_sentences": len(start_data)},
                                          "results": last})
        learning_curve_figure(means, f"{config.name}: learning curves (mean ± std over {len(config.train.seeds)} seeds)") \
            .savefig(tmp / "learning_curves.png")

    return write_run_folder(Path(models_dir) / config.name, digest_of(config.to_dict()), fill)
