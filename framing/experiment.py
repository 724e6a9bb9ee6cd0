"""Experiments: one YAML in, one run folder out (``models/<name>/<run-id>/``).

A run trains one tagger per seed on ``train.data`` and scores it on each ``evaluate.sets``
set; ``pool_cv`` trains one more tagger per seed and fold, with the fold's outlets held
out of training (leave-outlets-out: the judgement is on outlets never seen). The folder
holds the resolved config, per-epoch and final metrics (per seed, mean and std) and the
first seed's model (and, for ``pool_cv``, the first seed's out-of-fold predictions in
``pool_cv_predictions.jsonl``, gold beside predicted, and every seed's and fold's dev and
test scores in ``pool_cv_scores.jsonl``, which ``threshold_study`` re-tunes under each
threshold rule without retraining). It is built in a hidden sibling
folder and renamed into place, so no run is ever half-written or overwrites another.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import yaml

from framing.baselines import TfidfTagger, ZeroShotTagger
from framing.config import ExperimentConfig, load_config
from framing.errors import InputError
from framing.evaluate import HEADLINE, Metrics, score
from framing.external import read_gum, read_newssd
from framing.files import write_jsonl_atomic
from framing.labels import outlet_folds, read_labels
from framing.paths import shared_data_dir, synthetic_corpus_files
from framing.runs import digest_of, write_json, write_run_folder
from framing.schema import LabelSchema, load_schema
from framing.tagger import FramingTagger, _apply
from framing.tune import TUNING, Thresholds, tune_thresholds
from framing.types import LabeledSentence, split_sentence_id

TAGGERS: dict[str, Callable[..., Any]] = {
    "transformer": lambda schema, cfg, seed: FramingTagger(schema, progress=False, **cfg.tagger_settings(seed)),
    "tfidf": lambda schema, cfg, seed: TfidfTagger(schema, seed=seed, dev_fraction=cfg.dev_fraction),
    "zeroshot": lambda schema, cfg, seed: ZeroShotTagger(schema, encoder=cfg.encoder),
}


def load_named_data(name: str, schema: LabelSchema, shared: Path | None) -> list[LabeledSentence]:
    """A named labeled set (pool, seeds, synthetic) or a labeled JSONL path."""
    if name == "synthetic":
        return [row for f in synthetic_corpus_files() for row in read_labels(f, schema)]
    if name in ("pool", "seeds"):
        if shared is None:
            raise InputError("../shared/data", f"the '{name}' set needs ../shared/data beside the repository",
                             fix="check out the repository next to shared/, or set FRAMING_SHARED_DATA")
        return read_labels(shared / "labeled" / f"{name}.jsonl", schema)
    return read_labels(Path(name), schema)


def _evaluate(tagger: Any, gold: Sequence[LabeledSentence], frames: Sequence[str]) -> Metrics:
    probs = tagger.predict_proba([r.as_sentence() for r in gold])
    return score(gold, _apply(probs, tagger.thresholds_, frames), frames, probs)


def _external(name: str, shared: Path) -> list[LabeledSentence]:
    folder = shared / "external"
    return read_gum(folder / "gum_wikinews") if name == "gum" else read_newssd(folder / "newssd_eng")


# External sets label only some of what we predict: GUM has voice but no frames or
# boilerplate; NewsSD's SUBJ sentences are only gold editorial. Headline metrics that their
# labels cannot support are recorded as None, and set-specific measures are added.
EXTERNAL_HEADLINE = {"gum": ("attribution_macro_f1",), "newssd": ()}


def _external_entry(name: str, m: Metrics) -> dict[str, Any]:
    entry: dict[str, Any] = {k: (v if k in EXTERNAL_HEADLINE[name] else None) for k, v in m.headline().items()}
    entry["content_recall"] = round(1.0 - m.confusion["boilerplate"][0][1] / max(1, m.n_content), 4)
    if name == "newssd":
        entry["editorial_recall"] = round(m.per_label["editorial"]["recall"], 4)
    return entry


def _mean_std(per_seed: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [k for k in per_seed[0] if all(isinstance(m.get(k), float) for m in per_seed)]
    return {
        "mean": {k: round(float(np.mean([m[k] for m in per_seed])), 4) for k in keys},
        "std": {k: round(float(np.std([m[k] for m in per_seed])), 4) for k in keys},
    }


def run_experiment(config_path: str | Path, models_dir: str | Path = "models", log: Any = sys.stderr) -> Path:
    """Run one experiment YAML; returns its new run folder."""
    config = load_config(config_path)
    schema = load_schema(config.model.schema)
    shared = shared_data_dir()
    needs_shared = {"pool", "seeds"} & set(config.train.data) or {"seeds", "pool_cv", "gum", "newssd"} & set(config.evaluate.sets)
    if needs_shared and shared is None:
        raise InputError(config_path, "this experiment reads ../shared/data, which is not present",
                         fix="check out the repository next to shared/, or set FRAMING_SHARED_DATA")
    train_rows = [r for name in config.train.data for r in load_named_data(name, schema, shared)]
    member_rows = [[r for name in paths for r in load_named_data(name, schema, shared)]
                   for paths in config.train.member_data] or None
    fit_args = {"member_rows": member_rows} if member_rows else {}
    make = TAGGERS[config.model.kind]
    started = time.time()
    results: dict[str, Any] = {}
    histories: dict[str, Any] = {}
    first_model: Any = None
    oof_predictions: list[dict[str, Any]] = []  # pool_cv only
    cv_scores: list[dict[str, Any]] = []  # pool_cv only: dev and test scores of every seed and fold

    full_evals = [e for e in config.evaluate.sets if e != "pool_cv"]
    if full_evals:
        gold = {e: (load_named_data("seeds", schema, shared) if e == "seeds" else _external(e, shared)) for e in full_evals}  # type: ignore[arg-type]
        per: dict[str, list[dict[str, Any]]] = {e: [] for e in full_evals}
        for seed in config.train.seeds:
            t0 = time.time()
            tagger = make(schema, config.model, seed).fit(train_rows, **fit_args)
            fit_s = time.time() - t0
            histories[f"seed{seed}"] = getattr(tagger, "history_", [])
            for e in full_evals:
                m = _evaluate(tagger, gold[e], schema.frames)
                entry = {**m.to_dict(), **(_external_entry(e, m) if e in EXTERNAL_HEADLINE else {})}
                per[e].append({**entry, "seed": seed, "fit_seconds": round(fit_s, 1)})
                print(f"[{config.name}] seed {seed} {e}: {m.headline()} (fit {fit_s:.0f}s)", file=log)
            if first_model is None:
                first_model = tagger
        for e in full_evals:
            results[e] = {"per_seed": per[e], **_mean_std(per[e])}

    if "pool_cv" in config.evaluate.sets:
        pool = load_named_data("pool", schema, shared)
        pool_ids = {r.id for r in pool}
        rest = [r for r in train_rows if r.id not in pool_ids]
        folds = outlet_folds(pool, config.evaluate.cv_folds, config.evaluate.cv_seed)
        per_cv: list[dict[str, Any]] = []
        for seed in config.train.seeds:
            gold_all: list[LabeledSentence] = []
            probs_all: list[np.ndarray] = []
            labels_all: list[Any] = []
            fold_scores = []
            t0 = time.time()
            for k, held in enumerate(folds):
                test = [r for r in pool if r.outlet in held]
                tagger = make(schema, config.model, seed).fit(rest + [r for r in pool if r.outlet not in held], **fit_args)
                probs = tagger.predict_proba([r.as_sentence() for r in test])
                labels = _apply(probs, tagger.thresholds_, schema.frames)
                if getattr(tagger, "dev_", None) is not None:
                    cv_scores += _score_records(*tagger.dev_, seed=seed, fold=k, split="dev")
                    cv_scores += _score_records(test, probs, seed=seed, fold=k, split="test")
                fold_scores.append(score(test, labels, schema.frames).headline())
                gold_all += test
                probs_all.append(probs)
                labels_all += labels
                print(f"[{config.name}] seed {seed} pool_cv fold {k + 1}/{len(folds)}: {fold_scores[-1]}", file=log)
            m = score(gold_all, labels_all, schema.frames, np.concatenate(probs_all))
            if not oof_predictions:  # the first seed's out-of-fold predictions, for error analysis
                oof_predictions = _oof_records(gold_all, np.concatenate(probs_all), labels_all, schema.frames)
            per_cv.append({**m.to_dict(), "seed": seed, "folds": fold_scores, "fit_seconds": round(time.time() - t0, 1)})
            print(f"[{config.name}] seed {seed} pool_cv (pooled over folds): {m.headline()}", file=log)
        results["pool_cv"] = {"per_seed": per_cv, "folds": [sorted(f) for f in folds], **_mean_std(per_cv)}

    data_info: dict[str, Any] = {"train_sentences": len(train_rows), "train_articles": len({r.doc_id for r in train_rows})}
    if member_rows:
        data_info["member_sentences"] = [len(m) for m in member_rows]  # each member also trains on its own set
    return _write_run(config, config_path, models_dir, results, histories, first_model, time.time() - started,
                      data_info,
                      oof_predictions, cv_scores)


def _score_records(gold: Sequence[LabeledSentence], probs: np.ndarray, **where: Any) -> list[dict[str, Any]]:
    """Gold labels and raw scores, compact, for re-tuning thresholds after the run."""
    return [{**where, "id": r.id, "synthetic": r.synthetic, "content": r.content, "frames": list(r.frames),
             "attribution": r.attribution, "scores": [float(x) for x in p]} for r, p in zip(gold, probs)]


def threshold_study(run: str | Path, schema: LabelSchema | None = None,
                    tolerances: Sequence[float] = (0.0,)) -> dict[str, list[dict[str, float]]]:
    """Pool-CV headline metrics per seed under each threshold rule, re-tuned from a run's saved scores.

    Thresholds do not change training, so each rule of ``framing.tune`` (at each tolerance) is
    applied to the dev scores each fold's tagger saw, and the resulting thresholds to its
    held-out outlets. The run's own rule reproduces the run's metrics. Keys: ``pooled``,
    ``balanced``, ``fixed``, with ``@tolerance`` appended when it is not 0; and for a run of
    several seeds, what averaging their models' probabilities would score (one entry).
    """
    path = Path(run) / "pool_cv_scores.jsonl"
    if not path.is_file():
        raise InputError(run, "no pool_cv_scores.jsonl in this run folder",
                         fix="pass a pool_cv run of single models made by this version (e.g. experiments/default_pool_cv_seeds_3_5.yaml); "
                             "an ensemble's run (model.members > 1) saves none, as its thresholds are fixed: "
                             "run its members as seeds instead (experiments/ensemble_l3_cv.yaml)")
    schema = schema if schema is not None else load_schema()
    groups: dict[tuple[int, int, str], list[dict[str, Any]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        groups.setdefault((rec["seed"], rec["fold"], rec["split"]), []).append(rec)

    def rows(recs: list[dict[str, Any]]) -> tuple[list[LabeledSentence], np.ndarray]:
        gold = [_gold_row(r) for r in recs]
        return gold, np.array([r["scores"] for r in recs])

    parsed = {key: rows(recs) for key, recs in groups.items()}  # once, not once per rule

    seeds = sorted({k[0] for k in parsed})
    study: dict[str, list[dict[str, float]]] = {}
    rules = [(how, tol) for tol in tolerances for how in TUNING if not (how == "fixed" and tol)]
    for how, tol in rules:
        key = how if not tol else f"{how}@{tol:g}"
        study[key] = []
        for seed in seeds:
            gold_all: list[LabeledSentence] = []
            labels_all: list[Any] = []
            probs_all = []
            for fold in sorted({k[1] for k in parsed if k[0] == seed}):
                thresholds = tune_thresholds(*parsed[(seed, fold, "dev")], schema.frames, how, tol)  # type: ignore[arg-type]
                test_gold, test_probs = parsed[(seed, fold, "test")]
                gold_all += test_gold
                labels_all += _apply(test_probs, thresholds, schema.frames)
                probs_all.append(test_probs)
            study[key].append(score(gold_all, labels_all, schema.frames, np.concatenate(probs_all)).headline())
    if len(seeds) > 1:
        study[f"fixed, mean of {len(seeds)} seeds' scores"] = [_seed_average_score(parsed, seeds, schema.frames)]
    return study


def _gold_row(rec: Mapping[str, Any]) -> LabeledSentence:
    """The gold labels of one saved score record (no text: the study needs only ids and labels)."""
    doc_id, sent_idx = split_sentence_id(rec["id"])
    return LabeledSentence(doc_id, "", sent_idx, "", rec["content"], tuple(rec["frames"]), rec["attribution"],
                           rec["synthetic"])


def _seed_average_score(parsed: Mapping[tuple[int, int, str], tuple[list[LabeledSentence], np.ndarray]],
                        seeds: Sequence[int], frames: Sequence[str]) -> dict[str, float]:
    """Pool-CV metrics of an ensemble: each held-out sentence's probabilities averaged over the seeds' models.

    Thresholds stay at 0.5 (each seed tuned its own on its own dev split, so there is no common
    dev split to tune the ensemble's on).
    """
    gold_all: list[LabeledSentence] = []
    probs_all = []
    for fold in sorted({k[1] for k in parsed}):
        golds = [parsed[(seed, fold, "test")][0] for seed in seeds]
        if any([g.id for g in gold] != [g.id for g in golds[0]] for gold in golds):
            raise ValueError(f"fold {fold}: the seeds scored different held-out sentences")
        gold_all += golds[0]
        probs_all.append(np.mean([parsed[(seed, fold, "test")][1] for seed in seeds], axis=0))
    probs = np.concatenate(probs_all)
    return score(gold_all, _apply(probs, Thresholds.default(frames), frames), frames, probs).headline()


def format_threshold_study(study: Mapping[str, Sequence[Mapping[str, float]]]) -> str:
    """The study as a markdown table: mean ± std over seeds, and the mean of the three measures."""
    lines = ["| threshold rule | " + " | ".join(HEADLINE) + " | mean of three | per seed |",
             "|---|" + "---|" * (len(HEADLINE) + 2)]
    for how, per_seed in study.items():
        cells = [f"{np.mean([h[k] for h in per_seed]):.3f} ± {np.std([h[k] for h in per_seed]):.3f}" for k in HEADLINE]
        overall = np.mean([[h[k] for k in HEADLINE] for h in per_seed])
        seeds = ", ".join(f"{np.mean([h[k] for k in HEADLINE]):.3f}" for h in per_seed)
        lines.append(f"| {how} | " + " | ".join(cells) + f" | {overall:.3f} | {seeds} |")
    return "\n".join(lines)


def _oof_records(gold: Sequence[LabeledSentence], probs: np.ndarray, labels: Sequence[Any],
                 frames: Sequence[str]) -> list[dict[str, Any]]:
    """One line per held-out sentence: gold labels beside the prediction made without its outlet."""
    out = []
    for r, p, (content, chosen, voice) in zip(gold, probs, labels):
        out.append({
            "id": r.id, "outlet": r.outlet, "text": r.text,
            "gold": {"content": r.content, "frames": list(r.frames), "attribution": r.attribution},
            "pred": {"content": content, "frames": list(chosen), "attribution": voice},
            "scores": {"content": round(float(p[0]), 4), "attributed": round(float(p[1]), 4),
                       **{f: round(float(p[2 + j]), 4) for j, f in enumerate(frames)}},
        })
    return out


def _write_run(config: ExperimentConfig, config_path: str | Path, models_dir: str | Path, results: dict[str, Any],
               histories: dict[str, Any], model: Any, seconds: float, data: Mapping[str, Any],
               oof_predictions: Sequence[dict[str, Any]] = (), cv_scores: Sequence[dict[str, Any]] = ()) -> Path:
    def fill(tmp: Path) -> None:
        header = f"# resolved from {config_path}; rerun: framing experiment run {config_path}\n"
        (tmp / "config.yaml").write_text(header + yaml.safe_dump(config.to_dict(), sort_keys=False), encoding="utf-8")
        summary = {"experiment": config.name, "seconds": round(seconds, 1), "data": dict(data), "results": results}
        write_json(tmp / "metrics.json", summary)
        write_json(tmp / "history.json", histories)
        if oof_predictions:
            write_jsonl_atomic(tmp / "pool_cv_predictions.jsonl", oof_predictions)
        if cv_scores:
            write_jsonl_atomic(tmp / "pool_cv_scores.jsonl", cv_scores)
        if model is not None and hasattr(model, "save"):
            model.save(tmp / "model")

    return write_run_folder(Path(models_dir) / config.name, digest_of(config.to_dict()), fill)


def compare_runs(runs: Sequence[str | Path]) -> str:
    """A side-by-side table (markdown) of the headline metrics, mean ± std over seeds."""
    header = "| run | eval | " + " | ".join(HEADLINE) + " | other | seeds |"
    lines = [header, "|" + "---|" * (len(HEADLINE) + 4)]
    for run in runs:
        path = Path(run) / "metrics.json"
        if not path.is_file():
            raise InputError(run, "not a run folder (no metrics.json)", fix="pass folders under models/<experiment>/")
        summary = json.loads(path.read_text(encoding="utf-8"))
        for name, res in summary["results"].items():
            cells = []
            for k in HEADLINE:
                mean, std = res["mean"].get(k), res["std"].get(k)
                cells.append("n/a" if mean is None else f"{mean:.3f} ± {std:.3f}")
            other = "; ".join(f"{k} {res['mean'][k]:.3f} ± {res['std'][k]:.3f}" for k in ("editorial_recall", "content_recall")
                              if k in res["mean"])
            label = f"{summary['experiment']} ({Path(run).name})"
            lines.append(f"| {label} | {name} | " + " | ".join(cells) + f" | {other} | {len(res['per_seed'])} |")
    return "\n".join(lines)
