"""The tagger's contract: fit returns self, save/load round-trips predictions, context matters."""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest
import torch
from safetensors.torch import load as safetensors_load

from framing.model import encode_with_context, load_tokenizer
from framing.tagger import FramingTagger, available_threads, configure_threads
from tests.conftest import make_labeled


def test_fit_returns_self_and_sets_learned_state(tiny_encoder, schema):
    tagger = FramingTagger(schema, encoder=tiny_encoder, epochs=1, train_layers=1, bf16=False,
                           dev_fraction=0.0, progress=False)
    assert not hasattr(tagger, "nets_")
    assert tagger.fit(make_labeled(2)) is tagger
    assert tagger.model_id_.startswith("framing-minilm@")
    assert len(tagger.history_) == 1


def test_save_then_load_gives_identical_predictions(tiny_tagger, tmp_path):
    sentences = [r.as_sentence() for r in make_labeled(3)]
    before = tiny_tagger.predict_proba(sentences)
    folder = tiny_tagger.save(tmp_path / "model")
    loaded = FramingTagger.load(folder, progress=False)
    np.testing.assert_allclose(loaded.predict_proba(sentences), before, atol=1e-6)
    assert loaded.model_id_ == tiny_tagger.model_id_
    assert [t.frames for t in loaded.predict(sentences)] == [t.frames for t in tiny_tagger.predict(sentences)]


def test_saved_weights_are_safetensors_with_schema_and_settings(tiny_tagger, tmp_path):
    folder = tiny_tagger.save(tmp_path / "model")
    assert sorted(p.name for p in folder.iterdir()) == ["schema.json", "tagger.json", "weights.safetensors"]
    assert json.loads((folder / "schema.json").read_text())["frames"].keys() == set(tiny_tagger.schema.frames)
    assert not list(folder.glob("*.bin")) and not list(folder.glob("*.pt"))


def test_save_never_overwrites_an_existing_model(tiny_tagger, tmp_path):
    folder = tiny_tagger.save(tmp_path / "model")
    with pytest.raises(FileExistsError):
        tiny_tagger.save(folder)


def test_load_rejects_tampered_weights(tiny_tagger, tmp_path):
    folder = tiny_tagger.save(tmp_path / "model")
    data = bytearray((folder / "weights.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (folder / "weights.safetensors").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="sha256"):
        FramingTagger.load(folder)


def test_predictions_do_not_depend_on_input_order(tiny_tagger):
    sentences = [r.as_sentence() for r in make_labeled(2)]
    forward = tiny_tagger.predict_proba(sentences)
    backward = tiny_tagger.predict_proba(sentences[::-1])[::-1]
    np.testing.assert_allclose(forward, backward, atol=1e-5)


def test_neighbours_enter_the_input_only_with_context(tiny_encoder):
    tokenizer = load_tokenizer(tiny_encoder)
    doc = [["He said the deal was fair.", "And our region will be safer because of it."]]
    with_ctx = encode_with_context(tokenizer, doc, context=1, max_target=64, max_neighbour=24)[0][1]
    without = encode_with_context(tokenizer, doc, context=0, max_target=64, max_neighbour=24)[0][1]
    assert len(with_ctx.input_ids) > len(without.input_ids)
    assert without.token_type_ids == tuple([0] * len(without.input_ids))
    assert 1 in with_ctx.token_type_ids and with_ctx.n_target == without.n_target


def test_boilerplate_gets_no_frames_or_voice(tiny_tagger):
    tagged = tiny_tagger.predict([r.as_sentence() for r in make_labeled(2)])
    for t in tagged:
        if not t.content:
            assert t.frames == () and t.attribution is None
        else:
            assert t.attribution in ("attributed", "editorial")


def test_refit_starts_from_scratch(tiny_encoder, schema):
    kwargs = dict(encoder=tiny_encoder, epochs=1, train_layers=1, bf16=False, dev_fraction=0.0, progress=False)
    a = FramingTagger(schema, **kwargs).fit(make_labeled(2))
    first = a.weights_sha256_
    a.fit(make_labeled(2))
    assert a.weights_sha256_ == first  # same data, same seed, fresh start: same weights


def test_weight_average_starts_at_the_first_weights_and_moves_by_one_minus_decay():
    from framing.tagger import _WeightAverage

    param = torch.nn.Parameter(torch.zeros(3))
    average = _WeightAverage([param], decay=0.5)
    with torch.no_grad():
        param.fill_(1.0)
    average.update([param])  # step 1: ramped decay min(0.5, 2/11) = 2/11
    np.testing.assert_allclose(average.shadow[0].numpy(), 9 / 11, rtol=1e-6)
    with torch.no_grad():
        param.fill_(3.0)
    average.update([param])  # step 2: min(0.5, 3/12) = 0.25
    np.testing.assert_allclose(average.shadow[0].numpy(), 0.25 * 9 / 11 + 0.75 * 3, rtol=1e-6)
    with average.swapped_in([param]):
        np.testing.assert_allclose(param.detach().numpy(), average.shadow[0].numpy())
    assert torch.equal(param.detach(), torch.full((3,), 3.0))  # live weights restored


def test_weight_averaging_trains_other_weights_that_save_and_load_alike(tiny_encoder, schema, tmp_path):
    kwargs = dict(encoder=tiny_encoder, epochs=2, train_layers=1, bf16=False, dev_fraction=0.0, progress=False)
    plain = FramingTagger(schema, **kwargs).fit(make_labeled(2))
    averaged = FramingTagger(schema, ema_decay=0.9, **kwargs).fit(make_labeled(2))
    assert averaged.weights_sha256_ != plain.weights_sha256_
    sentences = [r.as_sentence() for r in make_labeled(2)]
    loaded = FramingTagger.load(averaged.save(tmp_path / "m"), progress=False)
    np.testing.assert_allclose(loaded.predict_proba(sentences), averaged.predict_proba(sentences), atol=1e-6)


def test_ensemble_averages_members_trained_as_single_models_and_round_trips(tiny_encoder, schema, tmp_path,
                                                                            monkeypatch):
    kwargs = dict(encoder=tiny_encoder, epochs=1, train_layers=1, bf16=False, dev_fraction=0.0, progress=False,
                  threshold_tuning="fixed")
    rows = make_labeled(2)
    # on 2+ cores the members train side by side, one thread each: train the singles so too
    monkeypatch.setenv("FRAMING_THREADS", "1")
    singles = [FramingTagger(schema, seed=seed, **kwargs).fit(rows) for seed in (3, 4)]
    monkeypatch.delenv("FRAMING_THREADS")
    ensemble = FramingTagger(schema, seed=3, members=2, **kwargs).fit(rows)
    sentences = [r.as_sentence() for r in rows]
    expected = (singles[0].predict_proba(sentences) + singles[1].predict_proba(sentences)) / 2
    np.testing.assert_allclose(ensemble.predict_proba(sentences), expected, atol=1e-6)
    assert ensemble.thresholds_.content == 0.5 and set(ensemble.thresholds_.frames.values()) == {0.5}
    assert [h["member"] for h in ensemble.history_] == [0, 1]
    loaded = FramingTagger.load(ensemble.save(tmp_path / "m"), progress=False)
    np.testing.assert_allclose(loaded.predict_proba(sentences), expected, atol=1e-6)
    assert loaded.model_id_ == ensemble.model_id_ != singles[0].model_id_


def test_ensemble_members_train_on_their_own_extra_rows_as_single_models_would(tiny_encoder, schema, monkeypatch):
    kwargs = dict(encoder=tiny_encoder, epochs=1, train_layers=1, bf16=False, dev_fraction=0.0, progress=False,
                  threshold_tuning="fixed")
    rows, extra = make_labeled(2), make_labeled(3)[-6:]
    extra = [dataclasses.replace(r, doc_id="extra-" + r.doc_id) for r in extra]
    monkeypatch.setenv("FRAMING_THREADS", "1")
    singles = [FramingTagger(schema, seed=3, **kwargs).fit(rows), FramingTagger(schema, seed=4, **kwargs).fit(rows + extra)]
    monkeypatch.delenv("FRAMING_THREADS")
    ensemble = FramingTagger(schema, seed=3, members=2, **kwargs).fit(rows, member_rows=[[], extra])
    sentences = [r.as_sentence() for r in rows]
    expected = (singles[0].predict_proba(sentences) + singles[1].predict_proba(sentences)) / 2
    np.testing.assert_allclose(ensemble.predict_proba(sentences), expected, atol=1e-6)
    assert [m["n_sentences"] for m in ensemble.train_info_["members"]] == [len(rows), len(rows) + len(extra)]
    with pytest.raises(ValueError, match="one set per member"):
        FramingTagger(schema, seed=3, members=2, **kwargs).fit(rows, member_rows=[extra])


def test_ensemble_needs_fixed_thresholds(schema):
    with pytest.raises(ValueError, match="set threshold_tuning to fixed"):
        FramingTagger(schema, members=2)
    with pytest.raises(ValueError, match="members: expected an integer >= 1"):
        FramingTagger(schema, members=0)


def test_load_rejects_a_weights_file_with_fewer_members_than_its_settings(tiny_encoder, schema, tmp_path):
    single = FramingTagger(schema, encoder=tiny_encoder, epochs=1, train_layers=1, bf16=False, dev_fraction=0.0,
                           progress=False).fit(make_labeled(2))
    folder = single.save(tmp_path / "m")
    info = json.loads((folder / "tagger.json").read_text())
    info["settings"].update(members=2, threshold_tuning="fixed")
    (folder / "tagger.json").write_text(json.dumps(info))
    with pytest.raises(ValueError, match="member 0"):
        FramingTagger.load(folder, progress=False)


def test_int8_storage_saves_one_byte_per_matrix_weight_and_loads_to_the_trained_model(tiny_encoder, schema, tmp_path):
    kwargs = dict(encoder=tiny_encoder, epochs=1, train_layers=1, bf16=False, dev_fraction=0.0, progress=False)
    rows = make_labeled(2)
    fp16 = FramingTagger(schema, **kwargs).fit(rows)
    int8 = FramingTagger(schema, storage="int8", **kwargs).fit(rows)
    matrix = "encoder.encoder.layer.1.attention.self.query.weight"
    trained = dict(int8.nets_[0].named_parameters())[matrix].detach()
    levels = trained / int8.scales_[0][matrix]
    assert levels.abs().max() <= 127.0001
    assert (levels - levels.round()).abs().max() < 1e-4  # the trained model is already on the int8 grid
    saved = safetensors_load((int8.save(tmp_path / "int8") / "weights.safetensors").read_bytes())
    assert saved[matrix].dtype == torch.int8 and saved[matrix + ".int8_scale"].shape == (trained.shape[0], 1)
    assert (tmp_path / "int8" / "weights.safetensors").stat().st_size < len(fp16._weights_bytes())
    loaded = FramingTagger.load(tmp_path / "int8", progress=False)
    sentences = [r.as_sentence() for r in rows]
    np.testing.assert_array_equal(loaded.predict_proba(sentences), int8.predict_proba(sentences))
    assert loaded.model_id_ == int8.model_id_ != fp16.model_id_


def test_framing_threads_caps_the_threads_used(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setenv("FRAMING_THREADS", "1")
    try:
        assert available_threads() == 1 and configure_threads() == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    monkeypatch.setenv("FRAMING_THREADS", "0")  # not a positive integer: every core, as unset
    assert available_threads() == len(os.sched_getaffinity(0))
