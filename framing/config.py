"""Experiment configs: one small YAML per experiment, loaded once into frozen dataclasses.

Validation is strict: an unknown key, a wrong type or an unknown choice is an ``InputError``
naming the file and the dotted key, e.g.
``experiments/frames.yaml: model.learning_rate: expected a number, got 'fast'``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import yaml

from framing.errors import InputError
from framing.files import json_ready
from framing.selection import StrategyName
from framing.tagger import TaggerSettings, ensemble_problem
from framing.tune import MAX_TOLERANCE

ModelKind = Literal["transformer", "tfidf", "zeroshot"]
EvalName = Literal["seeds", "pool_cv", "gum", "newssd"]
NAMED_DATA = ("pool", "seeds", "synthetic")


@dataclass(frozen=True)
class ModelConfig(TaggerSettings):
    """Which tagger, and its settings: every ``TaggerSettings`` field but ``seed`` (see train.seeds)."""

    kind: ModelKind = "transformer"
    schema: str | None = None  # a schema YAML; None = the codebook's three frames

    def tagger_settings(self, seed: int) -> dict[str, Any]:
        names = {f.name for f in fields(TaggerSettings)}
        return {**{k: v for k, v in dataclasses.asdict(self).items() if k in names}, "seed": seed}


@dataclass(frozen=True)
class TrainConfig:
    data: tuple[str, ...] = ("pool", "synthetic")  # named sets or labeled JSONL paths
    seeds: tuple[int, ...] = (0, 1, 2)
    # ensembles: one list per member of labeled JSONL paths that member alone also trains on
    # (e.g. [[], [corpus/candidates/x.jsonl]]); empty = every member trains on data only
    member_data: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class EvaluateConfig:
    sets: tuple[EvalName, ...] = ("seeds",)
    cv_folds: int = 5
    cv_seed: int = 0


@dataclass(frozen=True)
class ActiveLearningConfig:
    """A simulated labeling loop (``framing.simulate``) on the real pool, held out by outlet.

    Each seed: ``heldout_outlets`` pool outlets are scored only; ``seed_articles`` other pool
    articles start labeled; each strategy then adds ``round_size`` pool sentences per round
    for ``rounds`` rounds, retraining from scratch on train.data + the real labels so far.
    """

    strategies: tuple[StrategyName, ...] = ("uncertainty", "random")
    rounds: int = 3
    round_size: int = 40
    seed_articles: int = 2
    heldout_outlets: int = 8
    synthetic_articles: int | None = None  # articles drawn from train.data per seed; None = all


@dataclass(frozen=True)
class ExperimentConfig:
    name: str
    description: str = ""
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    ship: bool = False  # copy the first seed's model into models/<name>/<run>/model
    active_learning: ActiveLearningConfig | None = None  # set: `experiment run` simulates labeling rounds

    def to_dict(self) -> dict[str, Any]:
        plain = json_ready(dataclasses.asdict(self))
        del plain["model"]["seed"]  # seeds live in train.seeds; a resolved config must load again
        if plain["active_learning"] is None:
            del plain["active_learning"]  # other experiments' resolved configs stay as they were
        return plain


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin is tuple:
        return f"a list of {_describe(typing.get_args(tp)[0])}"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(tp))
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false", type(None): "null"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _coerce(value: Any, tp: Any, where: str | Path, key: str) -> Any:
    origin = typing.get_origin(tp)
    fail = InputError(where, f"{key}: expected {_describe(tp)}, got {value!r}")
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, where, key)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(tp):
            if dataclasses.is_dataclass(option) and isinstance(value, dict):
                return _build(option, value, where, key)  # its own errors name the nested key
        for option in typing.get_args(tp):
            try:
                return _coerce(value, option, where, key)
            except InputError:
                continue
        raise fail
    if origin is Literal:
        if value in typing.get_args(tp):
            return value
        raise fail
    if origin is tuple:
        if not isinstance(value, list):
            raise fail
        item = typing.get_args(tp)[0]
        return tuple(_coerce(v, item, where, f"{key}[{i}]") for i, v in enumerate(value))
    if tp is type(None):
        if value is None:
            return None
        raise fail
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise fail
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise fail
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise fail
    if tp is str:
        if isinstance(value, str):
            return value
        raise fail
    raise fail


def _build(cls: Any, data: Any, where: str | Path, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise InputError(where, f"{prefix or 'top level'}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    for key in data:
        if key not in known:
            dotted = f"{prefix}.{key}" if prefix else str(key)
            raise InputError(where, f"{dotted}: unknown key", fix=f"valid keys here: {', '.join(known)}")
    kwargs = {}
    for name, value in data.items():
        dotted = f"{prefix}.{name}" if prefix else name
        kwargs[name] = _coerce(value, hints[name], where, dotted)
    missing = [n for n, f in known.items() if n not in kwargs and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]  # type: ignore[misc]
    if missing:
        raise InputError(where, f"{prefix + '.' if prefix else ''}{missing[0]}: required key is missing")
    return cls(**kwargs)


def _check_member_data(config: ExperimentConfig, where: str | Path) -> None:
    member_data = config.train.member_data
    if not member_data:
        return
    if config.model.kind != "transformer":
        raise InputError(where, f"train.member_data: member data is for transformer ensembles, not {config.model.kind!r}",
                         fix="list the files in train.data")
    if len(member_data) != config.model.members:
        raise InputError(where, f"train.member_data: expected one list per ensemble member "
                                f"({config.model.members}), got {len(member_data)}",
                         fix="give model.members lists, e.g. [[], [corpus/candidates/extra.jsonl]] for 2 members")
    if config.active_learning is not None:
        raise InputError(where, "train.member_data: the simulated labeling loop trains single models",
                         fix="drop member_data from an active_learning experiment")
    for k, paths in enumerate(member_data):
        for i, d in enumerate(paths):
            if not d.endswith(".jsonl"):
                raise InputError(where, f"train.member_data[{k}][{i}]: expected a labeled .jsonl path, got {d!r}",
                                 fix="named sets (pool, seeds, synthetic) go in train.data, which every member trains on")
            if d in config.train.data:
                raise InputError(where, f"train.member_data[{k}][{i}]: {d} is already in train.data",
                                 fix="list a file in train.data (every member) or in member_data, not both")


def parse_config(data: Any, where: str | Path) -> ExperimentConfig:
    config: ExperimentConfig = _build(ExperimentConfig, data, where, "")
    for i, d in enumerate(config.train.data):
        if d not in NAMED_DATA and not d.endswith(".jsonl"):
            raise InputError(where, f"train.data[{i}]: expected one of {NAMED_DATA} or a .jsonl path, got {d!r}")
    _check_member_data(config, where)
    if "pool_cv" in config.evaluate.sets and "pool" not in config.train.data:
        raise InputError(where, "evaluate.sets: pool_cv needs 'pool' in train.data", fix="add pool to train.data")
    if "seeds" in config.evaluate.sets and "seeds" in config.train.data:
        raise InputError(where, "evaluate.sets: scoring on seeds while training on them", fix="drop seeds from train.data")
    if "seed" in (data.get("model") or {}):
        raise InputError(where, "model.seed: unknown key", fix="seeds are listed in train.seeds")
    if not config.train.seeds:
        raise InputError(where, "train.seeds: expected at least one seed")
    if not 0.0 <= config.model.threshold_tolerance < MAX_TOLERANCE:
        raise InputError(where, f"model.threshold_tolerance: expected a number in [0, {MAX_TOLERANCE:g}), "
                                f"got {config.model.threshold_tolerance}")
    if not 0.0 <= config.model.ema_decay < 1.0:
        raise InputError(where, f"model.ema_decay: expected a number in [0, 1), got {config.model.ema_decay}",
                         fix="0 turns weight averaging off; 0.999 averages over about the last 1,000 steps")
    problem = ensemble_problem(config.model.members, config.model.threshold_tuning)
    if problem:
        raise InputError(where, f"model.{problem}", fix="under model: members: 1, or threshold_tuning: fixed")
    if config.model.members > 1 and config.model.kind != "transformer":
        raise InputError(where, f"model.members: ensembles are built of transformer taggers, not {config.model.kind!r}",
                         fix="set members: 1")
    if config.evaluate.cv_folds < 2:
        raise InputError(where, f"evaluate.cv_folds: expected an integer >= 2, got {config.evaluate.cv_folds}")
    if config.active_learning is not None:
        _check_active_learning(config, where)
    return config


def _check_active_learning(config: ExperimentConfig, where: str | Path) -> None:
    al = config.active_learning
    assert al is not None
    if {"pool", "seeds"} & set(config.train.data):
        raise InputError(where, "train.data: an active-learning run draws its real labels from the pool and scores on the seeds",
                         fix="list only the starting sets here, e.g. [synthetic]")
    other = [s for s in config.evaluate.sets if s != "seeds"]
    if other:
        raise InputError(where, f"evaluate.sets: {other} are not scored by an active-learning run",
                         fix="use [seeds] or []; the held-out pool outlets are always scored")
    for key in ("rounds", "round_size", "seed_articles", "heldout_outlets"):
        if getattr(al, key) < 1:
            raise InputError(where, f"active_learning.{key}: expected an integer >= 1, got {getattr(al, key)}")
    if al.synthetic_articles is not None and al.synthetic_articles < 0:
        raise InputError(where, f"active_learning.synthetic_articles: expected an integer >= 0 or null, got {al.synthetic_articles}")
    if not al.strategies or len(set(al.strategies)) != len(al.strategies):
        raise InputError(where, f"active_learning.strategies: expected distinct strategy names, got {list(al.strategies)}")


def load_config(path: str | Path, *, resolved: bool = False) -> ExperimentConfig:
    """Read and validate one experiment YAML (``yaml.safe_load`` only).

    ``resolved=True`` reads a run folder's saved ``config.yaml``: runs written before
    ``to_dict`` dropped ``model.seed`` carry it (always 0), and it is ignored there.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "experiment config not found") from None
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise InputError(path, f"not valid YAML: {getattr(exc, 'problem', exc)}",
                         line=None if line is None else line + 1) from None
    if resolved and isinstance(data, dict) and isinstance(data.get("model"), dict):
        data["model"].pop("seed", None)
    return parse_config(data, path)
