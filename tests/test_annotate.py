"""Choosing, exporting, importing and agreeing on labels: strategies, formats, strict merge, κ and α."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from framing.agreement import agreement_stats, cohen_kappa, gold_label, krippendorff_alpha_nominal
from framing.annotation_io import text_sha256
from framing.cli import main
from framing.selection import STRATEGIES, Candidates, doubt, margin_doubt, select
from framing.tune import Thresholds
from framing.types import LabeledSentence, Sentence
from tests.loop_helpers import bob, fill_labelstudio, snapshot, truth, write_corpus

FRAMES = ("security_success", "legal_controversy", "human_rights_concern")


@pytest.fixture(scope="module")
def model_dir(tiny_tagger, tmp_path_factory) -> str:
    return str(tiny_tagger.save(tmp_path_factory.mktemp("annotate") / "model"))


@pytest.fixture()
def corpus(tmp_path) -> Path:
    return write_corpus(tmp_path / "articles")


def _export(corpus, tmp_path, model_dir, fmt="jsonl", n=20, strategy="uncertainty", name=None) -> tuple[Path, Path]:
    ext = {"jsonl": ".jsonl", "csv": ".csv", "labelstudio": ".json"}[fmt]
    out, dataset = tmp_path / (name or f"export{ext}"), tmp_path / "dataset"
    assert main(["annotate", "export", str(corpus), "--n", str(n), "--out", str(out), "--dataset", str(dataset),
                 "--model", model_dir, "--format", fmt, "--strategy", strategy]) == 0
    return out, dataset


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _filled_jsonl(export: Path, out: Path, annotator: str | None = "alice") -> Path:
    """The export with every row answered by the careful annotator."""
    rows = []
    for row in _jsonl(export):
        content, frames, voice = truth(row["text"])
        row.update(content=content, frames=frames, attribution=voice)
        if annotator:
            row["annotator"] = annotator
        rows.append(row)
    return _write_jsonl(out, rows)


# ----------------------------------------------------------------------------- doubt and strategies
def test_doubt_is_one_at_the_threshold_and_zero_at_the_far_end():
    np.testing.assert_allclose(margin_doubt(np.array([0.3, 0.0, 1.0, 0.2, 0.6]), 0.3), [1.0, 0.0, 0.0, 2 / 3, 1 - 0.3 / 0.7])


def test_frame_and_voice_doubt_count_only_as_much_as_the_sentence_is_content():
    t = Thresholds(0.5, 0.5, {f: 0.5 for f in FRAMES})
    sure_boilerplate_wavering_frame = [0.02, 0.5, 0.5, 0.1, 0.1]
    content_wavering_frame = [0.98, 0.9, 0.5, 0.1, 0.1]
    d = doubt(np.array([sure_boilerplate_wavering_frame, content_wavering_frame]), t, FRAMES)
    assert d[0] < 0.1 and d[1] == pytest.approx(0.98)


def _candidates(n=12, outlets=("A", "B", "C")) -> Candidates:
    sentences = [Sentence(f"d{i}", outlets[i % len(outlets)], 0, f"sentence number {i} about topic {i % 4}") for i in range(n)]
    probs = np.full((n, 5), 0.95, dtype=np.float32)
    probs[7, 3] = 0.51  # sentence 7 is the most doubtful, then 2
    probs[2, 1] = 0.4
    return Candidates(sentences, probs, Thresholds(0.5, 0.5, {f: 0.5 for f in FRAMES}), FRAMES)


def test_uncertainty_picks_the_most_doubtful_first():
    assert select("uncertainty", _candidates(), 2, seed=0) == [7, 2]


def test_diverse_spreads_picks_over_outlets():
    picks = select("diverse", _candidates(), 3, seed=0)
    assert sorted(_candidates().sentences[i].outlet for i in picks) == ["A", "B", "C"]


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_is_seeded_and_never_picks_twice(name):
    first = select(name, _candidates(), 8, seed=3)
    assert first == select(name, _candidates(), 8, seed=3)
    assert len(set(first)) == len(first) == 8
    assert sorted(select(name, _candidates(), 50, seed=0)) == list(range(12))  # all, when asked for more


# ----------------------------------------------------------------------------- export
def test_labelstudio_export_has_context_predictions_and_a_matching_config(corpus, tmp_path, model_dir):
    out, dataset = _export(corpus, tmp_path, model_dir, fmt="labelstudio", n=10)
    tasks = json.loads(out.read_text())
    assert len(tasks) == 10
    registry = {e["id"]: e for e in _jsonl(dataset / "sentences.jsonl")}
    for task in tasks:
        data = task["data"]
        assert set(data) == {"id", "text", "context_before", "context_after", "outlet", "text_sha256"}
        assert data["text_sha256"] == text_sha256(data["text"]) == registry[data["id"]]["text_sha256"]
        assert data["context_before"] or data["id"].endswith(":0")
        (prediction,) = task["predictions"]
        assert prediction["model_version"].startswith("framing-minilm@")
        assert {r["from_name"] for r in prediction["result"]} <= {"content", "frames", "voice"}
    config = ET.fromstring((tmp_path / "export.label_config.xml").read_text())
    names = {c.get("name"): [x.get("value") for x in c] for c in config.iter("Choices")}
    assert names == {"content": ["content", "boilerplate"], "frames": list(FRAMES), "voice": ["attributed", "editorial"]}
    assert config.find("Choices[@name='frames']").get("choice") == "multiple"


def test_uncertainty_export_is_ordered_by_decreasing_doubt(corpus, tmp_path, model_dir):
    out, _ = _export(corpus, tmp_path, model_dir, n=30)
    doubts = [r["doubt"] for r in _jsonl(out)]
    assert doubts == sorted(doubts, reverse=True)


def test_csv_export_has_the_documented_columns(corpus, tmp_path, model_dir):
    out, _ = _export(corpus, tmp_path, model_dir, fmt="csv", n=5)
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["id", "outlet", "text", "context_before", "context_after", "text_sha256", "content", "frames", "attribution"]
    assert all(r["content"] in ("content", "boilerplate") for r in rows)


def test_export_skips_sentences_already_labeled(corpus, tmp_path, model_dir):
    out, dataset = _export(corpus, tmp_path, model_dir, n=60)
    assert main(["annotate", "import", str(_filled_jsonl(out, tmp_path / "f.jsonl")), "--into", str(dataset)]) == 0
    again = tmp_path / "again.jsonl"
    assert main(["annotate", "export", str(corpus), "--n", "60", "--out", str(again), "--dataset", str(dataset),
                 "--model", model_dir]) == 0
    assert {r["doc_id"] + ":" + str(r["sent_idx"]) for r in _jsonl(again)}.isdisjoint(
        {r["doc_id"] + ":" + str(r["sent_idx"]) for r in _jsonl(out)})
    assert len(_jsonl(again)) == 64 - 60


@pytest.mark.parametrize(
    "args, message",
    [
        (["--strategy", "smart"], "valid strategies: uncertainty, diverse, random"),
        (["--format", "xml"], "valid formats: jsonl, csv, labelstudio"),
        (["--format", "labelstudio"], "needs a .json file name"),
        (["--n", "0"], "expected a number of sentences >= 1"),
        (["--model", "no/such/model"], "no/such/model: no model here"),
        (["INPUT=missing"], "missing"),
    ],
)
def test_bad_export_exits_2_and_writes_nothing(corpus, tmp_path, model_dir, capsys, args, message):
    out, dataset = tmp_path / "out.jsonl", tmp_path / "dataset"
    source = str(tmp_path / "missing") if args == ["INPUT=missing"] else str(corpus)
    extra = [] if args == ["INPUT=missing"] else args
    argv = ["annotate", "export", source, "--out", str(out), "--dataset", str(dataset), "--model", model_dir, "--n", "5", *extra]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not out.exists() and not dataset.exists()


# ----------------------------------------------------------------------------- import
def test_import_merges_and_relabeling_replaces_with_history(corpus, tmp_path, model_dir, capsys):
    out, dataset = _export(corpus, tmp_path, model_dir, n=10)
    filled = _filled_jsonl(out, tmp_path / "alice.jsonl")
    assert main(["annotate", "import", str(filled), "--into", str(dataset)]) == 0
    assert "alice: 10 added, 0 replaced" in capsys.readouterr().out
    stored = _jsonl(dataset / "labels" / "alice.jsonl")
    assert len(stored) == 10 and all(r["annotator"] == "alice" for r in stored)
    assert not (dataset / "history.jsonl").exists()

    rows = _jsonl(filled)
    changed = [r for r in rows if r["content"]][:2]
    for r in changed:
        r["attribution"] = "editorial" if r["attribution"] == "attributed" else "attributed"
    assert main(["annotate", "import", str(_write_jsonl(tmp_path / "again.jsonl", rows)), "--into", str(dataset)]) == 0
    assert "alice: 0 added, 2 replaced" in capsys.readouterr().out
    history = _jsonl(dataset / "history.jsonl")
    assert len(history) == 2 and {h["label"]["sent_idx"] for h in history} == {r["sent_idx"] for r in changed}
    assert len(_jsonl(dataset / "labels" / "alice.jsonl")) == 10


def test_annotators_are_kept_side_by_side(corpus, tmp_path, model_dir):
    out, dataset = _export(corpus, tmp_path, model_dir, n=8)
    assert main(["annotate", "import", str(_filled_jsonl(out, tmp_path / "a.jsonl", annotator=None)), "--into", str(dataset),
                 "--annotator", "alice"]) == 0
    assert main(["annotate", "import", str(_filled_jsonl(out, tmp_path / "b.jsonl", annotator=None)), "--into", str(dataset),
                 "--annotator", "bob"]) == 0
    assert sorted(p.name for p in (dataset / "labels").iterdir()) == ["alice.jsonl", "bob.jsonl"]


def _break(kind: str, export: Path, tmp_path: Path) -> tuple[Path, str]:
    """A filled-in file with one bad row (the third), and the problem text the error must carry."""
    rows = _jsonl(_filled_jsonl(export, tmp_path / "filled.jsonl"))
    bad = rows[2]
    if kind == "unknown frame":
        bad.update(content=True, frames=["economic_anxiety"], attribution="editorial")
        expect = "unknown frame(s) ['economic_anxiety']"
    elif kind == "boilerplate with frames":
        bad.update(content=False, frames=["legal_controversy"], attribution=None)
        expect = "boilerplate takes no frames"
    elif kind == "content without voice":
        bad.update(content=True, frames=[], attribution=None)
        expect = "attribution: expected 'attributed' or 'editorial'"
    elif kind == "unknown sentence id":
        bad.update(id="never-exported:3", doc_id="never-exported", sent_idx=3)
        expect = "never-exported:3: unknown sentence id"
    elif kind == "article edited":
        bad["text"] = bad["text"] + " Updated."
        bad["text_sha256"] = text_sha256(bad["text"])
        expect = "text hash mismatch: the article was edited"
    elif kind == "text edited in the file":
        bad["text"] = bad["text"].upper()
        expect = "the text was edited in this file"
    elif kind == "no annotator":
        del bad["annotator"]
        expect = "no annotator for this row"
    elif kind == "other annotator":
        bad["annotator"] = "bob"
        expect = "the row names annotator 'bob' but --annotator is 'alice'"
    path = _write_jsonl(tmp_path / "bad.jsonl", rows)
    if kind == "malformed JSON":
        lines = path.read_text().splitlines()
        lines[2] = lines[2][:-5]
        path.write_text("\n".join(lines) + "\n")
        expect = "malformed JSON"
    return path, expect


@pytest.mark.parametrize("kind", ["unknown frame", "boilerplate with frames", "content without voice", "unknown sentence id",
                                  "article edited", "text edited in the file", "no annotator", "other annotator",
                                  "malformed JSON"])
def test_bad_import_row_exits_2_names_file_and_line_and_merges_nothing(corpus, tmp_path, model_dir, capsys, kind):
    out, dataset = _export(corpus, tmp_path, model_dir, n=6)
    path, expect = _break(kind, out, tmp_path)
    before = snapshot(dataset)
    extra = ["--annotator", "alice"] if kind == "other annotator" else []
    assert main(["annotate", "import", str(path), "--into", str(dataset), *extra]) == 2
    err = capsys.readouterr().err
    assert f"{path} line 3" in err and expect in err
    assert "nothing was merged" in err
    assert snapshot(dataset) == before


def test_import_reports_every_problem_in_every_file(corpus, tmp_path, model_dir, capsys):
    out, dataset = _export(corpus, tmp_path, model_dir, n=6, fmt="csv")
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows[1][6], rows[1][7] = "boilerplate", "legal_controversy"  # line 2: boilerplate with a frame
    rows[3][7] = "security_success;made_up"  # line 4: unknown frame
    rows[5][6], rows[5][8] = "content", ""  # line 6: content without voice
    bad_csv = tmp_path / "bad.csv"
    with bad_csv.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    ls = tmp_path / "ls.json"
    ls.write_text(json.dumps([{"id": 1, "data": {"id": "art0:0"}, "annotations": [{"result": [], "completed_by": 1}]}], indent=2))
    before = snapshot(dataset)
    assert main(["annotate", "import", str(bad_csv), str(ls), "--into", str(dataset), "--annotator", "alice"]) == 2
    err = capsys.readouterr().err
    assert "4 problem(s)" in err
    for where in (f"{bad_csv} line 2", f"{bad_csv} line 4", f"{bad_csv} line 6", f"{ls} line 2"):
        assert where in err
    assert snapshot(dataset) == before


def test_import_into_a_folder_that_is_not_a_dataset_exits_2(tmp_path, capsys):
    path = _write_jsonl(tmp_path / "x.jsonl", [{"doc_id": "a", "outlet": "O", "sent_idx": 0, "text": "t", "content": False,
                                                "frames": [], "attribution": None}])
    assert main(["annotate", "import", str(path), "--into", str(tmp_path / "nothing"), "--annotator", "a"]) == 2
    assert "not an annotation dataset" in capsys.readouterr().err
    assert not (tmp_path / "nothing").exists()


# ----------------------------------------------------------------------------- agreement
def test_krippendorff_alpha_matches_a_hand_computed_example():
    # units (one list of values per sentence; a missing label is left out):
    #   u1 a a a | u2 a a b | u3 b b b | u4 a b
    # coincidences o[c,k] = sum over units of ordered c-k pairs / (m_u - 1):
    #   u1: o_aa += 6/2 = 3;  u2: o_aa += 2/2, o_ab += 2/2, o_ba += 2/2;  u3: o_bb += 3;  u4: o_ab += 1, o_ba += 1
    #   o_aa = 4, o_ab = o_ba = 2, o_bb = 3;  n_a = 6, n_b = 5, n = 11
    # alpha = 1 - (n - 1) * (o_ab + o_ba) / (n_a n_b + n_b n_a) = 1 - 10 * 4 / 60 = 1/3
    units = [["a", "a", "a"], ["a", "a", "b"], ["b", "b", "b"], ["a", "b"]]
    assert krippendorff_alpha_nominal(units) == pytest.approx(1 / 3)


def test_krippendorff_alpha_matches_krippendorffs_published_nominal_example():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", 4 observers x 12 units, nominal alpha = 0.743
    observers = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    units = [[o[u] for o in observers if o[u] is not None] for u in range(12)]
    assert krippendorff_alpha_nominal(units) == pytest.approx(0.743, abs=5e-4)


def test_alpha_is_one_for_perfect_agreement_and_undefined_without_variation():
    assert krippendorff_alpha_nominal([["x", "x"], ["y", "y", "y"]]) == 1.0
    assert krippendorff_alpha_nominal([["x", "x"], ["x", "x"]]) is None
    assert krippendorff_alpha_nominal([["x"], ["y"]]) is None


def test_cohen_kappa_matches_a_hand_computed_example():
    # observed agreement 3/4; expected 1/2 * 1/4 + 1/2 * 3/4 = 1/2; kappa = (3/4 - 1/2) / (1 - 1/2) = 1/2
    assert cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]) == pytest.approx(0.5)


def _ls(i, content=True, frames=(), voice="editorial") -> LabeledSentence:
    return LabeledSentence("d", "O", i, f"s{i}", content, tuple(frames), voice if content else None)  # type: ignore[arg-type]


def test_frames_and_voice_agreement_only_counts_annotators_who_said_content():
    a = {"d:0": _ls(0, frames=["legal_controversy"]), "d:1": _ls(1, content=False)}
    b = {"d:0": _ls(0, frames=["legal_controversy"]), "d:1": _ls(1, frames=["legal_controversy"])}
    stats = {s.label: s for s in agreement_stats({"a": a, "b": b}, FRAMES)}
    assert stats["content"].n_sentences == 2 and stats["content"].percent_agreement == 0.5
    assert stats["legal_controversy"].n_sentences == 1 and stats["legal_controversy"].percent_agreement == 1.0


def test_gold_takes_the_majority_and_the_adjudicator_breaks_ties():
    three = {"a": _ls(0, voice="attributed"), "b": _ls(0, voice="attributed"), "c": _ls(0, voice="editorial")}
    assert gold_label(three, FRAMES, None)[0].attribution == "attributed"
    tie = {"a": _ls(0, voice="attributed"), "b": _ls(0, voice="editorial")}
    assert gold_label(tie, FRAMES, None) == (None, ["voice"])
    assert gold_label(tie, FRAMES, "b")[0].attribution == "editorial"
    boiler = {"a": _ls(0, content=False), "b": _ls(0, content=False), "c": _ls(0, frames=["legal_controversy"])}
    assert gold_label(boiler, FRAMES, None)[0] == _ls(0, content=False)


def test_agreement_lists_disagreements_and_writes_gold(corpus, tmp_path, model_dir, capsys):
    out, dataset = _export(corpus, tmp_path, model_dir, fmt="labelstudio", n=64)
    filled = fill_labelstudio(out, tmp_path / "ls-export.json", {"alice": lambda t, s: truth(t), "bob": bob})
    assert main(["annotate", "import", str(filled), "--into", str(dataset)]) == 0
    assert main(["annotate", "agreement", str(dataset)]) == 0
    text = capsys.readouterr().out
    disagreements = _jsonl(dataset / "disagreements.jsonl")
    assert {d["id"] for d in disagreements} == {f"art{d}:0" for d in range(8)}  # bob flips sentence 0's voice
    assert all(d["differ"] == ["voice"] for d in disagreements)
    assert "Cohen's kappa" in text and "left out of gold (ties" in text
    assert len(_jsonl(dataset / "gold.jsonl")) == 64 - 8
    assert main(["annotate", "agreement", str(dataset), "--adjudicator", "alice", "--model", model_dir]) == 0
    text = capsys.readouterr().out
    assert len(_jsonl(dataset / "gold.jsonl")) == 64 and "model vs gold kappa" in text
    content_line = next(line for line in text.splitlines() if line.startswith("content "))
    assert "1.000" in content_line  # the annotators agree on content everywhere


@pytest.mark.parametrize("case, where, message", [
    ("no labels", "dataset", "no current labels"),
    ("unknown adjudicator", "--adjudicator", "'carol' has no labels"),
    ("bad model", "", "no model here"),
    ("not a dataset", "elsewhere", "not an annotation dataset"),
])
def test_bad_agreement_exits_2_and_writes_no_gold(corpus, tmp_path, model_dir, capsys, case, where, message):
    out, dataset = _export(corpus, tmp_path, model_dir, n=6)
    if case != "no labels":
        assert main(["annotate", "import", str(_filled_jsonl(out, tmp_path / "a.jsonl")), "--into", str(dataset)]) == 0
    argv = ["annotate", "agreement", str(tmp_path / "elsewhere" if case == "not a dataset" else dataset)]
    argv += {"unknown adjudicator": ["--adjudicator", "carol"], "bad model": ["--model", str(tmp_path)]}.get(case, [])
    before = snapshot(dataset)
    assert main(argv) == 2
    place = where if where.startswith("--") else str(tmp_path / where) if where else str(tmp_path)
    assert f"framing: error: {place}: {message}" in capsys.readouterr().err
    assert snapshot(dataset) == before and not (dataset / "gold.jsonl").exists()
