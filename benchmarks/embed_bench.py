"""Embed: the stage's encoding against bare sentence-transformers, in one run.

Over the same generated (SYNTHETIC) comments, in one process:

* ``encode-only``: ``model.encode(texts)`` in one call (the limit: sentence-transformers
  sorts by length inside one call, and cuts each text at the model's window);
* ``stage``: what the embed stage encodes (``embed_units`` with the config's
  ``embed.unit``, chunking and ``embed.batch_size``), once for each ``embed.batch_tokens``
  value asked for.

With ``--repeat N`` the whole round (the limit, then each value) runs N times, so
the values are interleaved and a machine that drifts affects them alike. Prints wall
and CPU seconds of every run, then each value's mean against the limit's mean.

Usage: ``python -m benchmarks embed [--comments N] [--batch-tokens 4096,8192] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import time
from statistics import mean


def batch_values(arg: str, default: int) -> list[int]:
    """The ``embed.batch_tokens`` values of ``--batch-tokens`` ("4096,8192"; "": the
    config's ``default``); a value that is not a whole number >= 0 is refused."""
    if not arg.strip():
        return [default]
    out = []
    for part in arg.split(","):
        try:
            v = int(part)
        except ValueError:
            raise SystemExit(f"--batch-tokens: {part!r} is not a whole number") from None
        if v < 0:
            raise SystemExit(f"--batch-tokens: {v} is negative (0: embed.batch_size pieces a batch)")
        out.append(v)
    return out


def main(argv: list[str] | None = None) -> None:
    from benchmarks.generate import generate
    from pipeline.config import load_config
    from pipeline.embed.encode import embed_units
    from pipeline.embed.registry import load_model
    from pipeline.embed.settings import embed_settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--comments", type=int, default=800)
    ap.add_argument("--batch-tokens", default="", help="embed.batch_tokens values to compare, comma-separated "
                                                        "(default: the config's)")
    ap.add_argument("--repeat", type=int, default=1, help="rounds, each value interleaved with the others")
    a = ap.parse_args(argv)
    rounds = max(1, a.repeat)
    cfg = embed_settings(load_config().section("embed"))
    values = batch_values(a.batch_tokens, cfg.batch_tokens)
    texts = [d.body for d in generate(a.comments, seed=2)]
    model, _ = load_model(cfg.model, "cpu")
    model.encode(texts[:8], batch_size=cfg.batch_size)  # warm up

    def timed(fn) -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        return time.perf_counter() - t0, time.process_time() - c0

    print(f"{len(texts)} texts (SYNTHETIC), unit {cfg.unit!r}, batch_size {cfg.batch_size}, {rounds} round(s)")
    runs: dict[str, list[tuple[float, float]]] = {"encode-only": []}
    for _ in range(rounds):
        r = timed(lambda: model.encode(texts, batch_size=cfg.batch_size, convert_to_numpy=True))
        runs["encode-only"].append(r)
        print(f"  encode-only              wall {r[0]:7.2f} s  CPU {r[1]:7.2f} s")
        for v in values:
            r = timed(lambda v=v: embed_units(model, texts, cfg.unit, cfg.batch_size, cfg.chunk_tokens,
                                              cfg.chunk_overlap, None, v))
            runs.setdefault(f"batch_tokens {v}", []).append(r)
            print(f"  stage, batch_tokens {v:<5} wall {r[0]:7.2f} s  CPU {r[1]:7.2f} s")
    limit_wall = mean(w for w, _ in runs["encode-only"])
    limit_cpu = mean(c for _, c in runs["encode-only"])
    for name, rs in runs.items():
        if name == "encode-only":
            continue
        wall, cpu = mean(w for w, _ in rs), mean(c for _, c in rs)
        print(f"stage ({name}) / encode-only: {wall / limit_wall:.2f} wall, {cpu / limit_cpu:.2f} CPU")


if __name__ == "__main__":
    main()
