"""Ingest throughput: the full ingest job vs a read-and-decode baseline.

Builds a synthetic corpus of N text copies (numbered threads, C comments each) in a temp
folder, then times, in the same run:
  baseline  read every file and decode it (the least any ingest must do)
  parse     sniff + parse + id assignment, no store
  job       the whole ingest job into a fresh DuckDB file (parse + one transaction)
and prints documents per second and each as a ratio to the baseline.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pipeline.config import load_config
from pipeline.ingest.settings import IngestSettings
from pipeline.settings import typed
from pipeline.ingest import assign_ids, iter_input_files, read_input
from pipeline.ingest.decode import decode_bytes
from pipeline.jobs.context import JobContext
from pipeline.jobs.ingest import ingest_job

WORDS = ("caseload sickness SPO ACO inspection Napo pay award OMiC HMPPS region targets "
         "frontline morale SFO review blame contract CRC workload overtime").split()


def make_page(i: int, comments: int) -> str:
    day = 1 + i % 28
    month = ["January", "March", "May", "July", "September", "November"][i % 6]
    body = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(120))
    lines = [f"Monday, {day} {month} {2012 + i % 12}", "", f"Synthetic Post {i}", "", body, "", "Anon", "",
             f"{comments} comments:", ""]
    top = 0
    for c in range(comments):
        text = " ".join(WORDS[(i * 7 + c + k) % len(WORDS)] for k in range(40 + c % 30)) + f" ({i}.{c})"
        if c % 4 == 3:
            lines += ["    Replies", f"    1. {text}", "", "      Delete"]
        else:
            top += 1
            lines += [f"  {top}. {text}", "", "    ReplyDelete"]
    return "\n".join(lines) + "\n"


def build(folder: Path, pages: int, comments: int) -> None:
    for i in range(pages):
        (folder / f"page_{i:05d}.txt").write_text(make_page(i, comments), encoding="utf-8")


def timed(fn) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--comments", type=int, default=40)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        build(folder, args.pages, args.comments)
        files = list(iter_input_files([folder]))
        n_docs = args.pages * (args.comments + 1)

        t_base, _ = timed(lambda: [decode_bytes(p.read_bytes()) for p in files])

        ingest = typed(load_config(), IngestSettings)

        def parse_all():
            total = 0
            for p in files:
                out = read_input(p, **ingest.read_limits())
                docs, _ = assign_ids(out.result, ingest.timezone)
                total += len(docs)
            return total

        t_parse, parsed = timed(parse_all)
        assert parsed == n_docs, (parsed, n_docs)
        cfg = load_config()
        db = str(Path(tmp) / "bench.duckdb")
        t_job, summary = timed(lambda: ingest_job(JobContext(db, cfg, "bench", (str(folder),))))
        assert summary["new_documents"] == n_docs
    rows = [("baseline read+decode", t_base), ("parse+ids", t_parse), ("ingest job", t_job)]
    print(f"ingest benchmark: {args.pages} pages, {n_docs} documents")
    for name, t in rows:
        print(f"  {name:22s} {n_docs / t:10.0f} docs/s   x{t / t_base:6.1f} baseline")
    return {name: t / t_base for name, t in rows}


if __name__ == "__main__":
    main()
