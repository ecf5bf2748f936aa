"""How long classify takes per 1,000 documents: two model sets in the same run, as a ratio.

    python -m benchmarks.classify_speed --db outputs/lab/base.duckdb --old bc19f5375b464eec --new <run_id>

Both classify the same documents (own text and thread context from ``--db``), each with
a fresh encoder (nothing read from the store, so embedding is counted), alternating
old/new ``--repeats`` times; the median per 1,000 documents and new/old are printed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from pipeline.classify.apply import Models, classify_texts
from pipeline.classify.models import apply_params
from pipeline.classify.features import context_text
from pipeline.classify.persist import load_model, resolve_model_dir
from pipeline.classify.taxonomy import taxonomy_from_config
from pipeline.config import load_config, resolve_path


def load_set(models_dir: Path, run: str) -> Models:
    got = {}
    for kind in ("theme", "sentiment", "stance"):
        got[kind], _ = load_model(resolve_model_dir(models_dir, kind, run))
    return Models(got["theme"], got["sentiment"], got["stance"], None, "domain", {"run": run})


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=Path("outputs/lab/base.duckdb"))
    ap.add_argument("--old", default="bc19f5375b464eec")
    ap.add_argument("--new", required=True)
    ap.add_argument("-n", type=int, default=200, help="documents per pass")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)

    from pipeline.embed import encode
    from pipeline.store import connect
    from pipeline.store.classify import classify_inputs

    config = load_config()
    section = config.section("classify")
    taxonomy = taxonomy_from_config(section)
    conn = connect(args.db, read_only=True)
    try:
        docs = classify_inputs(conn).head(args.n)
    finally:
        conn.close()
    contexts = [context_text(t, o) for t, o in zip(docs["post_title"], docs["post_own_text"])]
    models_dir = resolve_path(config.get("paths.models_dir"))
    sets = {"old": load_set(models_dir, args.old), "new": load_set(models_dir, args.new)}
    model = config.get("embed.model")

    def encoder(texts):
        return encode(list(texts), model, device="cpu")

    encoder(["warm up"])
    times: dict[str, list[float]] = {"old": [], "new": []}
    for _ in range(args.repeats):
        for name, models in sets.items():
            params = apply_params(section)
            t0 = time.perf_counter()
            classify_texts(docs["doc_id"].tolist(), docs["own_text"].tolist(), taxonomy, encoder, models, params,
                           contexts)
            times[name].append((time.perf_counter() - t0) * 1000.0 / len(docs))
    old, new = statistics.median(times["old"]), statistics.median(times["new"])
    print(f"classify, {len(docs)} documents x {args.repeats}, embedding included, 2-core machine under load:")
    print(f"  old ({args.old}): {old:.0f} s per 1,000 documents")
    print(f"  new ({args.new}): {new:.0f} s per 1,000 documents")
    print(f"  new / old = {new / old:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
