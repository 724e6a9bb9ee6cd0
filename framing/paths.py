"""Where things live: the shared real data (read at run time, never copied in), the
project's synthetic corpus, and the model shipped with the package."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC_DIR = REPO_ROOT / "corpus" / "synthetic"
CANDIDATE_DIR = REPO_ROOT / "corpus" / "candidates"
SHIPPED_MODEL_DIR = Path(__file__).resolve().parent / "default_model"


def shared_data_dir() -> Path | None:
    """``$FRAMING_SHARED_DATA``, else ``../shared/data`` beside the working directory or the repo."""
    candidates = [os.environ.get("FRAMING_SHARED_DATA")]
    candidates += [str(Path.cwd().parent / "shared" / "data"), str(REPO_ROOT.parent / "shared" / "data")]
    for c in candidates:
        if c and (Path(c) / "labeled").is_dir():
            return Path(c)
    return None


def synthetic_corpus_files() -> list[Path]:
    """The project's own labeled training corpus (``corpus/synthetic/*.jsonl``)."""
    return sorted(SYNTHETIC_DIR.glob("*.jsonl"))


def candidate_corpus_files() -> list[Path]:
    """Corpus parts written but not in the training data: they failed their adoption rule and wait
    for another test (``corpus/candidates/*.jsonl``; an experiment names one by its path)."""
    return sorted(CANDIDATE_DIR.glob("*.jsonl"))
