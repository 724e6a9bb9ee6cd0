"""Cleaning text: what is normalised, and that nothing visible is dropped."""

from __future__ import annotations

import pytest

from framing.clean import clean_article, clean_text
from framing.types import Article

CASES = {
    "nfc composes accents": ("Caf\u0065\u0301 Tecoluca", "Caf\u00e9 Tecoluca"),
    "zero-width characters removed": ("Bu\u200bke\u200dle\ufeff said\u00ad so", "Bukele said so"),
    "control characters removed, newlines kept": ("one\x07 two\x1b\nthree", "one two\nthree"),
    "tabs become spaces": ("one\ttwo", "one two"),
    "windows line ends become newlines": ("one\r\ntwo\rthree", "one\ntwo\nthree"),
    "non-breaking spaces become spaces": ("Kristi\u00a0Noem\u202fsaid", "Kristi Noem said"),
    "runs of spaces collapse": ("too    many   spaces", "too many spaces"),
    "lines are stripped": ("  indented  \ntrailing   \n", "indented\ntrailing"),
    "three or more newlines collapse to one blank line": ("a\n\n\n\n\nb\n\nc", "a\n\nb\n\nc"),
    "blank lines made of spaces collapse too": ("a\n  \n \t \n\nb", "a\n\nb"),
    "named and numeric entities unescaped": ("Tom &amp; Jerry&#8217;s &mdash; &#x2019;", "Tom & Jerry\u2019s \u2014 \u2019"),
    "entity for a non-breaking space becomes a space": ("Lt.&nbsp;Col.", "Lt. Col."),
    "entities are unescaped once": ("&amp;lt;b&amp;gt;", "&lt;b&gt;"),
    "bare ampersands and unknown entities untouched": ("AT&T &notanentity; R&D", "AT&T &notanentity; R&D"),
    "markup-like text is kept as text": ("He posted <script>alert(1)</script> twice.", "He posted <script>alert(1)</script> twice."),
    "escaped markup becomes text, not removed": ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"),
}


@pytest.mark.parametrize("raw, expected", CASES.values(), ids=CASES.keys())
def test_clean_text_normalises(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_clean_text_keeps_boilerplate_and_every_paragraph() -> None:
    raw = "Headline\n\nADVERTISEMENT\n\nSave 15% with Promo Code EAGLE\nExit mobile version\n"
    assert clean_text(raw) == "Headline\n\nADVERTISEMENT\n\nSave 15% with Promo Code EAGLE\nExit mobile version"


def test_clean_text_is_idempotent() -> None:
    messy = " A\u00a0 b &amp; c\u200b\n\n\n\n\td\u0065\u0301 \r\nADVERTISEMENT  \x0c"
    once = clean_text(messy)
    assert once == "A b & c\n\nd\u00e9\nADVERTISEMENT"
    assert clean_text(once) == once


def test_clean_article_cleans_text_and_title_and_keeps_the_rest() -> None:
    article = Article(doc_id="d-1", outlet="The Bay Ledger", text="Body&#8217;s\u00a0text  \n\n\n\nEnd",
                      source="a.txt", title="  Head&amp;line\u200b ", url="https://x.example", date="2025-03-16",
                      meta={"lean": "left"})
    cleaned = clean_article(article)
    assert cleaned.text == "Body\u2019s text\n\nEnd"
    assert cleaned.title == "Head&line"
    assert (cleaned.doc_id, cleaned.outlet, cleaned.source, cleaned.url, cleaned.date, dict(cleaned.meta)) == (
        "d-1", "The Bay Ledger", "a.txt", "https://x.example", "2025-03-16", {"lean": "left"})
    assert article.text.startswith("Body&#8217;s")  # the input record is not changed


def test_clean_article_turns_a_blank_title_into_none() -> None:
    article = Article(doc_id="d", outlet="o", text="t", source="s", title="\u200b ")
    assert clean_article(article).title is None
