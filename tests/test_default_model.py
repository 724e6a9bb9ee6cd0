"""The model shipped inside the package: present, small, intact, loadable offline."""

from __future__ import annotations

import hashlib
import json

from framing.paths import SHIPPED_MODEL_DIR
from framing.pipeline import load_tagger
from framing.types import Sentence
from tests.conftest import needs_shared_data


def test_shipped_model_is_small_safetensors_with_matching_hash():
    files = {p.name: p for p in SHIPPED_MODEL_DIR.iterdir()}
    assert {"tagger.json", "schema.json", "weights.safetensors"} <= set(files)
    assert sum(p.stat().st_size for p in files.values()) <= 25 * 1024 * 1024
    info = json.loads(files["tagger.json"].read_text())
    assert hashlib.sha256(files["weights.safetensors"].read_bytes()).hexdigest() == info["weights_sha256"]
    assert info["train_info"]["n_sentences"] > 3000


def test_default_tagger_loads_without_a_models_folder_and_names_itself(tmp_path, monkeypatch):
    monkeypatch.setenv("FRAMING_MODELS", str(tmp_path))  # no DEFAULT pointer: the shipped model
    tagger = load_tagger(None, progress=False)
    texts = [
        "Deportation flights land in El Salvador despite court order",
        "A federal judge ordered the administration to turn the planes around.",
        "The planes landed anyway, officials said.",
        "Subscribe to our newsletter for daily updates.",
    ]
    tagged = tagger.predict([Sentence("d", "O", i, t) for i, t in enumerate(texts)])
    assert tagged[1].model == tagger.model_id_ == json.loads((SHIPPED_MODEL_DIR / "tagger.json").read_text())["model_id"]
    assert tagged[1].content and "legal_controversy" in tagged[1].frames and tagged[1].attribution == "editorial"
    assert tagged[2].attribution == "attributed"
    assert not tagged[3].content


@needs_shared_data()
def test_shipped_model_records_its_training_files_for_retrain_with_part_q_for_member_1_only():
    from framing.retrain import base_training_files, member_files

    files, _ = base_training_files(SHIPPED_MODEL_DIR)
    shared, own = member_files(files, 2)
    assert all(f.path.is_file() for f in files)
    assert [f.path.name for f in shared][:2] == ["pool.jsonl", "part-a.jsonl"] and not own[0]
    assert sorted(f.path.name for f in own[1]) == ["part-q-guide.jsonl", "part-q-head.jsonl", "part-q-live.jsonl",
                                                   "part-q-photo.jsonl"]
