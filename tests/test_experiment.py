"""Experiments end to end on a tiny encoder: run folders, seeds, leave-outlets-out CV, compare."""

from __future__ import annotations

import dataclasses
import json

import pytest
import yaml

from framing.cli import main
from framing.experiment import compare_runs, format_threshold_study, run_experiment, threshold_study
from framing.labels import label_to_json, outlet_folds
from framing.tagger import FramingTagger
from tests.conftest import SHARED_DATA, make_labeled, needs_shared_data


def _config(tmp_path, tiny_encoder, data, sets, seeds=(0, 1)):
    labeled = tmp_path / "train.jsonl"
    labeled.write_text("".join(json.dumps(label_to_json(r)) + "\n" for r in make_labeled(4)))
    path = tmp_path / "tiny.yaml"
    config = {
        "name": "tiny",
        "model": {"encoder": tiny_encoder, "epochs": 1, "train_layers": 1, "bf16": False, "batch_size": 16},
        "train": {"data": [str(labeled) if d == "FILE" else d for d in data], "seeds": list(seeds)},
        "evaluate": {"sets": list(sets), "cv_folds": 2},
    }
    path.write_text("# Run: framing experiment run tiny.yaml\n" + yaml.safe_dump(config))
    return path


@needs_shared_data()
def test_run_writes_a_new_folder_with_config_metrics_history_and_model(tiny_encoder, tmp_path):
    config = _config(tmp_path, tiny_encoder, ["FILE"], ["seeds"])
    first = run_experiment(config, tmp_path / "models")
    second = run_experiment(config, tmp_path / "models")
    assert first != second and first.exists()  # nothing overwrites an earlier run
    for name in ("config.yaml", "metrics.json", "history.json", "model/tagger.json", "model/weights.safetensors"):
        assert (first / name).is_file(), name
    metrics = json.loads((first / "metrics.json").read_text())["results"]["seeds"]
    assert [m["seed"] for m in metrics["per_seed"]] == [0, 1]
    assert set(metrics["mean"]) >= {"frames_macro_f1", "attribution_macro_f1", "boilerplate_f1"}
    assert metrics["per_seed"][0]["n_sentences"] == 173
    assert not [p for p in (tmp_path / "models" / "tiny").iterdir() if p.name.startswith(".partial")]
    from framing.config import load_config

    assert load_config(first / "config.yaml") == load_config(config)  # the resolved config reruns as is
    table = compare_runs([first, second])
    assert table.count("| tiny (") == 2


@needs_shared_data()
def test_pool_cv_holds_each_fold_outlets_out_and_scores_every_pool_sentence(tiny_encoder, tmp_path):
    config = _config(tmp_path, tiny_encoder, ["FILE", "pool"], ["pool_cv"], seeds=(0,))
    run = run_experiment(config, tmp_path / "models")
    result = json.loads((run / "metrics.json").read_text())["results"]["pool_cv"]
    folds = [set(f) for f in result["folds"]]
    assert len(folds) == 2 and not folds[0] & folds[1]
    assert result["per_seed"][0]["n_sentences"] == 540  # every pool sentence scored once, out of fold
    oof = [json.loads(line) for line in (run / "pool_cv_predictions.jsonl").read_text().splitlines()]
    assert len({r["id"] for r in oof}) == 540
    assert set(oof[0]) == {"id", "outlet", "text", "gold", "pred", "scores"}
    saved = [json.loads(line) for line in (run / "pool_cv_scores.jsonl").read_text().splitlines()]
    assert sum(r["split"] == "test" for r in saved) == 540
    assert {r["fold"] for r in saved if r["split"] == "dev"} == {0, 1}  # each fold's own dev articles


@needs_shared_data()
def test_threshold_study_reproduces_the_run_under_its_own_rule_and_scores_the_others(tiny_encoder, tmp_path):
    config = _config(tmp_path, tiny_encoder, ["FILE", "pool"], ["pool_cv"], seeds=(0,))
    run = run_experiment(config, tmp_path / "models")
    recorded = json.loads((run / "metrics.json").read_text())["results"]["pool_cv"]["per_seed"][0]
    study = threshold_study(run, tolerances=(0.0, 0.005))
    assert set(study) == {"pooled", "balanced", "fixed", "pooled@0.005", "balanced@0.005"}
    assert study["pooled"][0] == {k: recorded[k] for k in study["pooled"][0]}
    table = format_threshold_study(study)
    assert table.count("\n| ") == 5 and "| balanced@0.005 |" in table
    # a second seed whose models scored exactly like the first: their average scores like either
    saved = (run / "pool_cv_scores.jsonl").read_text().splitlines()
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / "pool_cv_scores.jsonl").write_text("\n".join(saved + [line.replace('"seed": 0', '"seed": 1', 1) for line in saved]))
    doubled = threshold_study(twin)
    assert doubled["fixed, mean of 2 seeds' scores"] == [study["fixed"][0]]


def test_outlet_folds_partition_outlets():
    rows = make_labeled(10, outlets=tuple(f"O{i}" for i in range(7)))
    folds = outlet_folds(rows, 3, seed=1)
    assert sorted(o for f in folds for o in f) == sorted({r.outlet for r in rows})


def test_experiment_cli_bad_config_exits_2(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nmodel:\n  learning_rate: fast\n")
    assert main(["experiment", "run", str(path), "--models-dir", str(tmp_path / "m")]) == 2
    assert "model.learning_rate: expected a number, got 'fast'" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_compare_rejects_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["experiment", "compare", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_external_sets_report_only_the_metrics_their_labels_support(schema):
    from framing.evaluate import score
    from framing.experiment import _external_entry
    from framing.types import LabeledSentence

    gold = [LabeledSentence("d", "NewsSD", i, f"s{i}", True, (), "editorial") for i in range(4)]
    pred = [(True, (), "editorial"), (True, (), "attributed"), (False, (), None), (True, (), "editorial")]
    entry = _external_entry("newssd", score(gold, pred, schema.frames))
    assert entry["frames_macro_f1"] is None and entry["boilerplate_f1"] is None and entry["attribution_macro_f1"] is None
    assert entry["editorial_recall"] == 0.5 and entry["content_recall"] == 0.75


@needs_shared_data()
def test_an_ensemble_run_saves_all_its_members_as_one_model(tiny_encoder, tmp_path):
    config = _config(tmp_path, tiny_encoder, ["FILE"], ["seeds"], seeds=(0,))
    data = yaml.safe_load(config.read_text())
    data["model"].update(members=2, threshold_tuning="fixed")
    config.write_text(yaml.safe_dump(data))
    run = run_experiment(config, tmp_path / "models")
    tagger = FramingTagger.load(run / "model", progress=False)
    assert len(tagger.nets_) == 2 and tagger.thresholds_.content == 0.5
    assert [h["member"] for h in json.loads((run / "history.json").read_text())["seed0"]] == [0, 1]


@needs_shared_data()
def test_member_data_gives_one_member_its_own_extra_set_and_runs_go_to_framing_models(tiny_encoder, tmp_path,
                                                                                      monkeypatch, capsys):
    config = _config(tmp_path, tiny_encoder, ["FILE"], ["seeds"], seeds=(0,))
    extra = tmp_path / "extra.jsonl"
    rows = [dataclasses.replace(r, doc_id="extra-" + r.doc_id) for r in make_labeled(2, outlets=("Gamma Post",))]
    extra.write_text("".join(json.dumps(label_to_json(r)) + "\n" for r in rows))
    data = yaml.safe_load(config.read_text())
    data["model"].update(members=2, threshold_tuning="fixed")
    data["train"]["member_data"] = [[], [str(extra)]]
    config.write_text(yaml.safe_dump(data))
    monkeypatch.setenv("FRAMING_MODELS", str(tmp_path / "elsewhere"))
    assert main(["experiment", "run", str(config)]) == 0
    (run,) = (tmp_path / "elsewhere" / "tiny").iterdir()
    assert json.loads((run / "metrics.json").read_text())["data"]["member_sentences"] == [0, 12]
    info = json.loads((run / "model" / "tagger.json").read_text())["train_info"]
    assert [m["n_sentences"] + m["n_dev_sentences"] for m in info["members"]] == [24, 36]
    capsys.readouterr()
