"""Large input: ingest time and peak memory of one text copy at 10, 100 and 200 MB.

Generates synthetic numbered text copies (``benchmarks/hostile.py``: one invented post
page with as many comments as fill the size), then ingests each into a fresh DuckDB
file in its own process (so each peak RSS is that run's own) and prints time and peak
RSS, each as a ratio to the smallest run. Linear growth means time ratios close to the
size ratios (10x, 20x); copies of ``ingest.stream_min_mb`` or more are streamed, so peak
memory should stay about flat (``--whole`` reads them whole, as before, for comparison).
Run: ``python -m benchmarks.large_input_bench [--sizes 10,100,200] [--whole]`` (nice -n 10
on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.hostile import deep_thread, text_copy

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
from pipeline.api import Corpus
path, db = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
summary = Corpus(db, overrides=sys.argv[3:]).ingest([path])
elapsed = time.perf_counter() - t0
print(json.dumps({"seconds": elapsed, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "documents": summary["new_documents"], "outcomes": summary["outcomes"]}))
"""


def measure(path: Path, db: Path, overrides: list[str] = ()) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(db), *overrides], env=env, cwd=REPO,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,100,200", help="sizes in MB, comma-separated (first is the baseline)")
    ap.add_argument("--deep", type=int, default=3000, help="levels of the deep reply chain (0: skip)")
    ap.add_argument("--whole", action="store_true",
                    help="read each copy whole (ingest.stream_min_mb out of reach), as before streaming")
    args = ap.parse_args(argv)
    overrides = ["ingest.stream_min_mb=100000"] if args.whole else []
    sizes = [float(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mb in sizes:
            path = Path(tmp) / f"copy_{mb:g}mb.txt"
            path.write_bytes(text_copy(int(mb * 2**20)))
            res = measure(path, Path(tmp) / f"copy_{mb:g}mb.duckdb", overrides)
            path.unlink()
            rows.append({"input": f"text copy {mb:g} MB", "mb": mb, **res})
        if args.deep:
            path = Path(tmp) / "deep.html"
            path.write_bytes(deep_thread(args.deep))
            res = measure(path, Path(tmp) / "deep.duckdb")
            rows.append({"input": f"reply chain {args.deep} deep ({path.stat().st_size / 2**20:.1f} MB)",
                         "mb": path.stat().st_size / 2**20, **res})
    base = rows[0]
    print(f"{'input':<34} {'docs':>8} {'seconds':>9} {'x time':>7} {'peak MB':>9} {'x mem':>6} {'x size':>7}")
    for r in rows:
        print(f"{r['input']:<34} {r['documents']:>8} {r['seconds']:>9.1f} {r['seconds'] / base['seconds']:>7.2f} "
              f"{r['peak_rss_mb']:>9.0f} {r['peak_rss_mb'] / base['peak_rss_mb']:>6.2f} {r['mb'] / base['mb']:>7.2f}")
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
