"""``framing retrain``: a new model version from the base's training data plus the new gold labels.

1. The base model is read, never modified. What it was trained on comes from its run
   folder: ``training_data.json`` (written by every retrain: labeled files with sha256,
   and the article ids left out of training), or, for a base from ``framing experiment
   run``, the run's ``config.yaml`` (``train.data``, and ``train.member_data``: files that one
   ensemble member alone trained on stay that member's own). ``FramingTagger`` itself is unchanged.
2. Gold labels are the dataset's majority view (``framing.agreement.dataset_gold``).
3. The test split is frozen before training: a seeded, stable fraction of the new gold
   articles (``held_out_docs``) plus the ``seeds`` set when the ``--config`` lists it under
   ``evaluate.sets``; articles either model trained on never enter it.
4. The new model is trained from scratch with the base's settings (``--config`` overrides
   the ``model`` keys it names), scored against the base on the test split with paired
   bootstrap CIs (``framing.compare``), and written as a run folder under
   ``<models-dir>/retrain/`` (default: the models home, ``$FRAMING_MODELS`` or ``models``), all at once.
5. It becomes the default only when no headline metric is worse, unless ``force``.

Training happens before anything is written, and the run folder appears in one rename,
so an interrupted retrain leaves no folder and the previous default untouched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

from framing.agreement import dataset_gold
from framing.compare import Delta, format_comparison, not_worse, paired_bootstrap
from framing.config import load_config
from framing.dataset import predict_in_context, read_registry, require_schema, row_context
from framing.errors import InputError
from framing.evaluate import HEADLINE, score
from framing.experiment import load_named_data
from framing.labels import label_to_json, read_labels
from framing.paths import shared_data_dir, synthetic_corpus_files
from framing.files import write_jsonl_atomic
from framing.pipeline import load_tagger
from framing.registry import models_home, resolve_model_dir, set_default
from framing.runs import digest_of, write_json, write_run_folder
from framing.schema import LabelSchema
from framing.tagger import FramingTagger, TaggerSettings, _apply
from framing.types import LabeledSentence

TRAINING_DATA_FILE = "training_data.json"
GOLD_COPY = "data/gold.jsonl"


@dataclass(frozen=True)
class DataFile:
    """One labeled file a model was trained on; ``sha256`` is None where it was not recorded."""

    path: Path
    sha256: str | None
    role: str  # "base" (inherited), "gold" (labels added by a retrain) or "member<k>" (ensemble member k only)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record_training_data(run_folder: str | Path, files: Iterable[DataFile | str | Path],
                         excluded_doc_ids: Iterable[str] = ()) -> Path:
    """Write ``training_data.json``: the labeled files (sha256 computed now) and the left-out articles."""
    run_folder = Path(run_folder)
    entries = []
    for f in files:
        item = f if isinstance(f, DataFile) else DataFile(Path(f), None, "base")
        path = item.path.resolve()
        try:
            shown = str(path.relative_to(run_folder.resolve()))  # files inside the run folder move with it
        except ValueError:
            shown = str(path)
        entries.append({"path": shown, "sha256": file_sha256(path), "role": item.role})
    target = run_folder / TRAINING_DATA_FILE
    write_json(target, {"files": entries, "excluded_doc_ids": sorted(set(excluded_doc_ids))})
    return target


def _named_files(name: str, where: Path) -> list[Path]:
    if name == "synthetic":
        return synthetic_corpus_files()
    if name in ("pool", "seeds"):
        shared = shared_data_dir()
        if shared is None:
            raise InputError(where, f"train.data names '{name}', but ../shared/data is not present",
                             fix="check out the repository next to shared/, or set FRAMING_SHARED_DATA")
        return [shared / "labeled" / f"{name}.jsonl"]
    return [Path(name)]


def base_training_files(model_dir: Path) -> tuple[list[DataFile], set[str]]:
    """The labeled files a saved model was trained on, and the article ids left out of them."""
    run = model_dir.parent if model_dir.name == "model" else model_dir
    for folder in (model_dir, run):
        record = folder / TRAINING_DATA_FILE
        if record.is_file():
            try:
                info = json.loads(record.read_text(encoding="utf-8"))
                files = [DataFile(folder / e["path"], e.get("sha256"), e.get("role", "base")) for e in info["files"]]
                return files, set(info.get("excluded_doc_ids", []))
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(record, f"not a training-data record: {exc}") from None
    if (run / "config.yaml").is_file():
        config = load_config(run / "config.yaml", resolved=True)
        files = [DataFile(p, None, "base") for name in config.train.data for p in _named_files(name, run / "config.yaml")]
        files += [DataFile(p, None, f"member{k}") for k, paths in enumerate(config.train.member_data)
                  for name in paths for p in _named_files(name, run / "config.yaml")]
        return files, set()
    raise InputError(model_dir, "the base model does not record what it was trained on "
                     f"(no {TRAINING_DATA_FILE} or experiment config.yaml in its run folder)",
                     fix="pass --new-only to train on the new labels alone, or use a base from "
                         "`framing experiment run` / `framing retrain`")


def member_files(files: Sequence[DataFile], members: int) -> tuple[list[DataFile], list[list[DataFile]]]:
    """(files every member trains on, each member's own files): roles ``member<k>`` go to member k alone."""
    own: list[list[DataFile]] = [[] for _ in range(members)]
    shared = []
    for f in files:
        if f.role.startswith("member"):
            k = int(f.role[len("member"):])
            if not 0 <= k < members:
                raise InputError(f.path, f"the base trained this file into ensemble member {k}, but the new model has {members}",
                                 fix="keep the base's model.members, or retrain with --new-only")
            own[k].append(f)
        else:
            shared.append(f)
    return shared, own


def read_training_rows(files: Sequence[DataFile], schema: LabelSchema, excluded: set[str]) -> list[LabeledSentence]:
    """Rows of every file (a later file's label of a sentence id replaces an earlier one), left-out articles dropped."""
    rows: dict[str, LabeledSentence] = {}
    for f in files:
        if not f.path.is_file():
            raise InputError(f.path, "a file the base model was trained on is missing",
                             fix="restore it, or pass --new-only to train on the new labels alone")
        if f.sha256 is not None and file_sha256(f.path) != f.sha256:
            raise InputError(f.path, "this training file changed since the base model was trained on it (sha256 differs)",
                             fix="restore the recorded version, or pass --new-only")
        for r in read_labels(f.path, schema):
            rows[r.id] = r
    return [r for r in rows.values() if r.doc_id not in excluded]


def held_out_docs(doc_ids: Iterable[str], fraction: float, seed: int) -> set[str]:
    """Test articles chosen by hash, so an article keeps its side as the dataset grows.

    ``u(doc) = sha256("seed:doc")`` read as a number in [0, 1); an article is held out when
    ``u < fraction``. Earlier versions therefore never trained on a later version's test
    articles. At least one and at most n - 1 articles are held out (by lowest ``u``).
    """
    docs = sorted(set(doc_ids))
    u = {d: int(hashlib.sha256(f"{seed}:{d}".encode()).hexdigest()[:13], 16) / 16**13 for d in docs}
    if len(docs) < 2:
        return set()
    ranked = sorted(docs, key=lambda d: u[d])
    n = min(max(1, sum(u[d] < fraction for d in docs)), len(docs) - 1)
    return set(ranked[:n])


def _settings(base: FramingTagger, config_path: str | Path | None) -> tuple[dict[str, Any], list[str], list[str]]:
    """(tagger settings, extra test sets, notes): the base's settings, overridden by the keys the config names."""
    settings = asdict(base.settings)
    if config_path is None:
        return settings, [], []
    config = load_config(config_path)
    raw = yaml.safe_load(Path(config_path).read_text(encoding="utf-8")) or {}
    model_keys = raw.get("model") or {}
    if config.model.kind != "transformer":
        raise InputError(config_path, f"model.kind: retrain trains the transformer tagger, got {config.model.kind!r}",
                         fix="use a config with model.kind: transformer")
    if "schema" in model_keys:
        raise InputError(config_path, "model.schema: the label schema is the base model's", fix="remove model.schema")
    names = {f.name for f in dataclasses.fields(TaggerSettings)}
    settings.update({k: getattr(config.model, k) for k in model_keys if k in names})
    if "seeds" in (raw.get("train") or {}):
        settings["seed"] = config.train.seeds[0]
    notes = []
    if "data" in (raw.get("train") or {}):
        notes.append(f"{config_path}: train.data ignored (retrain trains on the base's data plus the dataset's gold)")
    tests: list[str] = []
    if "evaluate" in raw:
        tests = [s for s in config.evaluate.sets if s == "seeds"]
        ignored = [s for s in config.evaluate.sets if s != "seeds"]
        if ignored:
            notes.append(f"{config_path}: evaluate.sets {ignored} ignored (only labeled sets of this schema can be a test split)")
    return settings, tests, notes


@dataclass
class RetrainResult:
    run: Path
    model_dir: Path
    model_id: str
    base_model_id: str
    deltas: list[Delta]
    not_worse: bool
    made_default: bool
    n_train: int
    n_test_docs: int
    n_test_sentences: int
    n_boot: int
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [*self.notes, f"trained {self.model_id} on {self.n_train} sentences (base {self.base_model_id})"]
        out.append(format_comparison(self.deltas, self.n_test_docs, self.n_test_sentences, self.n_boot))
        out.append(f"new version: {self.model_dir}")
        if self.made_default:
            forced = "" if self.not_worse else " (forced: it is worse on " + ", ".join(d.metric for d in self.deltas if d.headline and d.worse) + ")"
            out.append(f"default switched to the new version{forced}; undo with `framing model rollback`")
        else:
            worse = ", ".join(d.metric for d in self.deltas if d.headline and d.worse)
            out.append(f"default unchanged: the new version is worse on {worse}; `framing model default {self.model_dir}` or --force to switch anyway")
        return out


def retrain(
    base: str | Path, data: str | Path, *, config: str | Path | None = None, new_only: bool = False, force: bool = False,
    models_dir: str | Path | None = None, adjudicator: str | None = None, test_fraction: float = 0.2, seed: int = 0,
    n_boot: int = 1000, progress: bool = True,
) -> RetrainResult:
    """Train, compare on a frozen test split, write the run folder, and switch the default when not worse."""
    if not 0.0 < test_fraction < 1.0:
        raise InputError("--test-fraction", f"expected a number between 0 and 1, got {test_fraction}")
    base_dir = resolve_model_dir(base)
    base_tagger = load_tagger(base_dir, progress=progress)
    schema, frames = base_tagger.schema, base_tagger.schema.frames
    dataset = Path(data)
    if tuple(require_schema(dataset).frames) != tuple(frames):
        raise InputError(dataset, f"the dataset's frames {list(require_schema(dataset).frames)} differ from the base model's {list(frames)}",
                         fix="retrain a base model of the dataset's label schema")
    settings, test_sets, notes = _settings(base_tagger, config)
    try:
        files, excluded = base_training_files(base_dir)
        shared_files, own_files = member_files(files, settings["members"])
        base_rows = read_training_rows(shared_files, schema, excluded)
        own_rows = [read_training_rows(f, schema, excluded) for f in own_files]
    except InputError:
        if not new_only:
            raise
        files, excluded, base_rows, own_rows = [], set(), [], []
        notes.append("the base's training data is not recorded or readable: test articles were not checked against it")
    base_docs = {r.doc_id for r in [*base_rows, *(r for rows in own_rows for r in rows)]}
    gold, unresolved, _, _ = dataset_gold(dataset, adjudicator)
    if unresolved:
        notes.append(f"{len(unresolved)} tied sentence(s) left out of gold (framing annotate agreement --adjudicator NAME)")
    held = held_out_docs({g.doc_id for g in gold} - base_docs, test_fraction, seed)
    config_rows = [r for name in test_sets for r in load_named_data(name, schema, shared_data_dir()) if r.doc_id not in base_docs]
    config_ids = {r.id for r in config_rows}
    test_rows = config_rows + [g for g in gold if g.doc_id in held and g.id not in config_ids]
    if not test_rows:
        raise InputError(dataset, "no articles to test on: the new gold labels cover fewer than two articles the base was not trained on",
                         fix="label sentences from more articles, or pass --config with evaluate.sets: [seeds]")
    test_docs = {r.doc_id for r in test_rows}
    gold_train = [g for g in gold if g.doc_id not in test_docs]
    if not gold_train:
        raise InputError(dataset, "every gold article is in the test split; nothing new to train on",
                         fix="label sentences from more articles")
    gold_ids = {g.id for g in gold_train}
    train = ([] if new_only else [r for r in base_rows if r.id not in gold_ids and r.doc_id not in test_docs]) + gold_train

    # each ensemble member's own base files (train.member_data) stay that member's alone
    own_train = [[r for r in rows if r.id not in gold_ids and r.doc_id not in test_docs] for rows in own_rows]
    member_rows = own_train if not new_only and any(own_train) else None
    new_tagger = FramingTagger(schema, progress=progress, **settings).fit(train, member_rows=member_rows)

    context = {**row_context(config_rows), **{sid: (e.context_before, e.context_after) for sid, e in read_registry(dataset).items()}}
    old_labels = _apply(predict_in_context(base_tagger, test_rows, context), base_tagger.thresholds_, frames)
    new_labels = _apply(predict_in_context(new_tagger, test_rows, context), new_tagger.thresholds_, frames)
    deltas = paired_bootstrap(test_rows, old_labels, new_labels, frames, n_boot=n_boot, seed=seed)
    ok = not_worse(deltas)

    resolved = {"base": str(base_dir), "base_model_id": base_tagger.model_id_, "data": str(dataset), "config": str(config) if config else None,
                "new_only": new_only, "adjudicator": adjudicator, "test_fraction": test_fraction, "seed": seed,
                "bootstrap": n_boot, "settings": settings}

    def fill(tmp: Path) -> None:
        write_jsonl_atomic(tmp / GOLD_COPY, (label_to_json(g) for g in gold))
        kept = [] if new_only else list(files)
        record_training_data(tmp, [*kept, DataFile(tmp / GOLD_COPY, None, "gold")], excluded | test_docs)
        (tmp / "config.yaml").write_text("# resolved settings of `framing retrain`\n" + yaml.safe_dump(resolved, sort_keys=False), encoding="utf-8")
        write_json(tmp / "test_split.json", {"doc_ids": sorted(test_docs), "from_dataset": sorted(held), "from_config": test_sets,
                                             "rule": "sha256('seed:doc_id') < test_fraction", "seed": seed,
                                             "test_fraction": test_fraction, "n_sentences": len(test_rows)})
        write_json(tmp / "comparison.json", {"base_model_id": base_tagger.model_id_, "new_model_id": new_tagger.model_id_,
                                             "not_worse": ok, "rule": "worse = delta < 0 and upper 95% CI < 0, on any headline metric",
                                             "deltas": [d.to_dict() for d in deltas]})
        new_m = score(test_rows, new_labels, frames)
        old_m = score(test_rows, old_labels, frames)
        write_json(tmp / "metrics.json", {"experiment": "retrain", "data": {"train_sentences": len(train), "test_sentences": len(test_rows)},
                                          "results": {name: {"per_seed": [m.to_dict()], "mean": m.headline(), "std": {k: 0.0 for k in HEADLINE}}
                                                      for name, m in (("retrain_test", new_m), ("retrain_test_base", old_m))}})
        new_tagger.save(tmp / "model")

    digest = digest_of([base_tagger.weights_sha256_, [label_to_json(g) for g in gold], settings, new_only, seed])
    run = write_run_folder(Path(models_dir if models_dir is not None else models_home()) / "retrain", digest, fill)
    made_default = ok or force
    if made_default:
        set_default(run / "model", action="retrain")
    return RetrainResult(run, run / "model", new_tagger.model_id_, base_tagger.model_id_, deltas, ok, made_default,
                         len(train), len(test_docs), len(test_rows), n_boot, notes)
