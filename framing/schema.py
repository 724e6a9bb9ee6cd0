"""The label schema: which frames exist. Read from a YAML file, never hard-coded.

Voice (``attributed``/``editorial``) and content/boilerplate are fixed by the codebook; the
frame set is the part users change (e.g. to the 15 Media Frames Corpus frames).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from framing.errors import InputError

DEFAULT_SCHEMA_PATH = Path(__file__).parent / "schemas" / "codebook.yaml"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class LabelSchema:
    """A named, ordered frame set; the order fixes the model's frame-head columns."""

    name: str
    frames: tuple[str, ...]
    descriptions: Mapping[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "frames": {f: self.descriptions[f] for f in self.frames}}

    @classmethod
    def from_dict(cls, data: Any, where: str | Path = "<schema>") -> "LabelSchema":
        if not isinstance(data, dict) or set(data) != {"name", "frames"}:
            raise InputError(
                where,
                "expected a mapping with exactly the keys 'name' and 'frames'",
                fix="see framing/schemas/codebook.yaml for the format",
            )
        name, frames = data["name"], data["frames"]
        if not isinstance(name, str) or not name:
            raise InputError(where, f"name: expected a non-empty string, got {name!r}")
        if not isinstance(frames, dict) or not frames:
            raise InputError(where, "frames: expected a mapping of frame name -> description")
        for frame, text in frames.items():
            if not isinstance(frame, str) or not _NAME.match(frame) or frame == "none":
                raise InputError(
                    where,
                    f"frames.{frame}: frame names are lower_snake_case and not 'none'",
                    fix="rename the frame, e.g. 'legal_controversy'",
                )
            if not isinstance(text, str) or not text.strip():
                raise InputError(where, f"frames.{frame}: expected a description string")
        return cls(name=name, frames=tuple(frames), descriptions=dict(frames))


def load_schema(path: str | Path | None = None) -> LabelSchema:
    """Load a schema YAML file (the codebook's three frames when ``path`` is None)."""
    path = Path(path) if path is not None else DEFAULT_SCHEMA_PATH
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "schema file not found") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not valid UTF-8 YAML: {exc}") from None
    return LabelSchema.from_dict(data, path)
