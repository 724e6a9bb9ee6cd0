"""Experiment configs load strictly: every shipped file loads, every mistake names its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from framing.config import load_config, parse_config
from framing.errors import InputError

EXPERIMENTS = sorted((Path(__file__).resolve().parents[1] / "experiments").glob("*.yaml"))


def test_there_are_experiments_to_load():
    assert len(EXPERIMENTS) >= 5


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.name)
def test_every_shipped_experiment_loads(path):
    config = load_config(path)
    assert config.name
    assert path.read_text().startswith("#"), "the header comment says how to run it"
    assert f"framing experiment run experiments/{path.name}" in path.read_text()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "x", "model": {"learning_rate": "fast"}}, "model.learning_rate: expected a number, got 'fast'"),
        ({"name": "x", "trian": {}}, "trian: unknown key"),
        ({"name": "x", "model": {"kind": "svm"}}, "model.kind: expected one of"),
        ({"name": "x", "model": {"seed": 3}}, "seeds are listed in train.seeds"),
        ({"name": "x", "train": {"seeds": "0"}}, "train.seeds: expected a list"),
        ({"name": "x", "evaluate": {"sets": ["pool_cv"]}, "train": {"data": ["synthetic"]}}, "pool_cv needs 'pool'"),
        ({"name": "x", "train": {"data": ["seeds"]}}, "scoring on seeds while training on them"),
        ({"model": {}}, "name: required key is missing"),
        ({"name": "x", "model": {"epochs": 2.5}}, "model.epochs: expected an integer"),
        ({"name": "x", "model": {"threshold_tuning": "median"}}, "model.threshold_tuning: expected one of"),
        ({"name": "x", "model": {"threshold_tolerance": 0.5}}, "model.threshold_tolerance: expected a number in [0, 0.1)"),
        ({"name": "x", "model": {"ema_decay": 1.0}}, "model.ema_decay: expected a number in [0, 1)"),
        ({"name": "x", "model": {"members": 0}}, "model.members: expected an integer >= 1"),
        ({"name": "x", "model": {"members": 2}}, "an ensemble uses fixed 0.5 thresholds"),
        ({"name": "x", "model": {"members": 2, "kind": "tfidf", "threshold_tuning": "fixed"}},
         "ensembles are built of transformer taggers"),
        ({"name": "x", "model": {"members": 2, "threshold_tuning": "fixed"}, "train": {"member_data": [["a.jsonl"]]}},
         "train.member_data: expected one list per ensemble member (2), got 1"),
        ({"name": "x", "model": {"members": 2, "threshold_tuning": "fixed"}, "train": {"member_data": [[], ["synthetic"]]}},
         "train.member_data[1][0]: expected a labeled .jsonl path, got 'synthetic'"),
        ({"name": "x", "model": {"members": 2, "threshold_tuning": "fixed"},
          "train": {"data": ["pool", "a.jsonl"], "member_data": [[], ["a.jsonl"]]}},
         "train.member_data[1][0]: a.jsonl is already in train.data"),
        ({"name": "x", "model": {"kind": "tfidf"}, "train": {"member_data": [["a.jsonl"]]}},
         "train.member_data: member data is for transformer ensembles, not 'tfidf'"),
        ({"name": "x", "model": {"members": 2, "threshold_tuning": "fixed"}, "train": {"member_data": "a.jsonl"}},
         "train.member_data: expected a list of a list of a string"),
    ],
)
def test_bad_config_names_file_and_dotted_key(data, message):
    with pytest.raises(InputError) as info:
        parse_config(data, "experiments/frames.yaml")
    assert str(info.value).startswith("experiments/frames.yaml: ")
    assert message in str(info.value)


def test_yaml_is_loaded_safely(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_config(path)
