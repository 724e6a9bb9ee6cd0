"""Model versions: which folder is "the default", switched atomically and never lost.

The default is named by ``<models home>/DEFAULT`` (a one-line file holding a folder path,
relative to the models home when inside it, replaced with ``os.replace``, so a reader sees
the old or the new default, never half of one). Without it, the model shipped inside the
package is the default. Every switch is appended to ``DEFAULT.log`` (time, action, new and
previous pointer); ``rollback`` replays that log as a stack, so each rollback goes one
version further back, and a later ``set`` pushes again.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from framing.errors import InputError
from framing.files import write_text_atomic
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


# ----------------------------------------------------------------------------- versions
DEFAULT_LOG = "DEFAULT.log"
HEADLINE_KEYS = ("frames_macro_f1", "attribution_macro_f1", "boilerplate_f1")


def _pointer_value(target: Path, home: Path) -> str:
    """How the pointer names ``target``: relative to the models home when inside it."""
    try:
        return str(target.resolve().relative_to(home.resolve()))
    except ValueError:
        return str(target.resolve())


def _resolve(value: str, home: Path) -> Path:
    path = Path(value)
    return path if path.is_absolute() else home / path


def _current_pointer(home: Path) -> str | None:
    pointer = home / DEFAULT_POINTER
    return pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else None


def _append_log(home: Path, entry: dict[str, Any]) -> None:
    with (home / DEFAULT_LOG).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _write_pointer(home: Path, value: str | None) -> None:
    """Replace (or, for None, remove) the pointer in one atomic step."""
    pointer = home / DEFAULT_POINTER
    if value is None:
        pointer.unlink(missing_ok=True)
        return
    write_text_atomic(pointer, value + "\n")


def set_default(folder: str | Path, *, action: str = "set", home: Path | None = None) -> Path:
    """Make the model in ``folder`` (a model or run folder) the default; logged in ``DEFAULT.log``."""
    home = home if home is not None else models_home()
    target = resolve_model_dir(folder)
    previous = _current_pointer(home)
    value = _pointer_value(target, home)
    if value == previous:
        return target  # already the default: nothing to switch, nothing to log
    _write_pointer(home, value)
    _append_log(home, {"time": _now(), "action": action, "default": value, "previous": previous})
    return target


def read_log(home: Path | None = None) -> list[dict[str, Any]]:
    home = home if home is not None else models_home()
    path = home / DEFAULT_LOG
    if not path.is_file():
        return []
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                raise InputError(path, "malformed log line", line=number, fix="repair or remove that line") from None
    return entries


def rollback(home: Path | None = None) -> Path:
    """Make the previous default the default again (the log is a stack: each rollback goes one further back).

    Returns the new default's folder; rolling back past the first ``set`` returns to the
    model shipped with the package (the pointer is removed).
    """
    home = home if home is not None else models_home()
    stack: list[str | None] = []
    for entry in read_log(home):
        if entry.get("action") == "rollback":
            if stack:
                stack.pop()
        else:
            stack.append(entry.get("previous"))
    if not stack:
        raise InputError(home / DEFAULT_LOG, "no earlier default to roll back to",
                         fix="`framing model list` shows the versions; `framing model default PATH` picks one")
    target = stack[-1]
    if target is not None and not (_resolve(target, home) / "tagger.json").is_file():
        raise InputError(_resolve(target, home), "the previous default is missing or incomplete",
                         fix="pick another version with `framing model default PATH`")
    previous = _current_pointer(home)
    _write_pointer(home, target)
    _append_log(home, {"time": _now(), "action": "rollback", "default": target, "previous": previous})
    return _resolve(target, home) if target is not None else SHIPPED_MODEL_DIR


@dataclass(frozen=True)
class ModelVersion:
    """One model folder under the models home, with what ``framing model list`` shows."""

    path: Path
    model_id: str
    is_default: bool
    created: str
    headline: Mapping[str, float] | None  # from the run folder's metrics.json
    scored_on: str | None  # which evaluation set the headline numbers are from


def _headline(run: Path) -> tuple[dict[str, float] | None, str | None]:
    try:
        results = json.loads((run / "metrics.json").read_text(encoding="utf-8"))["results"]
        name, res = next(iter(results.items()))
        return {k: float(res["mean"][k]) for k in HEADLINE_KEYS if k in res["mean"]}, name
    except (OSError, ValueError, KeyError, StopIteration, TypeError, AttributeError):
        return None, None


def list_versions(home: Path | None = None) -> list[ModelVersion]:
    """Every complete model folder under the models home (hidden, half-written folders skipped), oldest first.

    The default is listed even when it lives elsewhere (an absolute pointer, or the model
    shipped with the package when there is no pointer).
    """
    home = home if home is not None else models_home()
    value = _current_pointer(home)
    default = (_resolve(value, home) if value is not None else SHIPPED_MODEL_DIR).resolve()
    folders = [p.parent for p in home.rglob("tagger.json")] if home.is_dir() else []
    folders = [f for f in folders if not any(part.startswith(".") for part in f.relative_to(home).parts)]
    if (default / "tagger.json").is_file() and default not in {f.resolve() for f in folders}:
        folders.append(default)
    versions = []
    for folder in folders:
        try:
            info = json.loads((folder / "tagger.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        run = folder.parent if folder.name == "model" else folder
        headline, scored_on = _headline(run)
        stamp = datetime.fromtimestamp((folder / "tagger.json").stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
        versions.append(ModelVersion(folder, str(info.get("model_id", "?")), folder.resolve() == default,
                                     stamp, headline, scored_on))
    return sorted(versions, key=lambda v: (v.created, str(v.path)))


def format_versions(versions: list[ModelVersion]) -> str:
    lines = [f"{'':2}{'model id':<30} {'frames F1':>9} {'voice F1':>9} {'boiler F1':>9}  {'scored on':<14} {'created':<25} path"]
    for v in versions:
        h = v.headline or {}
        cells = [f"{h[k]:.3f}" if k in h else "-" for k in HEADLINE_KEYS]
        lines.append(f"{'*' if v.is_default else ' ':2}{v.model_id:<30} {cells[0]:>9} {cells[1]:>9} {cells[2]:>9}  "
                     f"{v.scored_on or '-':<14} {v.created:<25} {v.path}")
    if not any(v.is_default for v in versions):
        lines.append("(no version here is the default: the model shipped with the package is)")
    lines.append("(* = default; each version's metrics are from its own run's evaluation set: compare rows only "
                 "where 'scored on' and the data agree)")
    return "\n".join(lines)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
