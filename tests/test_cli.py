"""The CLI workflows end to end on a tiny model: tag, report, and bad input (exit 2, no output)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from framing.cli import main
from framing.pipeline import TAG_FIELDS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "corpus"


@pytest.fixture(scope="module")
def model_dir(tiny_tagger, tmp_path_factory) -> str:
    return str(tiny_tagger.save(tmp_path_factory.mktemp("m") / "model"))


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_tag_presplit_jsonl_returns_one_line_per_sentence_in_order(model_dir, tmp_path):
    src = tmp_path / "sentences.jsonl"
    rows = [{"doc_id": f"d{d}", "outlet": "O", "sent_idx": i, "text": f"Sentence {i} of {d}."}
            for d in range(3) for i in (2, 0, 1)]  # sent_idx order differs from line order
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "tags.jsonl"
    assert main(["tag", str(src), "--out", str(out), "--model", model_dir]) == 0
    tagged = _read(out)
    assert [(t["doc_id"], t["sent_idx"], t["text"]) for t in tagged] == [(r["doc_id"], r["sent_idx"], r["text"]) for r in rows]
    for t in tagged:
        assert tuple(t) == TAG_FIELDS
        assert set(t["frame_scores"]) == {"security_success", "legal_controversy", "human_rights_concern"}
        assert t["model"].startswith("framing-minilm@")
        assert (t["attribution"] is None) == (not t["content"])


def test_tag_articles_folder_gives_every_sentence_an_id(model_dir, tmp_path):
    out = tmp_path / "tags.jsonl"
    assert main(["tag", str(EXAMPLES), "--out", str(out), "--model", model_dir]) == 0
    tagged = _read(out)
    ids = [f"{t['doc_id']}:{t['sent_idx']}" for t in tagged]
    assert len(ids) == len(set(ids)) > 100
    assert len({t["outlet"] for t in tagged}) >= 4


def test_report_from_articles_writes_every_file_and_escapes_text(model_dir, tmp_path):
    out = tmp_path / "report"
    assert main(["report", str(EXAMPLES), "--out", str(out), "--model", model_dir, "--title", "Example"]) == 0
    for name in ("index.html", "report.md", "summary.json", "tables/outlets.csv"):
        assert (out / name).is_file(), name
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html  # the example corpus carries it as text
    assert "<script" not in html.lower()
    assert "framing-minilm@" in html


def test_report_accepts_an_existing_tag_output(model_dir, tmp_path):
    tags = tmp_path / "tags.jsonl"
    assert main(["tag", str(EXAMPLES), "--out", str(tags), "--model", model_dir]) == 0
    out = tmp_path / "report"
    assert main(["report", str(tags), "--out", str(out)]) == 0
    assert (out / "index.html").is_file()


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / "in" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


BAD_INPUTS = {
    "empty file": ("a.txt", "", "empty"),
    "binary file": ("a.txt", b"\x00\x01\x02binary", "binary"),
    "not utf-8": ("a.txt", "outlet: X\n---\ncaf\xe9".encode("latin-1"), "UTF-8"),
    "no outlet": ("a.txt", "Just a body with no header.\n", "outlet"),
    "malformed jsonl": ("a.jsonl", '{"text": "ok", "outlet": "X"}\n{"text": broken\n', "line 2"),
    "unknown format": ("a.docx", "whatever", ".docx"),
    "csv without text column": ("a.csv", "outlet,title\nX,Y\n", "text"),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
@pytest.mark.parametrize("command", ["tag", "report"])
def test_bad_input_exits_2_names_the_file_and_writes_nothing(case, command, model_dir, tmp_path, capsys):
    name, data, expected = BAD_INPUTS[case]
    path = _write(tmp_path, name, data)
    out = tmp_path / ("out.jsonl" if command == "tag" else "out")
    assert main([command, str(path.parent), "--out", str(out), "--model", model_dir]) == 2
    err = capsys.readouterr().err
    assert name in err and expected in err
    assert "Traceback" not in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_duplicate_doc_ids_across_files_exit_2(model_dir, tmp_path, capsys):
    _write(tmp_path, "a.txt", "outlet: X\ndoc_id: same\n---\nOne sentence.\n")
    _write(tmp_path, "b.txt", "outlet: Y\ndoc_id: same\n---\nAnother sentence.\n")
    assert main(["tag", str(tmp_path / "in"), "--out", str(tmp_path / "o.jsonl"), "--model", model_dir]) == 2
    assert "same" in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()


def test_missing_model_folder_exits_2(tmp_path, capsys):
    src = _write(tmp_path, "a.txt", "outlet: X\n---\nOne sentence.\n")
    assert main(["tag", str(src), "--out", str(tmp_path / "o.jsonl"), "--model", str(tmp_path / "nope")]) == 2
    assert "no model here" in capsys.readouterr().err


def test_missing_input_path_exits_2(model_dir, tmp_path, capsys):
    assert main(["tag", str(tmp_path / "absent"), "--out", str(tmp_path / "o.jsonl"), "--model", model_dir]) == 2
    assert "absent" in capsys.readouterr().err
