"""Write the per-outlet framing report: one self-contained HTML file, Markdown, CSV tables, JSON.

The only stage here that touches disk. Article text and outlet names are scraped, hostile
input: every string from the data is ``html.escape``d before it enters HTML or Markdown, and
CSV cells that a spreadsheet would run as formulas are defused. The folder is built beside
``out_dir`` and renamed into place when complete, so a failure never leaves half a report.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
import shutil
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from matplotlib.figure import Figure

from framing.aggregate import (BOOTSTRAP, DEFINITIONS, N_EVIDENCE, WILSON, FrameTest, IntervalMethod, Summary,
                               summarize)
from framing.errors import InputError
from framing.figures import divergence_figure, frame_shares_figure, voice_figure
from framing.types import TaggedSentence

FORMAT = "framing-report/2"  # 2: interval methods (ci_method) and sentence-level test fallback
FIGURES: dict[str, Callable[[Summary], Figure]] = {
    "frame_shares": frame_shares_figure, "voice": voice_figure, "divergence": divergence_figure,
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_NOTE = ("CSV text cells that begin with = + - @ or a tab get a leading apostrophe so spreadsheets "
            "show them instead of running them as formulas; summary.json keeps the raw text.")
Table = tuple[list[str], list[list[str]]]  # header, rows of display strings
NOT_TESTABLE = "not testable over articles (one article per outlet)"  # the permutation p when it cannot vary


@dataclass(frozen=True)
class Provenance:
    """Where the numbers came from: printed in the methods footer and saved in summary.json."""

    title: str
    model_id: str
    model_hash: str
    package_version: str
    inputs: Mapping[str, str]  # input file -> sha256
    generated_at: str  # ISO 8601, UTC

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "inputs": dict(self.inputs)}


# ---------------------------------------------------------------- numbers as text

def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _ci(low: float | None, high: float | None) -> str:
    return "–" if low is None or high is None else f"[{100 * low:.1f}, {100 * high:.1f}]"


def _num(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _p(x: float | None) -> str:
    return "–" if x is None else f"{x:.1e}" if x < 0.001 else f"{x:.3f}"


def _mark(method: IntervalMethod | None) -> str:
    """‡ after an interval over sentences (one article), which is too narrow."""
    return " ‡" if method == WILSON else ""


def _interval_methods(summary: Summary) -> set[IntervalMethod | None]:
    return {r.ci_method for r in summary.shares} | {v.ci_method for v in summary.voice}


def _uses_wilson(summary: Summary) -> bool:
    return WILSON in _interval_methods(summary)


def _sentence_tests(summary: Summary) -> bool:
    """Whether the tests fell back to sentences (every outlet has one article)."""
    return any(t.q_from is not None and t.q_from != "permutation over articles" for t in summary.tests)


def _interval_legend(summary: Summary) -> str:
    """What the bracketed intervals are, naming only the methods the tables use."""
    level = f"{summary.settings.ci_level:.0%}"
    legend = []
    if BOOTSTRAP in _interval_methods(summary) or not _uses_wilson(summary):
        legend.append(f"{level} percentile bootstrap intervals over articles")
    if _uses_wilson(summary):
        legend.append(f"‡ = {level} Wilson score interval over sentences, for an outlet with one article "
                      "(sentences treated as independent, so too narrow)")
    return "; ".join(legend)


def _sentence_p(t: FrameTest) -> str:
    if t.chi2_p is not None:
        return f"{_p(t.chi2_p)} (chi-square, df {t.chi2_dof})"
    return "–" if t.p_perm_sentences is None else f"{_p(t.p_perm_sentences)} (permutation)"


def display_tables(summary: Summary) -> dict[str, Table]:
    """The report's tables as display strings, shared by the HTML and the Markdown."""
    overview = (["outlet", "articles", "articles with content", "sentences", "content sentences",
                 "boilerplate share", "caveat"],
                [[o.outlet, str(o.n_articles), str(o.n_articles_content), str(o.n_sentences), str(o.n_content),
                  _pct(o.boilerplate_share), "; ".join(o.caveats)] for o in summary.outlet_stats])
    shares = (["outlet", "content sentences"] + [f"{f} (95% CI)" for f in summary.frames],
              [[o, str(summary.outlet(o).n_content)]
               + [f"{_pct(s.share)} {_ci(s.ci_low, s.ci_high)}{_mark(s.ci_method)}"
                  for s in (summary.share(o, f) for f in summary.frames)] for o in summary.outlets])
    voice = (["outlet", "frame", "sentences with frame", "states in own voice (editorial)",
              "only quotes (attributed)", "editorial share (95% CI)", "reading"],
             [[v.outlet, v.frame, str(v.n_frame), str(v.n_editorial), str(v.n_attributed),
               "–" if v.editorial_share is None else
               f"{_pct(v.editorial_share)} {_ci(v.ci_low, v.ci_high)}{_mark(v.ci_method)}",
               v.reading + _mark(v.ci_method)] for v in summary.voice])
    tests = (["frame", "sentences with frame", "chi-square statistic", "permutation p (articles)",
              "p over sentences", "BH q", "Cramér's V", "method", "note"],
             [[t.frame, str(t.n_frame), _num(t.statistic, 2),
               NOT_TESTABLE if t.q_from is not None and t.p_perm is None else _p(t.p_perm),
               _sentence_p(t), _p(t.q_bh), _num(t.cramers_v), t.method, t.note]
              for t in summary.tests])
    div = summary.divergence
    profiles = (["outlet", *div.categories],
                [[o] + ([_pct(x) for x in p] if p is not None else ["–"] * len(div.categories))
                 for o, p in zip(div.outlets, div.profiles)])
    return {"overview": overview, "shares": shares, "voice": voice, "tests": tests, "profiles": profiles}


def csv_tables(summary: Summary) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """The tables/*.csv files: full precision, one row per record, empty cell for undefined."""
    def rows(records: Sequence[Any], skip: tuple[str, ...] = ()) -> tuple[list[str], list[list[Any]]]:
        dicts = [{k: v for k, v in asdict(r).items() if k not in skip} for r in records]
        header = list(dicts[0]) if dicts else []
        return header, [[("; ".join(v) if isinstance(v, tuple) else v) for v in d.values()] for d in dicts]

    div = summary.divergence
    pairs = [[a, b, div.jsd[i][j]] for i, a in enumerate(div.outlets) for j, b in enumerate(div.outlets) if i < j]
    return {
        "outlets.csv": rows(summary.outlet_stats), "frame_shares.csv": rows(summary.shares),
        "voice.csv": rows(summary.voice), "tests.csv": rows(summary.tests),
        "divergence.csv": (["outlet_a", "outlet_b", "js_divergence"], pairs),
        "evidence.csv": rows(summary.evidence),
    }


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


# ---------------------------------------------------------------- HTML

_e = html.escape

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1a1a1a;
max-width:1150px;margin:2rem auto;padding:0 1.2rem;line-height:1.5}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{margin-top:2.4rem;border-bottom:1px solid #ccc;padding-bottom:.2rem}
.meta{color:#555}.howto,.caveats{background:#f4f7fb;border-left:4px solid #0072B2;padding:.6rem 1rem}
.caveats{background:#fff6e5;border-color:#E69F00}
table{border-collapse:collapse;margin:.8rem 0;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr:nth-child(even) td{background:#fafafa}img{max-width:100%;height:auto}
blockquote{margin:.3rem 0 .8rem;padding:.2rem .8rem;border-left:3px solid #bbb}
.small{font-size:.85rem;color:#555}code{font-size:.85rem;word-break:break-all}
footer{margin-top:3rem;border-top:2px solid #999;font-size:.9rem}
"""

_TEXT_COLUMNS = {"outlet", "frame", "caveat", "method", "note", "reading"}


def _html_table(table: Table) -> str:
    header, rows = table
    numeric = [h not in _TEXT_COLUMNS for h in header]
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    # a numeric column's words (e.g. "not testable ...") wrap like text
    body = "".join("<tr>" + "".join(f'<td class="n">{_e(c)}</td>' if num and not c[:1].isalpha()
                                    else f"<td>{_e(c)}</td>"
                                    for c, num in zip(row, numeric)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(png: bytes, alt: str) -> str:
    return f'<p><img alt="{_e(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}"></p>'


def _how_to_read(summary: Summary) -> str:
    """The plain-words paragraph above the tables; *stars* mark emphasis (HTML <em>, Markdown as is)."""
    s = summary.settings
    text = ("Every number counts what the tagging model found in the outlets' sentences; the intervals reflect "
            "which articles happened to be collected, not the model's tagging errors. Boilerplate (ads, "
            "navigation, teasers for other stories) is counted but excluded from every share. A *frame share* "
            "is the percentage of an outlet's content sentences carrying the frame; a sentence may carry several "
            f"frames. Intervals in brackets are {s.ci_level:.0%} percentile bootstrap intervals that resample "
            f"whole articles ({s.n_boot} resamples), because sentences of one article are not independent.")
    if _uses_wilson(summary):
        text += (" An outlet with a single article has no articles to resample: its interval, marked ‡, is a "
                 f"{s.ci_level:.0%} Wilson score interval over its sentences, which treats them as independent and is "
                 "therefore too narrow (likewise in the voice table for a frame found in only one article).")
    text += (" The voice table splits each frame's sentences into those the outlet *states in its own voice* "
             "(editorial: it adopts the frame) and those it *only quotes* (attributed: it reports others using "
             "it). The tests ask whether outlets differ in a frame's share; q is the Benjamini-Hochberg adjusted "
             "p across frames.")
    if _sentence_tests(summary):
        text += (" Here every outlet has a single article, so no shuffling of outlet labels across articles can "
                 "change anything and that test is not reported; p comes instead from a test over sentences "
                 "(chi-square, or a permutation of sentences where counts are small), which treats sentences as "
                 "independent, so p and q are too small: read them as a screen, not as proof of a difference.")
    return text + (" Outlets marked with a caveat have too few content sentences or articles for their intervals "
                   "to mean much.")


def _em(text: str) -> str:
    return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", _e(text))


def _fallback_methods(summary: Summary) -> dict[str, str]:
    """The methods footer's lines on the two fallbacks to sentences; shown in every report."""
    s = summary.settings
    return {
        "one-article intervals (‡)": f"{s.ci_level:.0%} Wilson score interval over the outlet's content sentences (for the "
        "editorial share: over the frame's sentences, when one article carries the frame); sentences are "
        "treated as independent, so the interval is too narrow",
        "one article per outlet": "the permutation over articles cannot test anything and is not reported; "
        "the p that enters Benjamini-Hochberg is over sentences: the chi-square test where every expected "
        f"count is >= 5, else {s.n_perm} permutations of outlet labels across sentences; sentences are treated "
        "as independent, so p is too small",
    }


def render_html(summary: Summary, provenance: Provenance, figures: Mapping[str, bytes]) -> str:
    """index.html as one string: inline CSS, figures as base64 PNG, no external resource."""
    t = display_tables(summary)
    s = summary.settings
    n_art = sum(o.n_articles for o in summary.outlet_stats)
    n_sent = sum(o.n_sentences for o in summary.outlet_stats)
    flagged = [o for o in summary.outlet_stats if o.caveats]
    caveat_list = "".join(f"<li>{_e(o.outlet)}: {_e('; '.join(o.caveats))}</li>" for o in flagged)
    evidence = []
    for outlet in summary.outlets:
        blocks = []
        for frame in summary.frames:
            items = [ev for ev in summary.evidence if ev.outlet == outlet and ev.frame == frame]
            quotes = "".join(f"<blockquote>{_e(ev.text)}<br><span class=\"small\">score {ev.score:.3f} · "
                             f"{_e(str(ev.voice))} · <code>{_e(ev.sentence_id)}</code></span></blockquote>"
                             for ev in items) or '<p class="small">no sentence carries this frame</p>'
            blocks.append(f"<h4>{_e(frame)}</h4>{quotes}")
        evidence.append(f"<details open><summary><strong>{_e(outlet)}</strong></summary>{''.join(blocks)}</details>")
    inputs = "".join(f"<tr><td>{_e(name)}</td><td><code>{_e(sha)}</code></td></tr>"
                     for name, sha in sorted(provenance.inputs.items()))
    definitions = "".join(f"<dt><strong>{_e(k)}</strong></dt><dd>{_e(v)}</dd>" for k, v in DEFINITIONS.items())
    fallbacks = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in _fallback_methods(summary).items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(provenance.title)}</title><style>{CSS}</style></head><body>
<h1>{_e(provenance.title)}</h1>
<p class="meta">{len(summary.outlets)} outlets · {n_art} articles · {n_sent} sentences ·
model <code>{_e(provenance.model_id)}</code> · generated {_e(provenance.generated_at)}</p>
<div class="howto"><p><strong>How to read this.</strong> {_em(_how_to_read(summary))}</p></div>
{f'<div class="caveats"><p><strong>Caveats.</strong> Too little data for firm conclusions:</p><ul>{caveat_list}</ul></div>' if flagged else ''}
<h2>Outlets</h2>{_html_table(t["overview"])}
<h2>Frame shares</h2>
<p>Percentage of each outlet's content sentences carrying the frame, with {_e(_interval_legend(summary))}.</p>
{_html_table(t["shares"])}{_img(figures["frame_shares"], "Grouped bar chart of frame shares per outlet with 95% bootstrap intervals")}
<h2>Frame × voice: adopts or reports?</h2>
<p>Of the sentences carrying each frame, how many the outlet states in its own voice and how many it only quotes.</p>
{_html_table(t["voice"])}{_img(figures["voice"], "Stacked bars of editorial vs attributed sentences per frame and outlet")}
<h2>Do outlets differ?</h2>{_html_table(t["tests"])}
<h2>How different are the outlets' frame profiles?</h2>
<p>Frame profiles (distribution over frames + none of the content sentences' frame mentions):</p>
{_html_table(t["profiles"])}{_img(figures["divergence"], "Heatmap of pairwise Jensen-Shannon divergence between outlets")}
<h2>Evidence</h2><p>The {N_EVIDENCE} highest-scoring content sentences per outlet and frame, as scraped.</p>{''.join(evidence)}
<footer><h2>Methods</h2>
<table><tbody>
<tr><th>model</th><td><code>{_e(provenance.model_id)}</code></td></tr>
<tr><th>weights sha256</th><td><code>{_e(provenance.model_hash)}</code></td></tr>
<tr><th>framing package</th><td>{_e(provenance.package_version)}</td></tr>
<tr><th>generated (UTC)</th><td>{_e(provenance.generated_at)}</td></tr>
<tr><th>frames</th><td>{_e(", ".join(summary.frames))}</td></tr>
<tr><th>bootstrap</th><td>{s.n_boot} resamples of articles per outlet, {s.ci_level:.0%} percentile intervals</td></tr>
<tr><th>permutation test</th><td>{s.n_perm} permutations of outlet labels across articles</td></tr>
{fallbacks}
<tr><th>seed</th><td>{s.seed}</td></tr>
<tr><th>caveat thresholds</th><td>fewer than {s.min_content} content sentences or fewer than {s.min_articles} articles with content</td></tr>
</tbody></table>
<h3>Inputs</h3><table><thead><tr><th>file</th><th>sha256</th></tr></thead><tbody>{inputs}</tbody></table>
<h3>Definitions</h3><dl>{definitions}</dl>
<h3>Outlets with caveats</h3>{f'<ul>{caveat_list}</ul>' if flagged else '<p>none</p>'}
<p class="small">{_e(CSV_NOTE)}</p>
</footer></body></html>
"""


# ---------------------------------------------------------------- Markdown

def _md(text: str) -> str:
    """A Markdown-inert cell: HTML escaped, Markdown punctuation backslashed, one line."""
    text = html.escape(" ".join(str(text).split()), quote=False)
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+!|~" else ch for ch in text)


def _md_table(table: Table) -> str:
    header, rows = table
    lines = ["| " + " | ".join(_md(h) for h in header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows])


def render_markdown(summary: Summary, provenance: Provenance) -> str:
    """report.md: the same tables and methods; figures linked from figures/*.png."""
    t, s = display_tables(summary), summary.settings
    parts = [f"# {_md(provenance.title)}", "", f"Model `{provenance.model_id}` · generated {provenance.generated_at}", "",
             f"**How to read this.** {_how_to_read(summary)}", "",
             "## Outlets", "", _md_table(t["overview"]), "",
             "## Frame shares", "", "Intervals: " + _md(_interval_legend(summary)) + ".", "",
             _md_table(t["shares"]), "", "![frame shares](figures/frame_shares.png)", "",
             "## Frame × voice", "", _md_table(t["voice"]), "", "![voice](figures/voice.png)", "",
             "## Do outlets differ?", "", _md_table(t["tests"]), "",
             "## Frame profiles and divergence", "", _md_table(t["profiles"]), "",
             "![divergence](figures/divergence.png)", "", "## Evidence", ""]
    for ev in summary.evidence:
        parts.append(f"- **{_md(ev.outlet)} / {_md(ev.frame)}** #{ev.rank} ({ev.score:.3f}, {ev.voice}, "
                     f"{_md(ev.sentence_id)}): {_md(ev.text)}")
    parts += ["", "## Methods", "",
              f"- model: {_md(provenance.model_id)}; weights sha256 {_md(provenance.model_hash)}",
              f"- framing package {_md(provenance.package_version)}; generated {provenance.generated_at}",
              f"- bootstrap: {s.n_boot} article resamples per outlet; permutations: {s.n_perm}; seed {s.seed}",
              f"- caveat: fewer than {s.min_content} content sentences or fewer than {s.min_articles} articles"]
    parts += [f"- {_md(k)}: {_md(v)}" for k, v in _fallback_methods(summary).items()]
    parts += [f"- input {_md(name)}: sha256 {_md(sha)}" for name, sha in sorted(provenance.inputs.items())]
    parts += [f"- **{_md(k)}**: {_md(v)}" for k, v in DEFINITIONS.items()]
    parts += [f"- caveat for {_md(o.outlet)}: {_md('; '.join(o.caveats))}" for o in summary.outlet_stats if o.caveats]
    parts += [f"- {_md(CSV_NOTE)}", ""]
    return "\n".join(parts)


# ---------------------------------------------------------------- writing

def figure_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, metadata={"Software": None})
    return buf.getvalue()


def _write_tables(folder: Path, summary: Summary) -> None:
    folder.mkdir()
    for name, (header, rows) in csv_tables(summary).items():
        with open(folder / name, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows([[_csv_cell(v) for v in row] for row in rows])


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(out, "exists and is not a folder", fix="choose a folder path for the report")
    if out.is_dir() and any(out.iterdir()) and not ((out / "index.html").is_file() and (out / "summary.json").is_file()):
        raise InputError(out, "folder is not empty and does not hold an earlier report; refusing to replace it",
                         fix="choose a new or empty folder, or the folder of an earlier report")


def _swap_into_place(new: Path, out: Path) -> None:
    """Rename the finished folder to ``out``; an earlier report is removed only after that."""
    if not out.exists():
        new.rename(out)
        return
    old = out.with_name(f".{out.name}.old-{uuid.uuid4().hex[:8]}")
    out.rename(old)
    try:
        new.rename(out)
    except BaseException:
        old.rename(out)
        raise
    shutil.rmtree(old)


def write_report(
    tagged: Sequence[TaggedSentence],
    frames: Sequence[str],
    out_dir: str | Path,
    *,
    title: str,
    model_id: str,
    model_hash: str,
    inputs: Mapping[str, str],
    package_version: str,
    seed: int = 0,
    n_boot: int = 2000,
    n_perm: int = 5000,
    min_content: int = 30,
    generated_at: datetime | None = None,
) -> Path:
    """Aggregate the tagged sentences and write the report folder; returns ``out_dir``.

    Writes index.html (self-contained), report.md, summary.json, tables/*.csv and
    figures/*.png. An existing ``out_dir`` holding an earlier report is replaced only once
    the new one is complete; any other non-empty folder is refused.
    """
    out = Path(out_dir)
    _check_target(out)
    summary = summarize(tagged, frames, n_boot=n_boot, n_perm=n_perm, seed=seed, min_content=min_content)
    when = (generated_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    provenance = Provenance(title, model_id, model_hash, package_version, dict(inputs),
                            when.strftime("%Y-%m-%dT%H:%M:%SZ"))
    pngs = {name: figure_png(draw(summary)) for name, draw in FIGURES.items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    try:
        (tmp / "figures").mkdir()
        for name, png in pngs.items():
            (tmp / "figures" / f"{name}.png").write_bytes(png)
        _write_tables(tmp / "tables", summary)
        document = {"format": FORMAT, "provenance": provenance.to_dict(), "definitions": DEFINITIONS,
                    "summary": summary.to_dict()}
        (tmp / "summary.json").write_text(json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                                          encoding="utf-8")
        (tmp / "report.md").write_text(render_markdown(summary, provenance), encoding="utf-8")
        (tmp / "index.html").write_text(render_html(summary, provenance, pngs), encoding="utf-8")
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
