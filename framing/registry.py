"""Model versions: which folder is "the default", switched atomically and never lost.

The default is named by ``<models home>/DEFAULT`` (a one-line file holding a folder path,
replaced with ``os.replace``, so a reader sees the old or the new default, never half of
one). Without it, the model shipped inside the package is the default.
"""

from __future__ import annotations

import os
from pathlib import Path

from framing.errors import InputError
from framing.paths import SHIPPED_MODEL_DIR

DEFAULT_POINTER = "DEFAULT"


def models_home() -> Path:
    """``$FRAMING_MODELS`` or ``./models``: where run folders and the default pointer live."""
    return Path(os.environ.get("FRAMING_MODELS", "models"))


def default_model_dir() -> Path:
    """The current default model version's folder."""
    pointer = models_home() / DEFAULT_POINTER
    if pointer.is_file():
        target = Path(pointer.read_text(encoding="utf-8").strip())
        if not target.is_absolute():
            target = pointer.parent / target
        if not (target / "tagger.json").is_file():
            raise InputError(pointer, f"the default model {target} is missing or incomplete",
                             fix="run `framing model default PATH` to point at a complete model folder")
        return target
    return SHIPPED_MODEL_DIR


def resolve_model_dir(model: str | Path | None) -> Path:
    """An explicit ``--model`` folder, else the default version."""
    if model is None:
        folder = default_model_dir()
    else:
        folder = Path(model)
        if (folder / "model" / "tagger.json").is_file():  # an experiment run folder
            folder = folder / "model"
    if not (folder / "tagger.json").is_file():
        raise InputError(folder, "no model here (expected tagger.json and weights.safetensors)",
                         fix="pass --model a model folder, e.g. models/default/<run>/model")
    return folder
