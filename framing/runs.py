"""Run folders written all at once: built in a hidden sibling, renamed into place at the end.

The same convention as ``framing.experiment``: ``<parent>/<UTC stamp>-<digest>/``, never
overwriting an earlier run; an exception or Ctrl-C while filling it removes the hidden
folder, so no half-written run is ever visible (``list_versions`` skips hidden folders).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable


def digest_of(obj: Any) -> str:
    """A short, stable hash of a JSON-able object (names a run after what defines it)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:6]


def write_run_folder(parent: str | Path, digest: str, fill: Callable[[Path], None]) -> Path:
    """Call ``fill(tmp)`` on a hidden folder, then rename it to ``parent/<stamp>-<digest>``."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=parent))
    try:
        fill(tmp)
        target = parent / f"{stamp}-{digest}"
        while target.exists():  # two runs in one second: never overwrite
            target = parent / f"{stamp}-{digest}-{os.urandom(2).hex()}"
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
