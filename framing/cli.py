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
    from framing.config import load_config
    from framing.experiment import compare_runs, run_experiment
    from framing.registry import models_home

    if load_config(args.config).active_learning is not None:
        from framing.simulate import run_simulation

        folder = run_simulation(args.config, args.models_dir or models_home())
        print(compare_runs([folder]))
        print(f"learning curves: {folder / 'learning_curves.png'}")
        return

    run = run_experiment(args.config, args.models_dir or models_home())
    print(compare_runs([run]))
    print(f"run folder: {run}")


def _experiment_compare(args: argparse.Namespace) -> None:
    from framing.experiment import compare_runs

    print(compare_runs(args.runs))


def _experiment_thresholds(args: argparse.Namespace) -> None:
    from framing.experiment import format_threshold_study, threshold_study

    print(format_threshold_study(threshold_study(args.run, tolerances=args.tolerance)))


def _annotate_export(args: argparse.Namespace) -> None:
    from framing.annotate import export_for_annotation

    result = export_for_annotation(args.input, args.n, args.out, args.dataset, strategy=args.strategy, model=args.model,
                                   fmt=args.format, seed=args.seed)
    model = result.rows[0].model if result.rows else "-"
    print(f"exported {len(result.rows)} of {result.n_candidates} unlabeled sentences ({args.strategy}, pre-annotated by {model})")
    for path in result.files:
        print(f"  wrote {path}")
    print(f"  registered {result.n_new_in_registry} new sentence(s) in {Path(args.dataset) / 'sentences.jsonl'}")


def _annotate_import(args: argparse.Namespace) -> None:
    from framing.annotate import import_annotations

    summary = import_annotations(args.files, args.into, args.annotator)
    print(f"imported {len(summary.files)} file(s) into {args.into}")
    for line in summary.lines(Path(args.into)):
        print(f"  {line}")


def _annotate_agreement(args: argparse.Namespace) -> None:
    from framing.agreement import agreement

    print("\n".join(agreement(args.dataset, args.adjudicator, args.model).lines()))


def _retrain(args: argparse.Namespace) -> None:
    from framing.retrain import retrain

    result = retrain(args.base, args.data, config=args.config, new_only=args.new_only, force=args.force,
                     models_dir=args.models_dir, adjudicator=args.adjudicator, test_fraction=args.test_fraction,
                     seed=args.seed, n_boot=args.bootstrap)
    print("\n".join(result.lines()))


def _model_list(args: argparse.Namespace) -> None:
    from framing.registry import format_versions, list_versions

    print(format_versions(list_versions()))


def _model_default(args: argparse.Namespace) -> None:
    from framing.registry import set_default

    print(f"default model: {set_default(args.path)}")


def _model_rollback(args: argparse.Namespace) -> None:
    from framing.paths import SHIPPED_MODEL_DIR
    from framing.registry import rollback

    folder = rollback()
    print(f"rolled back; default model: {'the model shipped with the package' if folder == SHIPPED_MODEL_DIR else folder}")


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
    run.add_argument("--models-dir", help="where run folders go (default: $FRAMING_MODELS or models)")
    run.set_defaults(func=_experiment_run)
    compare = experiment.add_parser("compare", help="side-by-side table of run folders")
    compare.add_argument("runs", nargs="+")
    compare.set_defaults(func=_experiment_compare)
    thresholds = experiment.add_parser("thresholds", help="pool-CV metrics of a run under each threshold rule")
    thresholds.add_argument("run", help="a pool_cv run folder")
    thresholds.add_argument("--tolerance", type=float, nargs="+", default=[0.0],
                            help="dev-F1 tolerances to try (model.threshold_tolerance; default 0)")
    thresholds.set_defaults(func=_experiment_thresholds)

    annotate = sub.add_parser("annotate", help="choose sentences to label, import labels, measure agreement")
    annotate_sub = annotate.add_subparsers(dest="action", required=True)
    export = annotate_sub.add_parser("export", help="pick sentences to label, pre-annotated by the model")
    export.add_argument("input", help="unlabeled articles (as for `tag`)")
    export.add_argument("--n", type=int, required=True, help="how many sentences to pick")
    export.add_argument("--out", required=True, help="output file: .jsonl, .csv, or .json for Label Studio")
    export.add_argument("--dataset", required=True, help="annotation dataset folder (its sentence registry is extended)")
    export.add_argument("--strategy", default="uncertainty", help="uncertainty (default), diverse or random")
    export.add_argument("--model", help="model folder (default: the current default model)")
    export.add_argument("--format", default="jsonl", help="jsonl (default), csv or labelstudio")
    export.add_argument("--seed", type=int, default=0, help="seed of the strategy's random choices")
    export.set_defaults(func=_annotate_export)
    imp = annotate_sub.add_parser("import", help="validate filled-in annotation files and merge them into a dataset")
    imp.add_argument("files", nargs="+", help=".jsonl, .csv or Label Studio .json exports")
    imp.add_argument("--into", required=True, help="annotation dataset folder")
    imp.add_argument("--annotator", help="who labeled every row of these files (default: each row's annotator "
                                         "column/key, or Label Studio's completed_by)")
    imp.set_defaults(func=_annotate_import)
    agree = annotate_sub.add_parser("agreement", help="per-label agreement, disagreements, and the gold view")
    agree.add_argument("dataset", help="annotation dataset folder")
    agree.add_argument("--adjudicator", help="annotator whose label breaks ties")
    agree.add_argument("--model", help="also score this model against gold, the same way")
    agree.set_defaults(func=_annotate_agreement)

    retrain_p = sub.add_parser("retrain", help="train a new model version on the base's data plus new gold labels, and compare")
    retrain_p.add_argument("--base", required=True, help="the model (or run) folder to start from; never modified")
    retrain_p.add_argument("--data", required=True, help="annotation dataset folder")
    retrain_p.add_argument("--config", help="experiment YAML whose model settings override the base's")
    retrain_p.add_argument("--new-only", action="store_true", help="train on the new gold labels alone")
    retrain_p.add_argument("--force", action="store_true", help="make the new version the default even if it is worse")
    retrain_p.add_argument("--models-dir", help="run folders go to MODELS_DIR/retrain/ (default: $FRAMING_MODELS or models)")
    retrain_p.add_argument("--adjudicator", help="annotator whose label breaks ties in the gold view")
    retrain_p.add_argument("--test-fraction", type=float, default=0.2, help="share of new gold articles held out for the comparison")
    retrain_p.add_argument("--seed", type=int, default=0, help="seed of the test split and the bootstrap")
    retrain_p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the confidence intervals")
    retrain_p.set_defaults(func=_retrain)

    model = sub.add_parser("model", help="list model versions, pick the default, roll back")
    model_sub = model.add_subparsers(dest="action", required=True)
    model_sub.add_parser("list", help="every version: id, headline metrics, which is the default").set_defaults(func=_model_list)
    default = model_sub.add_parser("default", help="make a model (or run) folder the default")
    default.add_argument("path")
    default.set_defaults(func=_model_default)
    model_sub.add_parser("rollback", help="back to the previous default (DEFAULT.log)").set_defaults(func=_model_rollback)

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
