"""Baselines with the tagger's interface: TF-IDF + logistic regression, and zero-shot
embedding similarity (frame descriptions vs sentence embeddings, no training labels).

They exist to be beaten: an experiment that cannot beat them has not earned a transformer.
Both produce the same probability columns as ``FramingTagger.predict_proba``:
P(content), P(attributed), P(frame) per frame.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from framing.model import DEFAULT_ENCODER, resolve_encoder
from framing.schema import LabelSchema
from framing.tagger import _split_real_and_synthetic
from framing.tune import Thresholds, tune_thresholds
from framing.types import LabeledSentence, Sentence


class TfidfTagger:
    """Word 1-2-gram TF-IDF with one logistic regression per column; thresholds tuned on dev."""

    def __init__(self, schema: LabelSchema, *, seed: int = 0, dev_fraction: float = 0.15, C: float = 4.0, **_: object) -> None:
        self.schema, self.seed, self.dev_fraction, self.C = schema, seed, dev_fraction, C

    def fit(self, rows: Sequence[LabeledSentence]) -> "TfidfTagger":
        train, dev = _split_real_and_synthetic(rows, self.dev_fraction, self.seed)
        self.vectorizer_ = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        x = self.vectorizer_.fit_transform([r.text for r in train])
        content = np.array([r.content for r in train])
        columns = [content.astype(int), np.array([r.attribution == "attributed" for r in train], dtype=int)]
        columns += [np.array([f in r.frames for r in train], dtype=int) for f in self.schema.frames]
        self.models_ = []
        for j, y in enumerate(columns):
            sel = np.ones(len(train), bool) if j == 0 else content
            model = LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced", random_state=self.seed)
            self.models_.append(model.fit(x[sel], y[sel]) if len(set(y[sel])) > 1 else None)
        self.thresholds_ = tune_thresholds(dev, self.predict_proba([r.as_sentence() for r in dev]), self.schema.frames)
        self.model_id_ = f"tfidf-logreg-seed{self.seed}"
        return self

    def predict_proba(self, sentences: Sequence[Sentence]) -> np.ndarray:
        x = self.vectorizer_.transform([s.text for s in sentences])
        cols = [m.predict_proba(x)[:, 1] if m is not None else np.zeros(len(sentences)) for m in self.models_]
        return np.stack(cols, axis=1).astype(np.float32)


# Prototype texts for the zero-shot heads: content vs boilerplate, attributed vs editorial.
_BOILERPLATE = [
    "Advertisement. Subscribe to our newsletter. Share this article on Facebook and Twitter.",
    "Related stories and trending headlines. Click here to read more. Video player: 0 seconds.",
]
_CONTENT = ["A news report sentence about the deportation of gang members to a prison in El Salvador."]
_ATTRIBUTED = ["An official said that, according to a statement, the spokesperson told reporters."]
_EDITORIAL = ["The prison holds thousands of inmates and opened in 2023."]


class ZeroShotTagger:
    """Cosine similarity of MiniLM sentence embeddings to frame descriptions; no labels used."""

    def __init__(self, schema: LabelSchema, *, encoder: str = DEFAULT_ENCODER, temperature: float = 0.05,
                 frame_margin: float = 0.25, **_: object) -> None:
        self.schema, self.encoder, self.temperature, self.frame_margin = schema, encoder, temperature, frame_margin

    def fit(self, rows: Sequence[LabeledSentence] = ()) -> "ZeroShotTagger":
        """Loads the encoder and embeds the prototypes; ``rows`` are ignored (zero-shot)."""
        from sentence_transformers import SentenceTransformer

        self.model_ = SentenceTransformer(str(resolve_encoder(self.encoder)), device="cpu")
        embed = lambda texts: self.model_.encode(list(texts), normalize_embeddings=True)  # noqa: E731
        self.frames_ = embed(self.schema.descriptions[f] for f in self.schema.frames)
        self.boiler_, self.content_ = embed(_BOILERPLATE), embed(_CONTENT)
        self.attr_, self.edit_ = embed(_ATTRIBUTED), embed(_EDITORIAL)
        self.thresholds_ = Thresholds.default(self.schema.frames)
        self.model_id_ = "zeroshot-minilm"
        return self

    def predict_proba(self, sentences: Sequence[Sentence]) -> np.ndarray:
        e = self.model_.encode([s.text for s in sentences], normalize_embeddings=True, batch_size=64)
        sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
        content = sig(((e @ self.content_.T).max(1) - (e @ self.boiler_.T).max(1)) / self.temperature)
        attributed = sig(((e @ self.attr_.T).max(1) - (e @ self.edit_.T).max(1)) / self.temperature)
        frames = sig(((e @ self.frames_.T) - self.frame_margin) / self.temperature)
        return np.column_stack([content, attributed, frames]).astype(np.float32)
