"""Normalising article text: Unicode, invisible characters, spaces, blank lines, HTML entities.

Pure functions on strings. Nothing is dropped but whitespace and invisible characters:
ads, polls and other boilerplate stay, because the model marks them (the codebook's
``content`` label) and the report needs them to show what it marked.
"""

from __future__ import annotations

import dataclasses
import html
from html.entities import html5
import re
import unicodedata

from framing.types import Article

# Zero-width and bidi/format characters that render as nothing but split or glue words.
_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\ufeff"
_LINE_BREAKS = "\u000b\u000c\u0085\u2028\u2029"  # vertical tab, form feed, NEL, line/paragraph separators
_ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_TABLE = str.maketrans({**{c: None for c in _INVISIBLE}, **{c: "\n" for c in _LINE_BREAKS}, "\t": " "})


def clean_text(text: str) -> str:
    """Normalise one text; paragraphs (lines) and every visible character are kept.

    Steps, in order: unescape leftover HTML entities (``&amp;``, ``&#8217;``: scrapers
    leave them), Unicode NFC, drop zero-width and control characters (newlines kept, tabs
    become spaces), non-breaking and other Unicode spaces become plain spaces, runs of
    spaces collapse to one, lines are stripped, more than one blank line in a row becomes
    one, and the text is stripped.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        text = _ENTITY.sub(_unescape, text)
    text = unicodedata.normalize("NFC", text).translate(_TABLE)
    text = "".join(
        " " if unicodedata.category(c) == "Zs" else c
        for c in text
        if c == "\n" or unicodedata.category(c) != "Cc"
    )
    lines = [re.sub(r" {2,}", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _unescape(match: re.Match[str]) -> str:
    """One complete entity (``&amp;``, ``&#8217;``); ``&notanentity;`` stays as written."""
    entity = match.group(0)
    return html.unescape(entity) if entity[1] == "#" or entity[1:] in html5 else entity


def clean_article(article: Article) -> Article:
    """The article with its text (and title) cleaned; ids, outlet and metadata unchanged."""
    title = clean_text(article.title) if article.title else article.title
    return dataclasses.replace(article, text=clean_text(article.text), title=title or None)
