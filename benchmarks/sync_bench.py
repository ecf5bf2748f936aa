"""Sync cost: a first sync of a synthetic blog vs the nightly (incremental) sync after a
few changes, against the test blog server on 127.0.0.1 (no other host is contacted).

Builds an invented blog of P posts with C comments each, then measures, in one run:
  first        the first sync (no watermark): every page of posts and comments
  incremental  the next sync after N new comments on a few posts and one edited comment
and prints requests, pages, seconds and the incremental run as a ratio of the first.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pipeline.config import load_config
from pipeline.jobs import JobContext
from pipeline.jobs.sync import sync_job
from pipeline.sync.http import PoliteClient
from tests.sync.blogsim import serve

WORDS = "rota kettle inspection chairs committee pay office caseload biscuits review".split()


def blog_state(posts: int, comments: int) -> dict:
    state = {"blog_id": "5151515151515151515", "title": "Synthetic benchmark blog", "posts": [], "comments": []}
    for p in range(posts):
        pid = f"{3000000000000000000 + p}"
        day = f"2025-{1 + p % 12:02d}-{1 + p % 28:02d}T09:00:00.000Z"
        state["posts"].append({"id": pid, "title": f"Invented post {p} about {WORDS[p % 10]}",
                               "body": f"<p>Synthetic post {p}: " + " ".join(WORDS[(p + i) % 10] for i in range(60)) + "</p>",
                               "published": day, "updated": day, "author": "Blog Owner"})
        for c in range(comments):
            stamp = day.replace("09:00", f"{10 + c // 60:02d}:{c % 60:02d}")
            state["comments"].append({"id": f"{4000000000000000000 + p * 1000 + c}", "post": pid, "author": "Anonymous",
                                      "body": f"Synthetic comment {c} on post {p}: " + " ".join(WORDS[(c + i) % 10] for i in range(25)),
                                      "published": stamp, "updated": stamp})
    return state


def _sync(db: str, url: str, cfg) -> tuple[dict, float]:
    start = time.perf_counter()
    with PoliteClient.from_config(cfg.section("sync")) as client:
        out = sync_job(JobContext(db, cfg, f"bench-{time.time_ns()}", (), {"url": url}), client=client)
    return out, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--posts", type=int, default=60)
    ap.add_argument("--comments", type=int, default=20)
    ap.add_argument("--new", type=int, default=5)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, serve(blog_state(args.posts, args.comments)) as blog:
        cfg = load_config(overrides={"sync": {"raw_dir": str(Path(tmp) / "raw"), "delay_seconds": 0.0}})
        db = str(Path(tmp) / "bench.duckdb")
        first, t_first = _sync(db, blog.base, cfg)
        for i in range(args.new):
            post = blog.state["posts"][i % 3]["id"]
            blog.add_comment(id=f"{4900000000000000000 + i}", post=post, author="Anonymous",
                             body=f"A new invented comment {i} about the {WORDS[i % 10]}.",
                             published="2026-02-01T10:00:00.000Z", updated="2026-02-01T10:00:00.000Z")
        blog.state["comments"][0].update(body="An edited invented comment.", updated="2026-02-01T11:00:00.000Z")
        incr, t_incr = _sync(db, blog.base, cfg)
    docs = args.posts * (1 + args.comments)
    print(f"blog: {args.posts} posts x {args.comments} comments = {docs} documents; max_results "
          f"{cfg.get('sync.max_results')}")
    print(f"{'':12} {'requests':>8} {'pages':>6} {'new docs':>8} {'edited':>6} {'seconds':>8} {'ratio':>6}")
    for name, s, t in (("first", first, t_first), ("incremental", incr, t_incr)):
        print(f"{name:12} {s['requests']:>8} {s['pages']:>6} {s['new_documents']:>8} {s['edited']:>6} "
              f"{t:>8.2f} {t / t_first:>6.2f}")


if __name__ == "__main__":
    main()
