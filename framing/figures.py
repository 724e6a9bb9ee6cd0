"""The report's figures, drawn from a ``Summary``: each function returns a Figure, never saves.

Figures are built on the Agg canvas directly (no pyplot), so drawing them changes no global
matplotlib state and leaks no open figures. Colours are Okabe-Ito, safe for the common
colour-vision deficiencies; outlets beyond eight repeat colours with a hatch.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from framing.aggregate import BOOTSTRAP, WILSON, IntervalMethod, Summary

OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442", "#000000")
EDITORIAL_COLOUR = "#0072B2"  # blue: the outlet's own voice
ATTRIBUTED_COLOUR = "#E69F00"  # orange: quoted or reported
HATCHES = ("", "//", "..", "xx")


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _label(name: str, width: int = 18) -> str:
    """A frame or outlet name fit for an axis: underscores to spaces, wrapped."""
    return "\n".join(textwrap.wrap(name.replace("_", " "), width)) or name


def _outlet_label(summary: Summary, outlet: str) -> str:
    return outlet + (" (caveat)" if summary.outlet(outlet).caveats else "")


def _interval_lines(summary: Summary, methods: set[IntervalMethod | None], what: str, one: str) -> list[str]:
    """What the error bars are; the Wilson fallback is named only where the figure draws it."""
    s = summary.settings
    both = BOOTSTRAP in methods and WILSON in methods
    lines = []
    if BOOTSTRAP in methods or WILSON not in methods:
        lines.append(f"{what}{' (solid)' if both else ''}: {s.ci_level:.0%} percentile bootstrap intervals over "
                     f"articles ({s.n_boot} resamples, seed {s.seed})")
    if WILSON in methods:
        lines.append(f"{what} (dashed ‡): {s.ci_level:.0%} Wilson intervals over sentences, {one} "
                     "(sentences treated as independent, so too narrow)")
    return lines


def _title(lines: list[str], fig: Figure, fontsize: float) -> str:
    """Title lines wrapped to the figure's width, so none runs off the canvas."""
    chars = max(40, int(0.9 * fig.get_figwidth() * 72 / (0.62 * fontsize)))
    return "\n".join(textwrap.fill(line, chars, subsequent_indent="  ") for line in lines)


def _errorbar(ax: Axes, x: float, y: float, low: float, high: float, method: IntervalMethod | None) -> None:
    """One interval: solid for the bootstrap over articles, dashed for Wilson over sentences."""
    bars = ax.errorbar(x, y, yerr=[[y - low], [high - y]], fmt="none", ecolor="#333333", elinewidth=1.1,
                       capsize=3)
    if method == WILSON:
        bars.lines[2][0].set_linestyle((0, (2, 1.5)))


def frame_shares_figure(summary: Summary) -> Figure:
    """Grouped bars: per frame, each outlet's share of content sentences carrying it, with CIs."""
    frames, outlets = summary.frames, summary.outlets
    fig = _figure(min(16.0, max(6.5, 1.0 + 0.45 * len(frames) * len(outlets) + 0.6 * len(frames))), 4.8)
    ax = fig.add_subplot()
    width = 0.8 / len(outlets)
    x = np.arange(len(frames))
    for i, outlet in enumerate(outlets):
        rows = [summary.share(outlet, f) for f in frames]
        heights = [r.share if r.share is not None else 0.0 for r in rows]
        xs = x - 0.4 + width * (i + 0.5)
        ax.bar(xs, heights, width * 0.92,
               color=OKABE_ITO[i % len(OKABE_ITO)], hatch=HATCHES[(i // len(OKABE_ITO)) % len(HATCHES)],
               edgecolor="white", linewidth=0.5, label=_outlet_label(summary, outlet))
        for xi, r in zip(xs, rows):
            if r.share is not None and r.ci_low is not None and r.ci_high is not None:
                _errorbar(ax, xi, r.share, r.ci_low, r.ci_high, r.ci_method)
                if r.ci_method == WILSON:
                    ax.text(xi, r.ci_high + 0.01, "‡", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [_label(f) for f in frames], fontsize=10)
    ax.set_ylabel("share of content sentences", fontsize=10)
    top = max([s.ci_high or 0.0 for s in summary.shares] + [s.share or 0.0 for s in summary.shares])
    ax.set_ylim(0, min(1.05, top * 1.15 + 0.04))
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(title="outlet", fontsize=9, title_fontsize=9, frameon=False,
              loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(_title(["Share of content sentences carrying each frame, by outlet",
                         *_interval_lines(summary, {s.ci_method for s in summary.shares}, "error bars",
                                         "for an outlet with one article"),
                         "(caveat): too few content sentences or articles for the interval to mean much"], fig, 10.5),
                 fontsize=10.5, loc="left")
    return fig


def voice_figure(summary: Summary) -> Figure:
    """One panel per frame: each outlet's frame sentences split editorial vs attributed (100%)."""
    frames, outlets = summary.frames, summary.outlets
    ncols = min(3, len(frames))
    nrows = math.ceil(len(frames) / ncols)
    fig = _figure(max(6.5, ncols * (1.2 + 0.55 * len(outlets))), 1.0 + 3.4 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    x = np.arange(len(outlets))
    for j, frame in enumerate(frames):
        ax: Axes = axes[j // ncols][j % ncols]
        rows = [summary.voice_split(o, frame) for o in outlets]
        ed = np.array([r.editorial_share if r.editorial_share is not None else 0.0 for r in rows])
        has = np.array([r.n_frame > 0 for r in rows])
        ax.bar(x, np.where(has, ed, 0), 0.7, color=EDITORIAL_COLOUR, label="editorial (own voice)")
        ax.bar(x, np.where(has, 1 - ed, 0), 0.7, bottom=ed, color=ATTRIBUTED_COLOUR,
               label="attributed (quoted / reported)")
        for xi, r in enumerate(rows):
            if r.editorial_share is not None and r.ci_low is not None and r.ci_high is not None:
                _errorbar(ax, xi, r.editorial_share, r.ci_low, r.ci_high, r.ci_method)
            label = f"n={r.n_frame}" + (" ‡" if r.ci_method == WILSON else "") if r.n_frame else "none"
            ax.text(xi, 1.02, label, ha="center", va="bottom", fontsize=8)
        ax.axhline(0.5, color="#555555", linewidth=0.6, linestyle=":")
        rotate = len(outlets) > 3  # rotated names need no wrapping
        ax.set_xticks(x, [_label(_outlet_label(summary, o), 60 if rotate else 14) for o in outlets], fontsize=8.5,
                      rotation=30 if rotate else 0, ha="right" if rotate else "center", rotation_mode="anchor")
        ax.set_ylim(0, 1.12)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
        ax.set_title(_label(frame, 30), fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
    for j in range(len(frames), nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    axes[0][0].set_ylabel("share of the frame's sentences", fontsize=9)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=9, frameon=False)
    fig.suptitle(_title(["Voice of the sentences carrying each frame: editorial (states it in own voice) "
                         "vs attributed (only quotes it)",
                         *_interval_lines(summary, {v.ci_method for v in summary.voice}, "black bars, editorial share",
                                         "where one article carries the frame"),
                         "n = sentences with the frame"], fig, 10.5),
                 fontsize=10.5, x=0.01, ha="left")
    return fig


def divergence_figure(summary: Summary) -> Figure:
    """Heatmap of pairwise Jensen-Shannon divergence between outlets' frame profiles."""
    div = summary.divergence
    n = len(div.outlets)
    values = np.array([[np.nan if v is None else v for v in row] for row in div.jsd], dtype=float)
    fig = _figure(max(5.5, 2.5 + 0.95 * n), max(4.2, 1.8 + 0.8 * n))
    ax = fig.add_subplot()
    finite = values[np.isfinite(values)]
    vmax = max(float(finite.max()) if finite.size else 0.0, 1e-3)
    cmap = colormaps["cividis"].with_extremes(bad="#eeeeee")  # n/a cells in light grey
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0.0, vmax=vmax)
    for i in range(n):
        for j in range(n):
            v = values[i, j]
            text = "n/a" if np.isnan(v) else f"{v:.3f}"
            dark = not np.isnan(v) and v < 0.55 * vmax  # cividis is dark at the low end
            ax.text(j, i, text, ha="center", va="center", fontsize=9, color="white" if dark else "black")
    labels = [_label(_outlet_label(summary, o), 16) for o in div.outlets]
    ax.set_xticks(range(n), labels, fontsize=9, rotation=30 if n > 3 else 0, ha="right" if n > 3 else "center")
    ax.set_yticks(range(n), labels, fontsize=9)
    bar = fig.colorbar(image, ax=ax, shrink=0.85)
    bar.set_label("JS divergence (base 2)", fontsize=9)
    fig.suptitle("Jensen-Shannon divergence (base 2) between outlets' frame profiles\n"
                 f"profile: distribution of content sentences over {len(div.categories) - 1} frames + none\n"
                 "0 = identical profiles, 1 = no overlap; colours run from 0 to the largest value shown",
                 fontsize=10.5, x=0.01, ha="left")
    return fig
