"""Tagging speed of a model on real sentences (the seeds and the pool), as sentences/second.

Run: python benchmarks/bench_tag.py [--model DIR] [--repeat 3]
Prints threads, sentences, tokens per input (with context) and throughput; nothing is timed
in the unit tests. Needs ../shared/data.
"""

from __future__ import annotations

import argparse
import statistics
import time

from framing.labels import read_labels
from framing.paths import shared_data_dir
from framing.pipeline import load_tagger
from framing.tagger import configure_threads


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    shared = shared_data_dir()
    if shared is None:
        raise SystemExit("needs ../shared/data")
    tagger = load_tagger(args.model, progress=False)
    rows = [r for name in ("seeds", "pool") for r in read_labels(shared / "labeled" / f"{name}.jsonl", tagger.schema)]
    sentences = [r.as_sentence() for r in rows]
    threads = configure_threads()
    tagger.predict_proba(sentences[:64])  # warm-up
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        tagger.predict_proba(sentences)
        times.append(time.perf_counter() - start)
    best, median = min(times), statistics.median(times)
    print(f"model {tagger.model_id_}, context {tagger.settings.context}, torch threads {threads}")
    print(f"{len(sentences)} sentences: median {median:.2f}s ({len(sentences) / median:.0f} sentences/s), best {best:.2f}s")


if __name__ == "__main__":
    main()
