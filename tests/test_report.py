"""The report writer: files, escaping of hostile text, self-containment, atomic writes, figures."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from framing import report
from framing.aggregate import Summary, summarize
from framing.errors import InputError
from framing.figures import divergence_figure, frame_shares_figure, voice_figure
from framing.types import TaggedSentence

FRAMES = ("economy", "morality")  # a custom two-frame set; the codebook's frames must not appear
SETTINGS = {"n_boot": 200, "n_perm": 200, "seed": 7}
HOSTILE = "<script>alert(1)</script> said the mayor"
FILES = ["index.html", "report.md", "summary.json", "tables/outlets.csv", "tables/frame_shares.csv",
         "tables/voice.csv", "tables/tests.csv", "tables/divergence.csv", "tables/evidence.csv"]


def tagged_fixture() -> list[TaggedSentence]:
    out = []
    outlets = ["Daily <b>Bold</b>", "Herald & Post", "Tiny"]
    for a in range(9):
        outlet = outlets[a % 3] if a < 8 else "Tiny"
        for i in range(6):
            frames = tuple(f for j, f in enumerate(FRAMES) if (a + i + j) % 3 == 0)
            text, scores = f"Sentence {i}.", {"economy": 0.5 + i / 20, "morality": 0.4 + a / 40}
            if (a, i) in ((0, 1), (1, 1)):  # hostile text, made top evidence for every frame
                text, frames, scores = HOSTILE if a == 0 else "=HYPERLINK(\"x\")", FRAMES, {f: 0.99 for f in FRAMES}
            content = i != 5
            out.append(TaggedSentence(
                f"doc{a}", outlet, i, text, content, 0.9 if content else 0.2, frames if content else (),
                scores, ("editorial" if i % 2 else "attributed") if content else None, 0.3, "test-model"))
    return out


def one_article_fixture() -> list[TaggedSentence]:
    """Two outlets with one article each: A mostly economy, B hardly; morality in both alike."""
    return [TaggedSentence(f"{o.lower()}1", o, i, f"{o} sentence {i}.", True, 0.9,
                           tuple(f for f, hit in (("economy", i < n_economy), ("morality", i % 4 == 0)) if hit),
                           {"economy": 0.8, "morality": 0.7}, "editorial" if i % 3 else "attributed", 0.3, "m")
            for o, n_economy in (("A", 16), ("B", 2)) for i in range(20)]


def write(out_dir: Path, tagged: list[TaggedSentence] | None = None, **overrides) -> Path:
    kwargs = dict(title="Framing <test> report", model_id="tiny-model", model_hash="f" * 64,
                  inputs={"data/articles.jsonl": "a" * 64}, package_version="9.9.9",
                  generated_at=datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc), **SETTINGS)
    kwargs.update(overrides)
    return report.write_report(tagged_fixture() if tagged is None else tagged, FRAMES, out_dir, **kwargs)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    return write(tmp_path_factory.mktemp("r") / "report")


@pytest.fixture
def no_figures(monkeypatch):
    """Skip PNG rendering where a test only checks the writing (keeps the suite fast)."""
    monkeypatch.setattr(report, "figure_png", lambda fig: b"\x89PNG fake")


def test_output_folder_holds_every_listed_file(written):
    assert written.is_dir()
    for name in FILES + ["figures/frame_shares.png", "figures/voice.png", "figures/divergence.png"]:
        assert (written / name).is_file() and (written / name).stat().st_size > 0, name


def test_article_text_and_outlet_names_are_escaped_in_html(written):
    page = (written / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; said the mayor" in page
    assert "<script" not in page.lower()
    assert "Daily &lt;b&gt;Bold&lt;/b&gt;" in page and "<b>Bold</b>" not in page
    assert "Herald &amp; Post" in page and "Framing &lt;test&gt; report" in page


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.refs += [v or "" for k, v in attrs if k in ("src", "href", "srcset", "action", "data")]
        if tag in ("script", "link", "iframe", "object", "embed"):
            self.refs.append(f"<{tag}>")


def test_html_is_self_contained(written):
    page = (written / "index.html").read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page and "url(" not in page
    parser = _Links()
    parser.feed(page)
    assert parser.refs and all(r.startswith("data:image/png;base64,") for r in parser.refs)
    assert page.count("data:image/png;base64,") == 3


def test_html_has_the_sections_and_methods_footer(written):
    page = (written / "index.html").read_text(encoding="utf-8")
    for needle in ["How to read this", "Frame shares", "states in own voice", "only quotes", "BH q",
                   "Cramér&#x27;s V", "Evidence", "Methods", "tiny-model", "f" * 64, "9.9.9",
                   "data/articles.jsonl", "a" * 64, "2025-03-01T12:00:00Z", "200 resamples", "200 permutations",
                   "<th>seed</th><td>7</td>", "Definitions", "fewer than 30 content sentences"]:
        assert needle in page, needle


def test_frame_names_come_from_the_argument(written):
    page = (written / "index.html").read_text(encoding="utf-8")
    assert "economy" in page and "morality" in page
    for codebook_frame in ("security_success", "legal_controversy", "human_rights_concern"):
        assert codebook_frame not in page
    with open(written / "tables" / "frame_shares.csv", encoding="utf-8") as fh:
        assert {row["frame"] for row in csv.DictReader(fh)} == set(FRAMES)


def test_summary_json_round_trips(written):
    data = json.loads((written / "summary.json").read_text(encoding="utf-8"))
    assert data["format"] == report.FORMAT and data["provenance"]["model_hash"] == "f" * 64
    assert Summary.from_dict(data["summary"]) == summarize(tagged_fixture(), FRAMES, **SETTINGS)


def test_csv_tables_match_the_summary_and_defuse_formulas(written):
    summary = summarize(tagged_fixture(), FRAMES, **SETTINGS)
    with open(written / "tables" / "frame_shares.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(summary.shares)
    assert float(rows[0]["share"]) == summary.shares[0].share
    with open(written / "tables" / "evidence.csv", encoding="utf-8") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)]
    assert "'=HYPERLINK(\"x\")" in texts and not any(t.startswith("=") for t in texts)
    assert HOSTILE in texts  # CSV keeps the text; escaping is for HTML and Markdown


def test_markdown_escapes_hostile_text(written):
    md = (written / "report.md").read_text(encoding="utf-8")
    assert "<script" not in md and "&lt;script&gt;" in md and "<b>" not in md
    assert "figures/frame_shares.png" in md


def test_failed_write_leaves_no_partial_out_dir(tmp_path, monkeypatch, no_figures):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(report, "render_html", broken)
    with pytest.raises(OSError, match="disk full"):
        write(tmp_path / "report")
    assert list(tmp_path.iterdir()) == []


def test_failed_rewrite_keeps_the_previous_report(tmp_path, monkeypatch, no_figures):
    out = write(tmp_path / "report", title="first")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr(report, "render_markdown", lambda *a: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(OSError):
        write(tmp_path / "report", title="second")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_rewrite_replaces_the_previous_report(tmp_path, no_figures):
    write(tmp_path / "report", title="first")
    (tmp_path / "report" / "stale.txt").write_text("old")
    out = write(tmp_path / "report", title="second")
    assert "second" in (out / "index.html").read_text(encoding="utf-8")
    assert not (out / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_refuses_to_replace_a_folder_that_is_not_a_report(tmp_path, no_figures):
    (tmp_path / "thesis").mkdir()
    (tmp_path / "thesis" / "chapter1.tex").write_text("precious")
    with pytest.raises(InputError, match="does not hold an earlier report"):
        write(tmp_path / "thesis")
    assert (tmp_path / "thesis" / "chapter1.tex").read_text() == "precious"


def test_empty_existing_folder_is_used(tmp_path, no_figures):
    (tmp_path / "report").mkdir()
    assert (write(tmp_path / "report") / "index.html").is_file()


@pytest.mark.parametrize("draw", [frame_shares_figure, voice_figure, divergence_figure])
def test_figures_return_a_figure_and_draw_with_missing_data(draw):
    # outlet "Empty" has only boilerplate: no shares, no profile
    tagged = tagged_fixture() + [TaggedSentence("e0", "Empty", 0, "Ad", False, 0.1, (), {}, None, 0.0, "m")]
    fig = draw(summarize(tagged, FRAMES, **SETTINGS))
    assert isinstance(fig, Figure)
    fig.canvas.draw()
    titles = " ".join([fig.get_suptitle()] + [ax.get_title(loc="left") + ax.get_title() for ax in fig.axes])
    titles = " ".join(titles.split())  # titles wrap to the figure's width
    assert titles.strip()
    if draw is not divergence_figure:
        assert "bootstrap intervals over articles" in titles


def test_one_article_per_outlet_report_marks_sentence_level_numbers(tmp_path, no_figures):
    out = write(tmp_path / "report", tagged=one_article_fixture())
    summary = Summary.from_dict(json.loads((out / "summary.json").read_text(encoding="utf-8"))["summary"])
    tables = report.display_tables(summary)
    share_cells = [c for row in tables["shares"][1] for c in row[2:]]
    assert share_cells and all(c.endswith("‡") for c in share_cells) and not any("†" in c for c in share_cells)
    header, rows = tables["tests"]
    economy = dict(zip(header, rows[0]))
    assert economy["permutation p (articles)"] == report.NOT_TESTABLE
    assert "(chi-square, df 1)" in economy["p over sentences"] and float(economy["BH q"]) < 0.001
    assert summary.tests[0].p_perm is None and summary.tests[0].q_bh is not None
    page = (out / "index.html").read_text(encoding="utf-8")
    md = (out / "report.md").read_text(encoding="utf-8")
    for text in (page, md):
        assert "How to read this" in text and "Wilson score interval over its sentences" in text
        assert "Here every outlet has a single article" in text and "not testable over articles" in text


def test_multi_article_report_keeps_article_methods_and_explains_the_fallbacks_in_methods(written):
    summary = summarize(tagged_fixture(), FRAMES, **SETTINGS)
    tables = report.display_tables(summary)
    cells = [c for name in ("shares", "voice", "tests") for row in tables[name][1] for c in row]
    assert not any("‡" in c or report.NOT_TESTABLE in c for c in cells)
    assert all(t.q_from == "permutation over articles" for t in summary.tests if t.q_bh is not None)
    page = (written / "index.html").read_text(encoding="utf-8")
    how_to = page[page.index("How to read this"):page.index("</div>")]
    assert "Wilson" not in how_to and "single article" not in how_to
    footer = page[page.index("<footer>"):]
    assert "one-article intervals (‡)" in footer and "permutations of outlet labels across sentences" in footer
    md_methods = (written / "report.md").read_text(encoding="utf-8").split("## Methods")[1]
    assert "Wilson score interval" in md_methods and "across sentences" in md_methods


@pytest.mark.parametrize("draw", [frame_shares_figure, voice_figure])
def test_figures_mark_wilson_intervals_as_sentence_level(draw):
    fig = draw(summarize(one_article_fixture(), FRAMES, **SETTINGS))
    fig.canvas.draw()
    titles = " ".join(" ".join([fig.get_suptitle()] + [ax.get_title(loc="left") for ax in fig.axes]).split())
    assert "Wilson intervals over sentences" in titles and "too narrow" in titles
    assert "bootstrap intervals over articles" not in titles
    assert any("‡" in t.get_text() for ax in fig.axes for t in ax.texts)
