"""Records passed between pipeline stages: small, frozen, with the shared label format's names.

A sentence's id is ``doc_id:sent_idx``. Field names follow the codebook's JSONL format
(``doc_id``, ``outlet``, ``sent_idx``, ``text``, ``content``, ``frames``, ``attribution``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Mapping

Attribution = Literal["attributed", "editorial"]
ATTRIBUTIONS: tuple[Attribution, ...] = ("attributed", "editorial")


def sentence_id(doc_id: str, sent_idx: int) -> str:
    """The stable id of one sentence: ``doc_id:sent_idx``."""
    return f"{doc_id}:{sent_idx}"


def split_sentence_id(sid: str) -> tuple[str, int]:
    """``doc_id:sent_idx`` back into its parts (doc ids may themselves contain ``:``)."""
    doc_id, sent_idx = sid.rsplit(":", 1)
    return doc_id, int(sent_idx)


@dataclass(frozen=True)
class Article:
    """One article as ingested: raw body text plus what we know about where it came from."""

    doc_id: str
    outlet: str
    text: str
    source: str  # the file it came from ("path" or "path:line" for JSONL/CSV rows)
    title: str | None = None
    url: str | None = None
    date: str | None = None
    meta: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article, in reading order."""

    doc_id: str
    outlet: str
    sent_idx: int
    text: str

    @property
    def id(self) -> str:
        return sentence_id(self.doc_id, self.sent_idx)


@dataclass(frozen=True)
class LabeledSentence:
    """A sentence with gold labels under the codebook (or a user-defined schema)."""

    doc_id: str
    outlet: str
    sent_idx: int
    text: str
    content: bool
    frames: tuple[str, ...]
    attribution: Attribution | None
    synthetic: bool = False

    @property
    def id(self) -> str:
        return sentence_id(self.doc_id, self.sent_idx)

    def as_sentence(self) -> Sentence:
        return Sentence(self.doc_id, self.outlet, self.sent_idx, self.text)


@dataclass(frozen=True)
class Prediction:
    """The model's probabilities for one sentence (before thresholds are applied)."""

    content_score: float  # P(content)
    frame_scores: Mapping[str, float]  # frame -> P(frame | content)
    attribution_score: float  # P(attributed | content)


@dataclass(frozen=True)
class TaggedSentence:
    """A sentence with the model's labels and scores: one line of ``framing tag`` output."""

    doc_id: str
    outlet: str
    sent_idx: int
    text: str
    content: bool
    content_score: float
    frames: tuple[str, ...]
    frame_scores: Mapping[str, float]
    attribution: Attribution | None
    attribution_score: float
    model: str

    @property
    def id(self) -> str:
        return sentence_id(self.doc_id, self.sent_idx)
