"""The labeled-data reader is strict: each problem names file, line, sentence id and the fix."""

from __future__ import annotations

import json

import pytest

from framing.errors import InputError
from framing.labels import read_labels, split_by_document
from tests.conftest import make_labeled

GOOD = {"doc_id": "d1", "outlet": "O", "sent_idx": 0, "text": "A judge ordered a halt.", "content": True,
        "frames": ["legal_controversy"], "attribution": "editorial"}


@pytest.mark.parametrize(
    "line, message",
    [
        ("{not json", "line 2: malformed JSON"),
        (json.dumps({**GOOD, "sent_idx": 1, "content": False}), "content is false but frames is ['legal_controversy']"),
        (json.dumps({**GOOD, "sent_idx": 1, "frames": ["economy"]}), "unknown frame(s) ['economy']"),
        (json.dumps({**GOOD, "sent_idx": 1, "attribution": None}), "expected 'attributed' or 'editorial'"),
        (json.dumps(GOOD), "sentence id d1:0 already appears on line 1"),
        (json.dumps([1, 2]), "expected a JSON object"),
    ],
)
def test_bad_label_line_names_file_and_line(tmp_path, schema, line, message):
    path = tmp_path / "labels.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + line + "\n")
    with pytest.raises(InputError) as info:
        read_labels(path, schema)
    assert str(path) in str(info.value) and "line 2" in str(info.value) and message in str(info.value)


def test_missing_label_file_is_an_input_error(tmp_path, schema):
    with pytest.raises(InputError, match="not found"):
        read_labels(tmp_path / "absent.jsonl", schema)


def test_split_keeps_every_article_on_one_side():
    rows = make_labeled(10)
    rest, held = split_by_document(rows, 0.3, seed=0)
    assert {r.doc_id for r in rest}.isdisjoint({r.doc_id for r in held})
    assert len(rest) + len(held) == len(rows) and held
