"""Embed: the stage's encoding against bare sentence-transformers, in one run.

Three ways over the same generated (SYNTHETIC) comments, CPU seconds:

* ``encode-only``: ``model.encode(texts)`` in one call (the limit; sentence-transformers
  sorts by length inside one call);
* ``windowed``: what the embed stage did before: chunking, then ``encode`` a window of
  ``8 x batch_size`` pieces at a time in input order (sorted only inside each window);
* ``stage``: ``embed_with`` now: chunking, then the pieces longest first over the whole
  shard, in the same windows.

Usage: ``python -m benchmarks embed [--comments N]``. Prints ratios to encode-only.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main(argv: list[str] | None = None) -> None:
    from benchmarks.generate import generate
    from pipeline.config import load_config
    from pipeline.embed.chunking import chunk_text
    from pipeline.embed.encode import embed_with, model_window
    from pipeline.embed.registry import load_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--comments", type=int, default=800)
    a = ap.parse_args(argv)
    texts = [d.body for d in generate(a.comments, seed=2)]
    cfg = load_config().section("embed")
    batch = int(cfg["batch_size"])
    model, _ = load_model(cfg["model"], "cpu")
    model.encode(texts[:8], batch_size=batch)  # warm up

    def timed(fn):
        c0 = time.process_time()
        out = fn()
        return time.process_time() - c0, out

    def windowed():
        window = model_window(model)
        pieces = [c.text for t in texts for c in chunk_text(t, model.tokenizer, window, min(32, window // 2))]
        step = batch * 8
        return np.vstack([model.encode(pieces[i:i + step], batch_size=batch, convert_to_numpy=True)
                          for i in range(0, len(pieces), step)])

    enc, _ = timed(lambda: model.encode(texts, batch_size=batch, convert_to_numpy=True))
    old, _ = timed(windowed)
    new, _ = timed(lambda: embed_with(model, texts, batch_size=batch))
    print(f"{len(texts)} texts (SYNTHETIC), batch {batch}, CPU seconds:")
    print(f"  encode-only  {enc:7.1f}")
    print(f"  windowed     {old:7.1f}  ({old / enc:.2f}x encode-only)  the embed stage before")
    print(f"  stage        {new:7.1f}  ({new / enc:.2f}x encode-only)  length-sorted over the shard")
    print(f"stage / windowed: {new / old:.2f}")


if __name__ == "__main__":
    main()
