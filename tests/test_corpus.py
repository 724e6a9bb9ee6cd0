"""The project's synthetic training corpus: valid under the codebook, marked synthetic, big enough."""

from __future__ import annotations

from collections import defaultdict

import pytest

from framing.labels import read_labels
from framing.paths import candidate_corpus_files, synthetic_corpus_files
from framing.schema import load_schema
from framing.types import LabeledSentence


@pytest.fixture(scope="module")
def synthetic() -> dict[str, list[LabeledSentence]]:
    schema = load_schema()
    return {f.name: read_labels(f, schema) for f in synthetic_corpus_files()}


@pytest.fixture(scope="module")
def written(synthetic) -> dict[str, list[LabeledSentence]]:
    """Every corpus part the project wrote: the training parts and the candidates."""
    schema = load_schema()
    return {**synthetic, **{f"candidates/{f.name}": read_labels(f, schema) for f in candidate_corpus_files()}}


def test_every_corpus_record_is_marked_synthetic(written):
    unmarked = [(name, r.id) for name, rows in written.items() for r in rows if not r.synthetic]
    assert unmarked == []


def test_articles_are_whole_and_in_one_file_with_one_outlet(written):
    files: dict[str, set[str]] = defaultdict(set)
    outlets: dict[str, set[str]] = defaultdict(set)
    positions: dict[str, list[int]] = defaultdict(list)
    for name, rows in written.items():
        for r in rows:
            files[r.doc_id].add(name)
            outlets[r.doc_id].add(r.outlet)
            positions[r.doc_id].append(r.sent_idx)
    assert {d: f for d, f in files.items() if len(f) > 1} == {}
    assert {d: o for d, o in outlets.items() if len(o) > 1} == {}
    assert {d: p for d, p in positions.items() if p != list(range(len(p)))} == {}


def test_corpus_meets_the_issue_minimums_and_covers_every_frame_pair(synthetic):
    rows = [r for rs in synthetic.values() for r in rs]
    assert len(rows) >= 3000
    assert len({r.doc_id for r in rows}) >= 120
    assert len({r.outlet for r in rows}) >= 10
    frames = load_schema().frames
    combos = {r.frames for r in rows if r.content}
    for i, a in enumerate(frames):
        assert (a,) in combos
        for b in frames[i + 1:]:
            assert any(a in c and b in c for c in combos), (a, b)
    voices = {r.attribution for r in rows if r.content}
    assert voices == {"attributed", "editorial"}
    assert any(not r.content for r in rows)
