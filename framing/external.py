"""Public labeled datasets from ``../shared/data/external``, mapped onto our labels at read time.

They are read where they lie, never copied into the repository. Mappings follow each
dataset's SOURCE.md:

- GUM Wikinews: a sentence with an RST ``attribution-*`` EDU, or lying wholly inside a
  ``<quote>``, is ``attributed``; otherwise ``editorial``; photo-credit lines ("Image : ...")
  are dropped. No frame labels, so only voice is scored.
- NewsSD-ENG: ``SUBJ`` sentences are the author's own opinion, so gold ``editorial``; ``OBJ``
  has no clean mapping and is skipped. The score is the editorial recall on SUBJ.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from framing.types import LabeledSentence

_SID = re.compile(r"(?:^|\|)sid=(\d+)")


def read_gum(folder: Path) -> list[LabeledSentence]:
    """GUM news sentences with voice labels, in document order (context available)."""
    rows: list[LabeledSentence] = []
    for xml in sorted((folder / "xml").glob("GUM_news_*.xml")):
        doc = xml.stem
        attributed_sids: set[int] = set()
        for line in (folder / "rsd" / f"{doc}.rsd").read_text(encoding="utf-8").splitlines():
            cols = line.split("\t")
            if len(cols) > 7 and cols[7].startswith("attribution"):
                match = _SID.search(cols[5])
                if match:
                    attributed_sids.add(int(match.group(1)))
        sentences: list[tuple[str, bool]] = []
        tokens: list[str] = []
        quoted: list[bool] = []
        depth = 0
        for line in xml.read_text(encoding="utf-8").splitlines():
            if line.startswith("<quote"):
                depth += 1
            elif line.startswith("</quote>"):
                depth = max(0, depth - 1)
            elif line.startswith("</s>"):
                sentences.append((" ".join(tokens), bool(quoted) and all(quoted)))
                tokens, quoted = [], []
            elif line and not line.startswith("<"):
                tokens.append(line.split("\t")[0])
                quoted.append(depth > 0)
        for sid, (text, in_quote) in enumerate(sentences, 1):
            if text.startswith("Image :"):
                continue
            voice = "attributed" if (sid in attributed_sids or in_quote) else "editorial"
            text = re.sub(r" ([.,;:!?%)'])", r"\1", text).replace("( ", "(")
            rows.append(LabeledSentence(doc, "Wikinews", sid, text, True, (), voice))  # type: ignore[arg-type]
    return rows


def read_newssd(folder: Path) -> list[LabeledSentence]:
    """NewsSD-ENG SUBJ sentences (gold editorial) from all three splits, one pseudo-article each."""
    rows: list[LabeledSentence] = []
    for split in ("train", "val", "test"):
        with (folder / f"{split}.csv").open(encoding="utf-8", newline="") as handle:
            for i, rec in enumerate(csv.DictReader(handle)):
                if rec["Label"].strip() == "SUBJ":
                    rows.append(LabeledSentence(f"newssd-{split}-{i}", "NewsSD", 0, rec["Sentence"].strip(),
                                                True, (), "editorial"))
    return rows
