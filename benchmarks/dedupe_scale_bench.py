"""Dedupe at scale: CPU seconds and peak memory of the dedupe stage on generated corpora
of growing size, the growth exponent between sizes, and an incremental run with 1% new
documents against the first run, all in the same run. The corpus is SYNTHETIC
(benchmarks/generate.py).

    python -m benchmarks dedupe_scale --comments 3000,6000,12000 [--seed 1] [--keep DIR]

For each size: 99% of the corpus (the oldest documents) is ingested, cleaned and
deduped (the first run), then the remaining 1% (an incremental run), then nothing new
(a run with no new input). Each dedupe runs in its own process (``scale_bench.run_child``),
so its peak RSS is its own. The last lines give ``growth N1->N2: N^e`` for the first
runs and ``incremental +1% / first run: R`` per size.

The +1% and no-input runs are also made on a copy of the database with
``dedupe.full_rebuild = true`` (every duplicate group rebuilt, as before the groups
were kept), in the same run; ``job CPU-s`` is the dedupe job alone, without the
process's start-up and imports. The two copies' duplicate tables are compared.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path


JOB_CHILD = r"""
import json, resource, sys, time
c0 = time.process_time()
db, overrides = sys.argv[1], json.loads(sys.argv[2])
from pipeline.api import Corpus
corpus = Corpus(db, overrides=overrides or None)
c1 = time.process_time()
s = corpus.run_stage("dedupe", ())
c2 = time.process_time()
ru = resource.getrusage(resource.RUSAGE_SELF)
print("\nRESULT " + json.dumps({"cpu": c2 - c0, "job_cpu": c2 - c1, "maxrss_mib": ru.ru_maxrss / 1024,
                              "summary": {k: v for k, v in s.items() if isinstance(v, (int, float, str))}}))
"""


def dedupe_child(db: Path, overrides: list[str]) -> dict:
    """The dedupe stage in its own process with config ``overrides``: process and job CPU
    seconds, peak RSS, the job's summary."""
    import json
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", JOB_CHILD, str(db), json.dumps(overrides)],
                          capture_output=True, text=True, check=False)
    from benchmarks.child import find_result

    res = find_result(proc.stdout)
    if proc.returncode != 0 or res is None:
        raise SystemExit(f"dedupe failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return res


def _duplicates(db: Path) -> list:
    import duckdb

    conn = duckdb.connect(str(db), read_only=True)
    try:
        return conn.execute("SELECT * EXCLUDE (run_id) FROM duplicate_rows ORDER BY ALL").fetchall()
    finally:
        conn.close()


def measure(comments: int, seed: int, root: Path, style: str) -> dict:
    from benchmarks.generate import generate, write_jsonl
    from benchmarks.scale_bench import run_child

    docs = generate(comments, seed, style=style)
    cut = len(docs) - max(1, len(docs) // 100)
    first = [str(p) for p in write_jsonl(docs[:cut], root / "first")]
    every = [str(p) for p in write_jsonl(docs, root / "all")]
    db = root / "dedupe.duckdb"
    db.unlink(missing_ok=True)
    run_child("ingest", db, first)
    run_child("clean", db, [])
    full = run_child("dedupe", db, [])
    run_child("ingest", db, every)
    run_child("clean", db, [])
    import shutil

    db_all = root / "dedupe_full_rebuild.duckdb"
    shutil.copy(db, db_all)
    incr = dedupe_child(db, [])
    none = dedupe_child(db, [])
    incr_all = dedupe_child(db_all, ["dedupe.full_rebuild=true"])
    none_all = dedupe_child(db_all, ["dedupe.full_rebuild=true"])
    same = _duplicates(db) == _duplicates(db_all)
    return {"documents": len(docs), "first_docs": cut, "full": full, "incr": incr, "none": none,
            "incr_all": incr_all, "none_all": none_all, "same": same}


def main(argv: list[str] | None = None) -> None:
    from benchmarks.generate import add_style_option

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--comments", default="1500", help="comma-separated corpus sizes, in comments")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, default=None, help="keep the corpora and databases here")
    add_style_option(ap)
    a = ap.parse_args(argv)
    sizes = [int(x) for x in a.comments.split(",") if x]
    root = a.keep or Path(tempfile.mkdtemp(prefix="dedupe_scale_"))
    rows = []
    print("SYNTHETIC corpora; dedupe stage only, CPU seconds and peak RSS per process")
    for n in sizes:
        r = measure(n, a.seed, root / f"c{n}", a.style)
        rows.append(r)
        f, i, z, ia, za = r["full"], r["incr"], r["none"], r["incr_all"], r["none_all"]
        print(f"  {n:>7} comments: first run ({r['first_docs']} docs) {f['cpu']:8.1f} CPU-s peak {f['maxrss_mib']:6.0f} MiB"
              f" | +1% ({i['summary'].get('hashed')} docs) {i['cpu']:6.1f} CPU-s peak {i['maxrss_mib']:6.0f} MiB"
              f" | no new input {z['cpu']:5.1f} CPU-s", flush=True)
        print(f"           job CPU-s (no start-up): +1% {i['job_cpu']:.3f} (groups of {i['summary'].get('rebuilt_docs')}"
              f" docs rebuilt) against {ia['job_cpu']:.3f} rebuilding all: {i['job_cpu'] / ia['job_cpu']:.2f}x"
              f" | no new input {z['job_cpu']:.3f} against {za['job_cpu']:.3f}: {z['job_cpu'] / za['job_cpu']:.2f}x"
              f" | duplicates {'identical' if r['same'] else 'DIFFER'}", flush=True)
    for p, q in zip(rows, rows[1:]):
        e = math.log(q["full"]["cpu"] / p["full"]["cpu"]) / math.log(q["first_docs"] / p["first_docs"])
        m = math.log(q["full"]["maxrss_mib"] / p["full"]["maxrss_mib"]) / math.log(q["first_docs"] / p["first_docs"])
        print(f"growth {p['first_docs']}->{q['first_docs']} documents: CPU N^{e:.2f}, peak RSS N^{m:.2f}")
    for r in rows:
        print(f"incremental +1% / first run at {r['documents']} documents: {r['incr']['cpu'] / r['full']['cpu']:.3f}"
              f" (job alone, changed groups: {r['incr']['job_cpu'] / r['full']['cpu']:.3f};"
              f" all groups: {r['incr_all']['job_cpu'] / r['full']['cpu']:.3f})")


if __name__ == "__main__":
    main()
