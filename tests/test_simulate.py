"""The simulated labeling loop: a tiny run end to end, equal budgets, a strict config section."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path

import pytest
import yaml

from framing.cli import main
from framing.config import load_config, parse_config
from framing.errors import InputError
from framing.labels import label_to_json
from framing.selection import STRATEGIES, StrategyName
from tests.conftest import make_labeled

AL_YAML = Path(__file__).resolve().parents[1] / "experiments" / "active_learning.yaml"


def _write(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(label_to_json(r)) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture()
def tiny_setup(tmp_path, tiny_encoder, monkeypatch) -> Path:
    """A fake ../shared/data (real pool of 8 articles over 4 outlets, seeds) and a tiny config."""
    real = lambda rows, prefix: [dataclasses.replace(r, synthetic=False, doc_id=f"{prefix}{r.doc_id}") for r in rows]  # noqa: E731
    _write(tmp_path / "shared/labeled/pool.jsonl", real(make_labeled(8, ("A", "B", "C", "D")), "pool-"))
    _write(tmp_path / "shared/labeled/seeds.jsonl", real(make_labeled(2, ("S",)), "seed-"))
    start = _write(tmp_path / "start.jsonl", make_labeled(3))
    monkeypatch.setenv("FRAMING_SHARED_DATA", str(tmp_path / "shared"))
    config = {
        "name": "al_tiny",
        "model": {"encoder": tiny_encoder, "epochs": 1, "train_layers": 1, "batch_size": 8, "bf16": False, "dev_fraction": 0.0},
        "train": {"data": [str(start)], "seeds": [0, 1]},
        "evaluate": {"sets": ["seeds"]},
        "active_learning": {"strategies": ["uncertainty", "random"], "rounds": 2, "round_size": 4, "seed_articles": 1,
                            "heldout_outlets": 1, "synthetic_articles": 2},
    }
    path = tmp_path / "al_tiny.yaml"
    path.write_text("# Run: framing experiment run al_tiny.yaml\n" + yaml.safe_dump(config))
    return path


def test_a_tiny_simulation_writes_learning_curves_with_equal_budgets(tiny_setup, tmp_path, capsys):
    assert main(["experiment", "run", str(tiny_setup), "--models-dir", str(tmp_path / "models")]) == 0
    (run,) = (tmp_path / "models" / "al_tiny").iterdir()
    curves = json.loads((run / "curves.json").read_text())
    assert set(curves["curves"]) == {"uncertainty", "random"}
    for seed in ("0", "1"):
        u, r = curves["curves"]["uncertainty"][seed], curves["curves"]["random"][seed]
        assert [p["real_labeled"] for p in u] == [p["real_labeled"] for p in r] == [6, 10, 14]  # 1 article of 6, then +4, +4
        assert u[0] == {**r[0], "strategy": "uncertainty"}  # both start from the same model
        assert set(u[1]) >= {"heldout_outlets", "seeds"}
        held = set(curves["splits"][seed]["heldout_outlets"])
        assert len(held) == 1 and held <= {"A", "B", "C", "D"}
    assert (run / "learning_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "uncertainty/heldout_outlets" in capsys.readouterr().out  # the compare table of the last round
    assert main(["experiment", "compare", str(run)]) == 0


def test_the_shipped_active_learning_experiment_is_a_simulation_of_uncertainty_vs_random():
    config = load_config(AL_YAML)
    assert config.active_learning is not None
    assert set(config.active_learning.strategies) == {"uncertainty", "random"}
    assert len(config.train.seeds) >= 3 and config.active_learning.round_size == 40


def test_strategy_names_in_configs_are_the_strategies_there_are():
    assert set(typing.get_args(StrategyName)) == set(STRATEGIES)


@pytest.mark.parametrize("section, message", [
    ({"round_sise": 40}, "active_learning.round_sise: unknown key"),
    ({"strategies": ["smart"]}, "active_learning.strategies[0]: expected one of 'uncertainty', 'diverse', 'random'"),
    ({"rounds": 0}, "active_learning.rounds: expected an integer >= 1"),
    ({"strategies": ["random", "random"]}, "expected distinct strategy names"),
    ({"synthetic_articles": "all"}, "active_learning.synthetic_articles: expected an integer or null"),
])
def test_bad_active_learning_section_names_the_dotted_key(section, message):
    with pytest.raises(InputError) as info:
        parse_config({"name": "x", "train": {"data": ["synthetic"]}, "active_learning": section}, "experiments/al.yaml")
    assert str(info.value).startswith("experiments/al.yaml: ") and message in str(info.value)


def test_a_simulation_may_not_train_on_the_pool_it_draws_from():
    with pytest.raises(InputError, match="train.data: an active-learning run draws its real labels from the pool"):
        parse_config({"name": "x", "train": {"data": ["pool", "synthetic"]}, "active_learning": {}}, "al.yaml")
