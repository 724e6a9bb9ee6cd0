"""Splitting articles into sentences, the codebook's unit, with nupunkt.

Line breaks are hard boundaries: each non-empty line (a paragraph, a headline, a caption,
an ad) is split on its own, so a headline without final punctuation stays one sentence and
scraped fragments never merge with the paragraph below. Inside a line nupunkt decides.
Its model was trained on legal text, so three general adjustments fit it to news: military
ranks and political titles become abbreviations ("Lt. Col.", "Sen."), a few legal
abbreviations that are everyday words stop being abbreviations ("said so."), and titles stop
counting as sentence starters ("U.S. Secretary of State ..." stays whole). Quotations that
span sentences are split like any other text."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from nupunkt import PunktSentenceTokenizer
from nupunkt.models import load_default_model

from framing.types import Article, Sentence

# Lowercase, without the final period (nupunkt's form). Ranks and titles that precede a name.
EXTRA_ABBREVIATIONS = (
    "lt", "col", "gen", "maj", "capt", "cpt", "sgt", "cpl", "pvt", "adm", "cmdr", "brig", "ens",
    "sen", "rep", "gov", "atty",
)
# nupunkt's model was trained on legal text, where these abbreviate ("So." for the Southern
# Reporter, "Art.", "Id."-style citations); in news they are words that end sentences
# ("... said so. Officials ..." stayed one sentence).
NOT_ABBREVIATIONS = ("so", "can", "how", "am", "at", "or", "art", "ok")
# Titles the model learned as sentence starters, so it cut "the U.S. | Secretary of State ...";
# in news they follow "U.S." far more often than they open a sentence after an abbreviation.
NOT_SENTENCE_STARTERS = (
    "secretary", "senator", "ambassador", "admiral", "general", "governor", "judge", "congressman",
    "congresswoman", "assemblyman", "assemblywoman", "sergeant", "captain", "colonel", "lieutenant", "sheriff",
)


@lru_cache(maxsize=1)
def _tokenizer() -> PunktSentenceTokenizer:
    """Our own tokenizer instance (``nupunkt.load`` shares one, and we change its abbreviations)."""
    tokenizer = load_default_model()
    tokenizer.add_abbreviations(list(EXTRA_ABBREVIATIONS))
    for word in NOT_ABBREVIATIONS:
        tokenizer.remove_abbreviation(word)
    params = tokenizer.parameters
    params.sent_starters.difference_update(NOT_SENTENCE_STARTERS)
    params.invalidate_patterns()
    tokenizer.clear_decision_cache()
    return tokenizer


def split_text(text: str) -> list[str]:
    """Sentences of one text in reading order: lines split separately, stripped, empties dropped."""
    tokenizer = _tokenizer()
    sentences: list[str] = []
    for line in text.split("\n"):
        if line.strip():
            sentences.extend(s.strip() for s in tokenizer.tokenize(line.strip()) if s.strip())
    return sentences


def split_sentences(article: Article, *, include_title: bool = True) -> list[Sentence]:
    """The article's sentences, ``sent_idx`` from 0 in reading order.

    The codebook counts the headline as a sentence, so a known title comes first unless the
    body already starts with it (trafilatura keeps the page's headline in the body).
    """
    texts = split_text(article.text)
    if include_title and article.title and article.title.strip():
        title = split_text(article.title)
        first_line = next((line for line in article.text.split("\n") if line.strip()), "")
        if not _same(article.title, first_line):
            texts = title + texts
    return [Sentence(article.doc_id, article.outlet, i, text) for i, text in enumerate(texts)]


def segment_articles(articles: Iterable[Article], *, include_title: bool = True) -> list[Sentence]:
    """Sentences of every article, article by article."""
    return [s for article in articles for s in split_sentences(article, include_title=include_title)]


def _same(a: str, b: str) -> bool:
    """Whether two headlines are the same up to case, spacing and final punctuation."""

    def norm(s: str) -> str:
        return re.sub(r"\s+", " ", s).strip().rstrip(".!?:;").casefold()

    return norm(a) == norm(b)
