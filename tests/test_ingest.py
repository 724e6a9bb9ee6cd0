"""Reading articles and pre-split sentences: formats, the metadata sidecar, ids, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from framing.errors import InputError
from framing.ingest import is_presplit, read_articles, read_sentences

SEEDS = Path(__file__).parents[1].parent / "shared" / "data" / "seeds"
EXAMPLES = Path(__file__).parents[1] / "examples" / "corpus"

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Planes landed anyway | The Bay Ledger</title>
<meta property="og:site_name" content="The Bay Ledger">
<meta property="og:title" content="Planes landed anyway">
<meta name="author" content="Ana Pereira">
<meta property="article:published_time" content="2025-03-16T10:00:00Z">
<link rel="canonical" href="https://bayledger.example/planes">
</head><body>
<div class="cookie-banner">We use cookies. Accept all cookies to continue.</div>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Planes landed anyway</h1>
<div class="share-bar">Share on Facebook Share on X</div>
<p>The first flight landed in El Salvador late on Saturday night, hours after the order.</p>
<p>A second plane followed before dawn, carrying men the government calls gang members.</p>
<p>Lawyers for the men said they would ask the court to enforce its order on Monday.</p>
</article>
<aside class="related"><h3>Related stories</h3><ul><li><a href="/x">Another story entirely</a></li></ul></aside>
<footer>Copyright 2025 The Bay Ledger. All rights reserved.</footer>
</body></html>
"""


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def jsonl(*objects: object) -> str:
    return "".join(json.dumps(o) + "\n" for o in objects)


# ---------------------------------------------------------------------------- formats


def test_txt_header_supplies_outlet_and_title(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "outlet: The Bay Ledger\ntitle: Planes landed\nurl: https://x.example/a\n"
                                    "date: 2025-03-16\n---\nPlanes landed\n\nThe flight landed.\n")
    [article] = read_articles(path)
    assert (article.outlet, article.title, article.url, article.date) == (
        "The Bay Ledger", "Planes landed", "https://x.example/a", "2025-03-16")
    assert article.text == "Planes landed\n\nThe flight landed."
    assert article.doc_id == "a" and article.source == str(path)


def test_txt_unknown_header_keys_go_to_meta(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "outlet: X\nLean: right\nByline Author: Sam Roe\n---\nBody.\n")
    [article] = read_articles(path)
    assert dict(article.meta) == {"lean": "right", "byline_author": "Sam Roe"}


@pytest.mark.parametrize("text", [
    "The flight landed.\nOfficials said so.\n",
    "The flight landed.\n---\nA second part of the story.\n",  # prose before '---' is not a header
    "\n".join(f"Line {i}." for i in range(25)) + "\noutlet: X\n---\nLate dashes.\n",  # past line 20
])
def test_txt_without_header_is_all_body(tmp_path: Path, text: str) -> None:
    write(tmp_path, "metadata.csv", "file,outlet\na.txt,Sidecar Outlet\n")
    [article] = read_articles(write(tmp_path, "a.txt", text))
    assert article.text == text.strip()
    assert article.outlet == "Sidecar Outlet"


def test_html_keeps_paragraphs_and_metadata_and_drops_page_furniture(tmp_path: Path) -> None:
    [article] = read_articles(write(tmp_path, "page.html", PAGE))
    lines = article.text.split("\n")
    assert "The first flight landed in El Salvador late on Saturday night, hours after the order." in lines
    assert "Lawyers for the men said they would ask the court to enforce its order on Monday." in lines
    for furniture in ("cookies", "Share on", "Related stories", "Another story", "Copyright", "Home"):
        assert furniture not in article.text
    assert article.outlet == "The Bay Ledger"
    assert article.title == "Planes landed anyway"
    assert article.date == "2025-03-16"
    assert article.url == "https://bayledger.example/planes"
    assert article.meta["author"] == "Ana Pereira"


def test_jsonl_rows_become_articles_with_line_numbered_ids(tmp_path: Path) -> None:
    path = write(tmp_path, "batch.jsonl", jsonl(
        {"text": "First story.", "outlet": "A", "doc_id": "given-1", "section": "world", "rank": 3},
        {"text": "Second story.", "outlet": "B", "title": "Two"},
    ).replace("\n", "\n\n", 1))  # a blank line: the second article is on line 3
    first, second = read_articles(path)
    assert (first.doc_id, first.source, dict(first.meta)) == ("given-1", f"{path}:1", {"section": "world", "rank": "3"})
    assert (second.doc_id, second.source, second.title) == ("batch-3", f"{path}:3", "Two")


def test_csv_quoted_multiline_text_and_extra_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "rows.csv", 'outlet,text,tags\nA,"Headline\nFirst line, with a comma.\n""Quoted,"" he said.",x;y\nB,Short one.,\n')
    first, second = read_articles(path)
    assert first.text == 'Headline\nFirst line, with a comma.\n"Quoted," he said.'
    assert (first.doc_id, first.source, dict(first.meta)) == ("rows-2", f"{path}:2", {"tags": "x;y"})
    assert (second.doc_id, second.source, second.outlet) == ("rows-5", f"{path}:5", "B")


def test_sidecar_metadata_supplies_missing_outlet(tmp_path: Path) -> None:
    write(tmp_path, "metadata.csv", "file,doc_id,outlet,url,date,note\n"
                                    "a.txt,seed-a,Sidecar Outlet,https://s.example/a,2025-03-17,a note\n")
    [article] = read_articles(write(tmp_path, "a.txt", "Body only.\n"))
    assert (article.doc_id, article.outlet, article.url, article.date) == (
        "seed-a", "Sidecar Outlet", "https://s.example/a", "2025-03-17")
    assert dict(article.meta) == {"note": "a note"}


def test_header_values_win_over_sidecar_but_sidecar_sets_doc_id(tmp_path: Path) -> None:
    write(tmp_path, "metadata.csv", "file,doc_id,outlet,date\na.txt,side-id,Sidecar Outlet,2025-01-01\n")
    [article] = read_articles(write(tmp_path, "a.txt", "outlet: Header Outlet\n---\nBody.\n"))
    assert (article.outlet, article.date, article.doc_id) == ("Header Outlet", "2025-01-01", "side-id")


def test_sidecar_outlet_covers_rows_of_a_csv_without_outlet_column(tmp_path: Path) -> None:
    write(tmp_path, "metadata.csv", "file,doc_id,outlet\nrows.csv,batch,Sidecar Outlet\n")
    path = write(tmp_path, "rows.csv", "text\nOne.\nTwo.\n")
    assert [(a.doc_id, a.outlet) for a in read_articles(path)] == [
        ("batch-2", "Sidecar Outlet"), ("batch-3", "Sidecar Outlet")]


def test_unquoted_comma_in_last_free_text_column_is_kept_in_it(tmp_path: Path) -> None:
    write(tmp_path, "metadata.csv", "file,outlet,note\na.txt,A,named in the text, twice\n")
    [article] = read_articles(write(tmp_path, "a.txt", "Body.\n"))
    assert article.meta["note"] == "named in the text, twice"


def test_derived_doc_id_is_sanitized(tmp_path: Path) -> None:
    [article] = read_articles(write(tmp_path, "My story: part 2 (final).txt", "outlet: A\n---\nBody.\n"))
    assert article.doc_id == "My-story-part-2-final"


def test_folder_is_read_recursively_in_path_order_skipping_readme_docs_hidden_and_sidecar(tmp_path: Path) -> None:
    for name in ("b.txt", "a.txt", "sub/c.txt"):
        write(tmp_path, name, f"outlet: X\n---\nStory {name}.\n")
    write(tmp_path, "README.txt", "not an article")
    write(tmp_path, "notes.md", "not an article")
    write(tmp_path, ".hidden.bin", b"\x00\x01")
    write(tmp_path, ".git/config", "[core]")
    write(tmp_path, "metadata.csv", "file,outlet\n")
    assert [a.doc_id for a in read_articles(tmp_path)] == ["a", "b", "c"]


def test_example_corpus_reads_all_formats_and_four_outlets() -> None:
    articles = read_articles(EXAMPLES)
    assert len(articles) == 12
    assert {a.outlet for a in articles} == {
        "The Harbor Times", "Liberty Daily Wire", "Open Justice Report", "Continental Wire"}
    suffixes = {Path(a.source.split(":")[0]).suffix for a in articles}
    assert suffixes == {".txt", ".html", ".jsonl", ".csv"}
    assert any("<script>alert(1)</script>" in a.text for a in articles)


# ---------------------------------------------------------------------------- bad input

# (files to write, path to read, file the error must name, line it must name, words in the problem)
BAD_INPUT = {
    "missing path": ({}, "nope", "nope", None, "no such file or folder"),
    "empty file": ({"a.txt": "  \n\n"}, "a.txt", "a.txt", None, "empty file"),
    "binary file": ({"a.txt": b"outlet: X\n---\nok\n\x00\x01"}, "a.txt", "a.txt", 4, "binary"),
    "not utf-8": ({"a.txt": "outlet: X\n---\n".encode() + "caf\u00e9".encode("cp1252")}, "a.txt", "a.txt", 3, "UTF-8"),
    "no outlet in txt": ({"a.txt": "Just a body.\n"}, "a.txt", "a.txt", None, "no outlet"),
    "no outlet in a jsonl row": ({"a.jsonl": jsonl({"text": "x", "outlet": "A"}, {"text": "y"})},
                                 "a.jsonl", "a.jsonl", 2, "no outlet"),
    "malformed jsonl": ({"a.jsonl": jsonl({"text": "x", "outlet": "A"}) + '{"text": "y", outlet\n'},
                        "a.jsonl", "a.jsonl", 2, "malformed JSON"),
    "jsonl line not an object": ({"a.jsonl": '["text"]\n'}, "a.jsonl", "a.jsonl", 1, "expected a JSON object"),
    "missing text": ({"a.jsonl": jsonl({"outlet": "A", "body": "x"})}, "a.jsonl", "a.jsonl", 1, "missing text"),
    "csv missing columns": ({"a.csv": "title,body\nT,B\n"}, "a.csv", "a.csv", 1, "missing column(s) ['text', 'outlet']"),
    "csv row with too many fields": ({"a.csv": "text,outlet,url\nx,A,u,extra\n"}, "a.csv", "a.csv", 2, "4 fields"),
    "duplicate doc_id across files": ({"a.txt": "outlet: A\ndoc_id: same\n---\nx\n",
                                       "b.jsonl": jsonl({"text": "y", "outlet": "B", "doc_id": "same"})},
                                      ".", "b.jsonl", 1, "already used by"),
    "doc_id with a colon": ({"a.jsonl": jsonl({"text": "y", "outlet": "B", "doc_id": "a:1"})},
                            "a.jsonl", "a.jsonl", 1, "may only use"),
    "presplit sentences read as articles": ({"s.jsonl": jsonl({"doc_id": "d", "outlet": "A", "sent_idx": 0, "text": "x"})},
                                            "s.jsonl", "s.jsonl", 1, "pre-split"),
    "unknown extension in folder": ({"a.txt": "outlet: A\n---\nx\n", "scan.pdf": b"%PDF"}, ".", "", None, "scan.pdf"),
    "unknown extension as a file": ({"a.docx": "x"}, "a.docx", "a.docx", None, "unknown file type"),
    "sidecar names a missing file": ({"a.txt": "x\n", "metadata.csv": "file,outlet\na.txt,A\ngone.txt,B\n"},
                                     ".", "metadata.csv", 3, "gone.txt"),
    "sidecar without outlet column": ({"a.txt": "x\n", "metadata.csv": "file,source\na.txt,A\n"},
                                      ".", "metadata.csv", 1, "missing column(s) ['outlet']"),
    "sidecar doc_id disagrees with header": ({"a.txt": "outlet: A\ndoc_id: mine\n---\nx\n",
                                              "metadata.csv": "file,doc_id,outlet\na.txt,theirs,A\n"},
                                             "a.txt", "a.txt", None, "disagrees"),
    "sidecar passed as the input": ({"metadata.csv": "file,outlet\n"}, "metadata.csv", "metadata.csv", None, "describes articles"),
    "empty folder": ({"README.md": "docs only"}, ".", "", None, "no article files"),
    "header with no body": ({"a.txt": "outlet: A\n---\n\n"}, "a.txt", "a.txt", 3, "no article text"),
}


@pytest.mark.parametrize("files, target, named, line, problem", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_names_file_and_line(tmp_path: Path, files: dict[str, str | bytes], target: str,
                                       named: str, line: int | None, problem: str) -> None:
    for name, content in files.items():
        write(tmp_path, name, content)
    with pytest.raises(InputError) as caught:
        read_articles(tmp_path / target)
    error = caught.value
    assert error.where == str(tmp_path / named) if named else error.where == str(tmp_path)
    assert error.line == line
    place = f"{error.where} line {line}" if line is not None else error.where
    assert str(error).startswith(f"{place}: ")
    assert problem in str(error)


def test_sidecar_problem_message_says_how_to_fix(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "Body only.\n")
    with pytest.raises(InputError) as caught:
        read_articles(tmp_path)
    assert caught.value.fix is not None and "metadata.csv" in caught.value.fix


# ---------------------------------------------------------------------------- pre-split sentences


def test_read_sentences_keeps_input_order_and_ignores_extra_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "s.jsonl", jsonl(
        {"doc_id": "d2", "outlet": "A", "sent_idx": 1, "text": " Second. ", "content": True},
        {"doc_id": "d2", "outlet": "A", "sent_idx": 0, "text": "First."},
        {"doc_id": "d1", "outlet": "B", "sent_idx": 0, "text": "Other."},
    ))
    assert [(s.id, s.text) for s in read_sentences(path)] == [("d2:1", "Second."), ("d2:0", "First."), ("d1:0", "Other.")]


BAD_SENTENCES = {
    "missing key": ({"doc_id": "d", "outlet": "A", "text": "x"}, "missing key(s) ['sent_idx']"),
    "negative sent_idx": ({"doc_id": "d", "outlet": "A", "sent_idx": -1, "text": "x"}, "sent_idx"),
    "boolean sent_idx": ({"doc_id": "d", "outlet": "A", "sent_idx": True, "text": "x"}, "sent_idx"),
    "colon in doc_id": ({"doc_id": "d:1", "outlet": "A", "sent_idx": 0, "text": "x"}, "doc_id"),
    "empty outlet": ({"doc_id": "d", "outlet": " ", "sent_idx": 0, "text": "x"}, "outlet"),
    "empty text": ({"doc_id": "d", "outlet": "A", "sent_idx": 0, "text": ""}, "text"),
    "repeated id": ({"doc_id": "ok", "outlet": "A", "sent_idx": 0, "text": "again"}, "already appears on line 1"),
}


@pytest.mark.parametrize("obj, problem", BAD_SENTENCES.values(), ids=BAD_SENTENCES.keys())
def test_read_sentences_rejects_bad_line_naming_it(tmp_path: Path, obj: dict[str, object], problem: str) -> None:
    path = write(tmp_path, "s.jsonl", jsonl({"doc_id": "ok", "outlet": "A", "sent_idx": 0, "text": "fine"}, obj))
    with pytest.raises(InputError) as caught:
        read_sentences(path)
    assert str(caught.value).startswith(f"{path} line 2: ")
    assert problem in str(caught.value)


@pytest.mark.parametrize("name, content, expected", [
    ("s.jsonl", "\n" + jsonl({"doc_id": "d", "outlet": "A", "sent_idx": 0, "text": "x"}), True),
    ("a.jsonl", jsonl({"text": "x", "outlet": "A"}), False),
    ("s.txt", jsonl({"doc_id": "d", "outlet": "A", "sent_idx": 0, "text": "x"}), False),
    ("bad.jsonl", "{not json\n", False),
])
def test_is_presplit_detects_sentence_jsonl(tmp_path: Path, name: str, content: str, expected: bool) -> None:
    assert is_presplit(write(tmp_path, name, content)) is expected


def test_is_presplit_is_false_for_a_folder(tmp_path: Path) -> None:
    assert is_presplit(tmp_path) is False


# ---------------------------------------------------------------------------- the real seeds


def test_all_five_seeds_ingest_with_outlets_from_sidecar() -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"../shared/data not present: {SEEDS} holds the real seed articles")
    articles = read_articles(SEEDS)
    assert [(a.doc_id, a.outlet) for a in articles] == [
        ("seed-000", "Outlet A"), ("seed-001", "LifeZette"), ("seed-002", "Breezy Scroll"),
        ("seed-003", "Outlet D"), ("seed-004", "Voz"),
    ]
    assert all(len(a.text) > 1000 and a.meta.get("note") for a in articles)
