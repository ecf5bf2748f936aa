"""Embed: the stage's encoding against bare sentence-transformers, in one run.

Over the same generated (SYNTHETIC) comments, in one process:

* ``encode-only``: ``model.encode(texts)`` in one call (the limit: sentence-transformers
  sorts by length inside one call, and cuts each text at the model's window);
* ``stage``: what the embed stage encodes (``embed_units`` with the config's
  ``embed.unit``, chunking and ``embed.batch_size``), once for each ``embed.batch_tokens``
  value asked for; in float32 here, on every core; in bfloat16 as the stage runs it, in
  shards of ``scale.shard_size`` texts (``--shard-size``) on one thread each, in
  ``scale.processes`` worker processes (started afresh each time, as the stage starts them);

each in every ``--precision`` asked for (default: what ``embed.cpu_precision`` resolves to
on this processor; ``float32,bfloat16`` compares the two, each stage run against the limit
in its own precision and against the float32 limit).

On a GPU (``--device cuda``, or ``embed.device`` = ``auto`` where torch sees one) the
precisions are ``float32`` and ``float16`` (``embed.cuda_fp16``: the weights halved); the
stage encodes in ``embed.cuda_batch_size``, the float32 limit in ``embed.batch_size`` (as
shipped) and the float16 one in the stage's batch. Every run prints texts per second.

With ``--repeat N`` the whole round (the limit, then each value) runs N times, so
the values are interleaved and a machine that drifts affects them alike. Prints wall
and CPU seconds of every run, then each value's mean against the limit's mean.

Usage: ``python -m benchmarks embed [--comments N] [--batch-tokens 4096,8192] [--precision float32,bfloat16]
[--device cuda] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import resource
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
    from functools import partial

    from pipeline.embed.encode import embed_units, encode_shard
    from pipeline.jobs.context import ProcessMap, stop_worker_server
    from pipeline.sections import ScaleSettings
    from pipeline.settings import typed
    from pipeline.shards import slices
    from pipeline.embed.features import autocast
    from pipeline.embed.encode import encode_plan
    from pipeline.embed.registry import cpu_flags, load_model, resolve_device
    from pipeline.embed.settings import embed_settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--comments", type=int, default=800)
    ap.add_argument("--batch-tokens", default="", help="embed.batch_tokens values to compare, comma-separated "
                                                        "(default: the config's)")
    ap.add_argument("--precision", default="", help="float32 and/or bfloat16 (CPU) or float16 (CUDA), comma-separated "
                                                    "(default: what the flow's embed runs in on --device)")
    ap.add_argument("--device", default="", help="cpu or cuda (default: embed.device, resolved: a CUDA GPU when "
                                                 "torch sees one)")
    ap.add_argument("--shard-size", type=int, default=0, help="bfloat16: texts a shard (default: scale.shard_size)")
    ap.add_argument("--repeat", type=int, default=1, help="rounds, each value interleaved with the others")
    a = ap.parse_args(argv)
    rounds = max(1, a.repeat)
    config = load_config()
    cfg = embed_settings(config.section("embed"))
    scale = typed(config, ScaleSettings)
    shard_size = a.shard_size or scale.shard_size
    device = resolve_device(a.device or cfg.device)
    on_gpu = device.startswith("cuda")
    precisions = [x.strip() for x in a.precision.split(",") if x.strip()] or [cfg.precision(device, cpu_flags())]
    allowed = {"float32", "float16"} if on_gpu else {"float32", "bfloat16"}
    bad = sorted(set(precisions) - allowed)
    if bad:
        raise SystemExit(f"--precision: {', '.join(bad)} ({' or '.join(sorted(allowed))} on {device})")
    values = batch_values(a.batch_tokens, cfg.batch_tokens)
    texts = [d.body for d in generate(a.comments, seed=2)]
    # the stage's batch on this device (embed.cuda_batch_size on a GPU); the limit's float32 is
    # sentence-transformers as shipped (embed.batch_size), its float16 in the stage's batch
    stage_batch = encode_plan(device, cfg.batch_size, cfg.cuda_batch_size, cfg.cuda_fp16, cfg.cpu_precision)[0]
    models = {p: load_model(cfg.model, device, half=p == "float16")[0] for p in precisions}
    for m in models.values():
        m.encode(texts[:8], batch_size=cfg.batch_size)  # warm up (on a GPU: CUDA's start-up)

    def children_cpu() -> float:  # worker processes that ended and were waited for
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ru.ru_utime + ru.ru_stime

    def timed(fn) -> tuple[float, float]:
        t0, c0, k0 = time.perf_counter(), time.process_time(), children_cpu()
        fn()
        return time.perf_counter() - t0, time.process_time() - c0 + children_cpu() - k0

    print(f"{len(texts)} texts (SYNTHETIC) on {device}"
          + (f" ({__import__('torch').cuda.get_device_name(device)}), stage batch {stage_batch}" if on_gpu else "")
          + f", unit {cfg.unit!r}, batch_size {cfg.batch_size}, "
          f"precision {', '.join(precisions)}, {rounds} round(s)"
          + (f"; bfloat16 in shards of {shard_size} texts, {ProcessMap(scale.processes, scale.start_method).processes} worker processes "
             f"({scale.start_method}, started afresh each round)"
             if "bfloat16" in precisions else ""))
    runs: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(rounds):
        for prec in precisions:
            model = models[prec]

            def bare(prec=prec, model=model):
                with autocast(prec):
                    model.encode(texts, batch_size=stage_batch if prec == "float16" else cfg.batch_size,
                                 convert_to_numpy=True)
            r = timed(bare)
            runs.setdefault((prec, "encode-only"), []).append(r)
            print(f"  {prec:<8} encode-only              wall {r[0]:7.2f} s  CPU {r[1]:7.2f} s  "
                  f"{len(texts) / max(r[0], 1e-9):8.0f} texts/s")
            for v in values:
                if prec == "bfloat16":  # as the stage: shards on one thread each, in worker processes
                    shard = partial(encode_shard, model=cfg.model, batch_size=cfg.batch_size, device="cpu",
                                    chunk_tokens=cfg.chunk_tokens, chunk_overlap=cfg.chunk_overlap, precision=prec,
                                    unit=cfg.unit, batch_tokens=v)
                    shards = list(slices(texts, shard_size))
                    def in_workers(shard=shard, shards=shards) -> None:
                        # as a stage run in its own process: its workers (and a forkserver,
                        # with scale.start_method) started afresh, their CPU counted once ended
                        list(ProcessMap(scale.processes, scale.start_method)(shard, shards))
                        stop_worker_server()
                    r = timed(in_workers)
                else:
                    r = timed(lambda v=v, prec=prec, model=model: embed_units(
                        model, texts, cfg.unit, stage_batch, cfg.chunk_tokens, cfg.chunk_overlap, None, v,
                        precision=prec))
                runs.setdefault((prec, f"batch_tokens {v}"), []).append(r)
                print(f"  {prec:<8} stage, batch_tokens {v:<5} wall {r[0]:7.2f} s  CPU {r[1]:7.2f} s  "
                      f"{len(texts) / max(r[0], 1e-9):8.0f} texts/s")
    means = {k: (mean(w for w, _ in rs), mean(c for _, c in rs)) for k, rs in runs.items()}
    for (prec, name), (wall, cpu) in means.items():
        if name == "encode-only":
            if prec != "float32" and ("float32", name) in means:
                w32, c32 = means[("float32", name)]
                print(f"encode-only in {prec} / in float32: {wall / w32:.2f} wall, {cpu / c32:.2f} CPU")
            continue
        lw, lc = means[(prec, "encode-only")]
        print(f"stage ({name}, {prec}) / encode-only ({prec}): {wall / lw:.2f} wall, {cpu / lc:.2f} CPU")
        if prec != "float32" and ("float32", "encode-only") in means:
            w32, c32 = means[("float32", "encode-only")]
            print(f"stage ({name}, {prec}) / encode-only (float32): {wall / w32:.2f} wall, {cpu / c32:.2f} CPU")


if __name__ == "__main__":
    main()
