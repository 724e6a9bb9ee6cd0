"""``framing``: a thin command line over importable functions.

Each command parses its arguments and calls one public function, the same one the tests
call. Bad input ends with a message naming the file/line and the fix, and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from framing import __version__
from framing.errors import InputError

EXIT_BAD_INPUT = 2


def _tag(args: argparse.Namespace) -> None:
    from framing.pipeline import tag_input

    tagged = tag_input(args.input, args.out, args.model)
    n_content = sum(t.content for t in tagged)
    print(f"tagged {len(tagged)} sentences ({n_content} content) with {tagged[0].model if tagged else '-'} -> {args.out}")


def _report(args: argparse.Namespace) -> None:
    from framing.pipeline import report_input

    out = report_input(args.input, args.out, args.model, args.title, seed=args.seed)
    print(f"report written: {out / 'index.html'}")


def _experiment_run(args: argparse.Namespace) -> None:
    from framing.experiment import compare_runs, run_experiment

    run = run_experiment(args.config, args.models_dir)
    print(compare_runs([run]))
    print(f"run folder: {run}")


def _experiment_compare(args: argparse.Namespace) -> None:
    from framing.experiment import compare_runs

    print(compare_runs(args.runs))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="framing", description="Media-framing and attribution analysis across outlets.")
    parser.add_argument("--version", action="version", version=f"framing {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    tag = sub.add_parser("tag", help="tag every sentence with content, frames and voice (JSONL out)")
    tag.add_argument("input", help="an article file or folder (.txt .html .jsonl .csv), or a JSONL of pre-split sentences")
    tag.add_argument("--out", required=True, help="output JSONL file")
    tag.add_argument("--model", help="model folder (default: the current default model)")
    tag.set_defaults(func=_tag)

    report = sub.add_parser("report", help="write the per-outlet framing report (HTML, Markdown, CSV, JSON)")
    report.add_argument("input", help="articles (as for `tag`) or an existing `framing tag` output")
    report.add_argument("--out", required=True, help="output folder")
    report.add_argument("--model", help="model folder (default: the current default model)")
    report.add_argument("--title", help="report title")
    report.add_argument("--seed", type=int, default=0, help="seed of the bootstrap and permutation tests")
    report.set_defaults(func=_report)

    experiment = sub.add_parser("experiment", help="run or compare experiments").add_subparsers(dest="action", required=True)
    run = experiment.add_parser("run", help="train and evaluate one experiment YAML into a new run folder")
    run.add_argument("config", help="experiments/NAME.yaml")
    run.add_argument("--models-dir", default="models", help="where run folders go (default: models)")
    run.set_defaults(func=_experiment_run)
    compare = experiment.add_parser("compare", help="side-by-side table of run folders")
    compare.add_argument("runs", nargs="+")
    compare.set_defaults(func=_experiment_compare)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except InputError as exc:
        print(f"framing: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except FileExistsError as exc:
        print(f"framing: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("framing: interrupted; nothing was written half", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
