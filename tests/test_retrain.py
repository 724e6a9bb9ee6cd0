"""Retraining: the whole labeling loop end to end, the frozen test split, the paired bootstrap,
the non-worse rule, and that an interrupted retrain leaves nothing behind."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from framing import registry
from framing.cli import main
from framing.compare import Delta, not_worse, paired_bootstrap
from framing.errors import InputError
from framing.evaluate import score
from framing.pipeline import load_tagger
from framing.labels import label_to_json
from framing.retrain import DataFile, held_out_docs, record_training_data, retrain
from framing.tagger import FramingTagger
from tests.conftest import make_labeled
from tests.loop_helpers import base_model, bob, fill_labelstudio, snapshot, truth, write_corpus

FRAMES = ("security_success", "legal_controversy", "human_rights_concern")


@pytest.fixture()
def home(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv("FRAMING_MODELS", str(folder))
    return folder


@pytest.fixture()
def config(tmp_path, tiny_encoder) -> Path:
    path = tmp_path / "retrain.yaml"
    path.write_text("# Run: framing experiment run retrain.yaml\nname: retrain_test\nmodel:\n  epochs: 1\n")
    return path


def _labeled_dataset(tmp_path: Path, model: Path, n_docs: int = 8) -> Path:
    """Export every sentence of a tiny corpus, and import two annotators' labels."""
    corpus = write_corpus(tmp_path / "articles", n_docs)
    dataset, out = tmp_path / "dataset", tmp_path / "tasks.json"
    assert main(["annotate", "export", str(corpus), "--n", "64", "--out", str(out), "--dataset", str(dataset),
                 "--model", str(model), "--format", "labelstudio"]) == 0
    filled = fill_labelstudio(out, tmp_path / "filled.json", {"alice": lambda t, s: truth(t), "bob": bob})
    assert main(["annotate", "import", str(filled), "--into", str(dataset)]) == 0
    return dataset


def test_the_labeling_loop_end_to_end(tiny_tagger, tmp_path, home, config, capsys):
    base = base_model(tiny_tagger, home / "base" / "run0")
    base_files = snapshot(base.parent)
    corpus = write_corpus(tmp_path / "articles")
    assert main(["tag", str(corpus), "--out", str(tmp_path / "tags.jsonl"), "--model", str(base)]) == 0
    assert len((tmp_path / "tags.jsonl").read_text().splitlines()) == 64
    assert main(["model", "default", str(base.parent)]) == 0

    # export 50 sentences for Label Studio; two annotators fill them in; import both
    dataset, tasks = tmp_path / "dataset", tmp_path / "tasks.json"
    assert main(["annotate", "export", str(corpus), "--n", "50", "--out", str(tasks), "--dataset", str(dataset),
                 "--format", "labelstudio"]) == 0  # the default model
    assert len(json.loads(tasks.read_text())) == 50
    filled = fill_labelstudio(tasks, tmp_path / "project-1-export.json", {"alice": lambda t, s: truth(t), "bob": bob})
    assert main(["annotate", "import", str(filled), "--into", str(dataset)]) == 0
    assert "alice: 50 added" in capsys.readouterr().out

    assert main(["annotate", "agreement", str(dataset), "--adjudicator", "alice"]) == 0
    assert "Cohen's kappa" in capsys.readouterr().out

    # retrain: comparison printed, new version written and made default; the base untouched
    assert main(["retrain", "--base", str(base), "--data", str(dataset), "--config", str(config), "--adjudicator", "alice",
                 "--bootstrap", "200", "--force"]) == 0
    printed = capsys.readouterr().out
    assert "95% paired bootstrap CI over articles" in printed
    for metric in ("frames_macro_f1", "attribution_macro_f1", "boilerplate_f1", "legal_controversy_f1", "none_f1", "editorial_f1"):
        assert metric in printed
    assert "default switched to the new version" in printed
    (run,) = [p for p in (home / "retrain").iterdir()]
    assert not run.name.startswith(".")
    assert registry.default_model_dir().resolve() == (run / "model").resolve()
    assert snapshot(base.parent) == base_files

    split = json.loads((run / "test_split.json").read_text())
    record = json.loads((run / "training_data.json").read_text())
    assert split["doc_ids"] and set(split["doc_ids"]) <= set(record["excluded_doc_ids"])
    assert [f["role"] for f in record["files"]] == ["base", "gold"] and record["files"][1]["path"] == "data/gold.jsonl"
    new = load_tagger(run / "model", progress=False)
    assert new.settings.epochs == 1 and new.settings.encoder == tiny_tagger.settings.encoder  # config over base settings
    assert new.train_info_["n_sentences"] == 36 + sum(1 for line in (run / "data/gold.jsonl").read_text().splitlines()
                                                      if json.loads(line)["doc_id"] not in split["doc_ids"])

    assert main(["model", "list"]) == 0
    listing = capsys.readouterr().out
    assert any(line.startswith("*") and str(run / "model") in line for line in listing.splitlines())
    assert main(["model", "rollback"]) == 0
    assert registry.default_model_dir().resolve() == base.resolve()


def test_a_new_version_that_is_worse_does_not_become_default(tiny_tagger, tmp_path, home, monkeypatch, capsys):
    base = base_model(tiny_tagger, home / "base" / "run0")
    dataset = _labeled_dataset(tmp_path, base)
    assert main(["model", "default", str(base)]) == 0
    worse = [Delta("frames_macro_f1", 0.8, 0.5, -0.3, -0.4, -0.2, True)]
    monkeypatch.setattr("framing.retrain.paired_bootstrap", lambda *a, **k: worse)
    result = retrain(base, dataset, models_dir=home, adjudicator="alice", n_boot=50, progress=False)
    assert not result.made_default and result.run.is_dir()
    assert registry.default_model_dir().resolve() == base.resolve()
    assert "default unchanged: the new version is worse on frames_macro_f1" in "\n".join(result.lines())


@pytest.mark.parametrize("failure", ["fit", "save"])
@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_an_interrupted_retrain_leaves_no_folder_and_the_default_working(tiny_tagger, tmp_path, home, monkeypatch, failure, error):
    base = base_model(tiny_tagger, home / "base" / "run0")
    dataset = _labeled_dataset(tmp_path, base, n_docs=4)
    assert main(["model", "default", str(base)]) == 0
    pointer = (home / "DEFAULT").read_bytes()

    def boom(*args, **kwargs):
        raise error("interrupted")

    argv = ["retrain", "--base", str(base), "--data", str(dataset), "--adjudicator", "alice", "--bootstrap", "20", "--force"]
    with monkeypatch.context() as patch:
        patch.setattr(FramingTagger, failure, boom)
        if error is KeyboardInterrupt:
            assert main(argv) == 130
        else:
            with pytest.raises(RuntimeError):
                main(argv)
    assert not (home / "retrain").exists() or list((home / "retrain").iterdir()) == []  # not even a hidden folder
    assert (home / "DEFAULT").read_bytes() == pointer
    assert load_tagger(None, progress=False).model_id_ == tiny_tagger.model_id_


@pytest.mark.parametrize("case, where, message", [
    ("no provenance", "models/base/run0/model", "does not record what it was trained on"),
    ("training file changed", "models/base/run0/train.jsonl", "changed since the base model was trained"),
    ("one article", "dataset", "no articles to test on"),
    ("bad config", "bad.yaml", "model.epochs: expected an integer"),
    ("bad fraction", "--test-fraction", "expected a number between 0 and 1"),
    ("missing base", "nowhere", "no model here"),
])
def test_bad_retrain_exits_2_and_writes_nothing(tiny_tagger, tmp_path, home, capsys, case, where, message):
    base = base_model(tiny_tagger, home / "base" / "run0")
    dataset = _labeled_dataset(tmp_path, base, n_docs=1 if case == "one article" else 3)
    argv = ["retrain", "--base", str(base), "--data", str(dataset), "--adjudicator", "alice", "--bootstrap", "20"]
    if case == "no provenance":
        (base.parent / "training_data.json").unlink()
    elif case == "training file changed":
        (base.parent / "train.jsonl").write_text((base.parent / "train.jsonl").read_text().replace("Sunday", "Monday"))
    elif case == "bad config":
        (tmp_path / "bad.yaml").write_text("name: x\nmodel:\n  epochs: 1.5\n")
        argv += ["--config", str(tmp_path / "bad.yaml")]
    elif case == "bad fraction":
        argv += ["--test-fraction", "1.5"]
    elif case == "missing base":
        argv[2] = str(tmp_path / "nowhere")
    before = snapshot(home)
    assert main(argv) == 2
    place = where if where.startswith("--") else str(tmp_path / where)
    err = capsys.readouterr().err
    assert f"framing: error: {place}: " in err and message in err
    assert snapshot(home) == before


def test_new_only_trains_on_the_new_labels_alone(tiny_tagger, tmp_path, home):
    base = base_model(tiny_tagger, home / "base" / "run0")
    (base.parent / "training_data.json").unlink()  # provenance is not needed for --new-only
    dataset = _labeled_dataset(tmp_path, base, n_docs=4)
    result = retrain(base, dataset, models_dir=home, new_only=True, adjudicator="alice", n_boot=20, progress=False)
    record = json.loads((result.run / "training_data.json").read_text())
    assert [f["role"] for f in record["files"]] == ["gold"]
    assert result.n_train == 32 - 8 * result.n_test_docs  # 4 articles of 8 sentences, minus the test articles


def test_a_retrain_from_an_int8_ensemble_trains_an_int8_ensemble(tiny_encoder, schema, tmp_path, home):
    ensemble = FramingTagger(schema, encoder=tiny_encoder, epochs=1, train_layers=1, batch_size=8, bf16=False,
                             dev_fraction=0.0, progress=False, members=2, threshold_tuning="fixed",
                             storage="int8").fit(make_labeled())
    base = base_model(ensemble, home / "base" / "run0")
    dataset = _labeled_dataset(tmp_path, base, n_docs=4)
    result = retrain(base, dataset, models_dir=home, adjudicator="alice", n_boot=20, progress=False)
    new = FramingTagger.load(result.model_dir, progress=False)
    assert (new.settings.members, new.settings.storage) == (2, "int8") and len(new.nets_) == 2
    assert result.model_id != ensemble.model_id_ and set(new.thresholds_.frames.values()) == {0.5}


def test_a_retrain_trains_each_ensemble_member_on_its_own_recorded_files_too(tiny_encoder, schema, tmp_path, home):
    ensemble = FramingTagger(schema, encoder=tiny_encoder, epochs=1, train_layers=1, batch_size=8, bf16=False,
                             dev_fraction=0.0, progress=False, members=2, threshold_tuning="fixed").fit(make_labeled())
    base = base_model(ensemble, home / "base" / "run0")
    extra = base.parent / "member1.jsonl"
    rows = [dataclasses.replace(r, doc_id="own-" + r.doc_id) for r in make_labeled(2)]
    extra.write_text("".join(json.dumps(label_to_json(r)) + "\n" for r in rows), encoding="utf-8")
    record_training_data(base.parent, [base.parent / "train.jsonl", DataFile(extra, None, "member1")])
    dataset = _labeled_dataset(tmp_path, base, n_docs=4)
    result = retrain(base, dataset, models_dir=home, adjudicator="alice", n_boot=20, progress=False)
    record = json.loads((result.run / "training_data.json").read_text())
    assert [f["role"] for f in record["files"]] == ["base", "member1", "gold"]
    members = json.loads((result.model_dir / "tagger.json").read_text())["train_info"]["members"]
    assert members[1]["n_sentences"] - members[0]["n_sentences"] == len(rows)


def test_an_experiment_base_gives_its_member_data_files_to_their_members_alone(tmp_path):
    from framing.retrain import base_training_files, member_files

    run = tmp_path / "run"
    (run / "model").mkdir(parents=True)
    (run / "config.yaml").write_text("name: x\nmodel: {members: 2, threshold_tuning: fixed}\n"
                                     "train: {data: [a.jsonl], member_data: [[], [b.jsonl]]}\n")
    files, _ = base_training_files(run / "model")
    assert [(f.path.name, f.role) for f in files] == [("a.jsonl", "base"), ("b.jsonl", "member1")]
    shared, own = member_files(files, 2)
    assert [f.path.name for f in shared] == ["a.jsonl"] and [[f.path.name for f in o] for o in own] == [[], ["b.jsonl"]]
    with pytest.raises(InputError, match="ensemble member 1, but the new model has 1"):
        member_files(files, 1)


# ----------------------------------------------------------------------------- split and comparison
def test_held_out_articles_keep_their_side_as_the_dataset_grows():
    small = [f"doc-{i}" for i in range(40)]
    large = small + [f"doc-{i}" for i in range(40, 200)]
    held_small, held_large = held_out_docs(small, 0.2, seed=1), held_out_docs(large, 0.2, seed=1)
    assert held_small == held_large & set(small)
    assert 20 <= len(held_large) <= 60
    assert held_out_docs(["a", "b"], 0.01, seed=0) and len(held_out_docs(["a", "b"], 0.99, seed=0)) == 1
    assert held_out_docs(["a"], 0.5, seed=0) == set()


def _pred(rows, wrong_frames=False):
    return [(r.content, (("security_success",) if wrong_frames and r.content else r.frames), r.attribution) for r in rows]


def test_bootstrap_point_estimates_equal_evaluate_score():
    gold = make_labeled(6)
    old = [(not r.content if r.sent_idx == 4 else r.content, r.frames if r.content else (), r.attribution) for r in gold]
    old = [(c, f if c else (), (v or "editorial") if c else None) for c, f, v in old]
    new = _pred(gold, wrong_frames=True)
    deltas = {d.metric: d for d in paired_bootstrap(gold, old, new, FRAMES, n_boot=50, seed=0)}
    m_old, m_new = score(gold, old, FRAMES), score(gold, new, FRAMES)
    for name in ("frames_macro_f1", "attribution_macro_f1", "boilerplate_f1"):
        assert deltas[name].old == pytest.approx(getattr(m_old, name), abs=1e-4)
        assert deltas[name].new == pytest.approx(getattr(m_new, name), abs=1e-4)
    for label in (*FRAMES, "none", "attributed", "editorial", "boilerplate"):
        assert deltas[f"{label}_f1"].new == pytest.approx(m_new.per_label[label]["f1"], abs=1e-4)


def test_identical_models_differ_by_exactly_zero():
    gold = make_labeled(4)
    deltas = paired_bootstrap(gold, _pred(gold), _pred(gold), FRAMES, n_boot=100, seed=0)
    assert all(d.delta == d.ci_low == d.ci_high == 0 for d in deltas)
    assert not_worse(deltas)


def test_a_reliably_worse_model_fails_the_non_worse_rule():
    gold = make_labeled(12)
    deltas = {d.metric: d for d in paired_bootstrap(gold, _pred(gold), _pred(gold, wrong_frames=True), FRAMES, n_boot=200, seed=0)}
    assert deltas["frames_macro_f1"].worse and deltas["frames_macro_f1"].ci_high < 0
    assert not not_worse(list(deltas.values()))


@pytest.mark.parametrize("delta, low, high, ok", [
    (0.01, -0.02, 0.05, True),   # better
    (-0.01, -0.05, 0.02, True),  # worse by noise: the interval includes 0
    (-0.05, -0.09, -0.01, False),  # reliably worse
    (-0.05, -0.09, 0.0, True),   # the interval touches 0
])
def test_non_worse_rule(delta, low, high, ok):
    assert not_worse([Delta("boilerplate_f1", 0.5, 0.5 + delta, delta, low, high, True)]) is ok
    assert not_worse([Delta("legal_controversy_f1", 0.5, 0.5 + delta, delta, low, high, False)])  # only headline metrics count


def test_gold_rows_are_never_in_both_train_and_test(tiny_tagger, tmp_path, home):
    base = base_model(tiny_tagger, home / "base" / "run0")
    dataset = _labeled_dataset(tmp_path, base, n_docs=6)
    result = retrain(base, dataset, models_dir=home, adjudicator="alice", n_boot=20, progress=False, test_fraction=0.4)
    test = set(json.loads((result.run / "test_split.json").read_text())["doc_ids"])
    assert 1 <= len(test) <= 5
    gold_docs = [json.loads(line)["doc_id"] for line in (result.run / "data/gold.jsonl").read_text().splitlines()]
    assert result.n_train == 36 + sum(d not in test for d in gold_docs)  # base rows + gold outside the test articles
    assert result.n_test_sentences == sum(d in test for d in gold_docs)
