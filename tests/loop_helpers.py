"""Helpers for the labeling-loop tests: a tiny article corpus, filled-in annotation files, a base model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from framing.labels import label_to_json
from framing.retrain import record_training_data
from tests.conftest import make_labeled

# (text template, content, frames, voice): what a careful annotator answers for each template
TEMPLATES = [
    ("Officials hailed transfer number {k} as a blow against dangerous gangs.", True, ["security_success"], "attributed"),
    ("Judge {k} ordered the planes to turn around, but they landed anyway.", True, ["legal_controversy"], "editorial"),
    ("Families of group {k} say their relatives are held without contact.", True, ["human_rights_concern"], "attributed"),
    ("Flight {k} landed on Sunday morning.", True, [], "editorial"),
    ("Subscribe to newsletter {k} for daily updates.", False, [], None),
    ("Critics argue that the {k} men were never given hearings.", True, ["legal_controversy"], "attributed"),
    ("Prison block {k} is overcrowded and the inmates are shackled.", True, ["human_rights_concern"], "editorial"),
    ("Click here to read story {k}.", False, [], None),
]
OUTLETS = ("Alpha Times", "Beta Daily", "Gamma Post")


def write_corpus(folder: Path, n_docs: int = 8) -> Path:
    """``n_docs`` .txt articles of 8 sentences each (one per line), over three outlets."""
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(n_docs):
        lines = [t.format(k=d * 10 + i) for i, (t, *_) in enumerate(TEMPLATES)]
        body = "\n\n".join(lines)
        (folder / f"art{d}.txt").write_text(f"outlet: {OUTLETS[d % 3]}\n---\n{body}\n", encoding="utf-8")
    return folder


def truth(text: str) -> tuple[bool, list[str], str | None]:
    """The labels a careful annotator gives a corpus sentence."""
    for template, content, frames, voice in TEMPLATES:
        head = template.split("{k}")[0]
        if text.startswith(head):
            return content, list(frames), voice
    raise AssertionError(f"not a corpus sentence: {text!r}")


def choices(content: bool, frames: list[str], voice: str | None) -> list[dict[str, Any]]:
    result = [{"from_name": "content", "to_name": "text", "type": "choices",
               "value": {"choices": ["content" if content else "boilerplate"]}}]
    if frames:
        result.append({"from_name": "frames", "to_name": "text", "type": "choices", "value": {"choices": frames}})
    if voice:
        result.append({"from_name": "voice", "to_name": "text", "type": "choices", "value": {"choices": [voice]}})
    return result


def bob(text: str, sid: str) -> tuple[bool, list[str], str | None]:
    """A second annotator who flips the voice of every sentence with sent_idx 0 (a known disagreement)."""
    content, frames, voice = truth(text)
    if sid.endswith(":0") and content:
        voice = "editorial" if voice == "attributed" else "attributed"
    return content, frames, voice


def fill_labelstudio(tasks_file: Path, out: Path,
                     annotators: dict[str, Callable[[str, str], tuple[bool, list[str], str | None]]]) -> Path:
    """A Label Studio JSON export of the exported tasks, one annotation per annotator per task."""
    tasks = json.loads(tasks_file.read_text(encoding="utf-8"))
    exported = []
    for n, task in enumerate(tasks, 1):
        annotations = []
        for k, (email, rule) in enumerate(annotators.items(), 1):
            annotations.append({"id": n * 10 + k, "completed_by": {"id": k, "email": email},
                                "result": choices(*rule(task["data"]["text"], task["data"]["id"])),
                                "was_cancelled": False, "lead_time": 3.2})
        exported.append({"id": n, "data": task["data"], "annotations": annotations, "predictions": task["predictions"]})
    out.write_text(json.dumps(exported, indent=2), encoding="utf-8")
    return out


def base_model(tagger: Any, folder: Path) -> Path:
    """Save ``tagger`` as a run folder that records its training data (make_labeled rows); returns the model folder."""
    folder.mkdir(parents=True, exist_ok=True)
    labels = folder / "train.jsonl"
    labels.write_text("".join(json.dumps(label_to_json(r)) + "\n" for r in make_labeled()), encoding="utf-8")
    model = tagger.save(folder / "model")
    record_training_data(folder, [labels])
    return model


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes: to assert nothing changed."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
