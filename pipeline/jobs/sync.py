"""Sync job: fetch what changed on the blog since the watermark, keep every raw page,
ingest the pages with the existing readers, notice deleted comments, then advance the
watermark -- only when everything succeeded.

Order of work:
1. read the blog's watermarks (``sync_state``);
2. fetch the posts feed (``updated-min`` = the posts watermark) and the blog-wide comments
   feed (``updated-min`` = the comments watermark), following ``rel="next"``; with
   ``full`` everything, and every post's comments feed;
3. fetch the complete comments feed of each post whose comments changed (deletions show
   only there: a comment known before and missing now is marked deleted); with ``full``
   the posts feed is complete too, and a post read before and missing now is marked
   deleted with its comments;
4. every response is written under ``sync.raw_dir/<host>/<timestamp>/`` before it is
   parsed and never modified; then the ingest job (given by the caller: no job imports
   another) reads those files (sources, documents,
   edits as versions, quarantine for a malformed page);
5. deletions, the fetch log and the new watermarks are written in one transaction. A
   quarantined page holds the watermarks (the next run asks again); a failed request
   stops the run before anything is ingested, the watermarks unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pipeline.config import resolve_path
from pipeline.ingest.core import sha256_file
from pipeline.jobs.context import Job, JobContext
from pipeline.settings import typed
from pipeline.store import connect, transaction
from pipeline.store import sync as store
from pipeline.sync.feeds import (
    FEED_FORMATS,
    SUFFIX,
    Blog,
    MalformedPage,
    PageEntry,
    SyncError,
    blog_of,
    changed_posts,
    feed_url,
    latest_updated,
    missing_comments,
    next_link_fallback,
    parse_page,
)
from pipeline.sync.http import PoliteClient
from pipeline.sync.settings import SyncSettings


@dataclass
class _Fetched:
    feed: str
    url: str
    status: int
    path: Path
    entries: tuple[PageEntry, ...]
    malformed: str | None = None


class _Run:
    """The pages of one sync, written as they arrive."""

    def __init__(self, client: PoliteClient, folder: Path, fmt: str, max_pages: int):
        self.client, self.folder, self.fmt, self.max_pages = client, folder, fmt, max_pages
        self.pages: list[_Fetched] = []

    def feed(self, feed: str, first_url: str, label: str) -> list[_Fetched]:
        """Every page of one feed, following rel=next exactly as given."""
        out: list[_Fetched] = []
        url: str | None = first_url
        seen: set[str] = set()
        while url and url not in seen:
            if len(self.pages) >= self.max_pages:
                raise SyncError(f"more than sync.max_pages ({self.max_pages}) pages in one sync; raise it if the "
                                "blog really is that large")
            seen.add(url)
            resp = self.client.get(url)
            path = self.folder / f"{len(self.pages) + 1:04d}-{label}-{len(out) + 1:03d}{SUFFIX[self.fmt]}"
            with path.open("xb") as fh:  # raw first, never overwritten
                fh.write(resp.body)
            try:
                page = parse_page(resp.body, self.fmt)
                got = _Fetched(feed, url, resp.status, path, page.entries)
                url = page.next_href
            except MalformedPage as exc:
                got = _Fetched(feed, url, resp.status, path, (), malformed=str(exc))
                url = next_link_fallback(resp.body, self.fmt)
            self.pages.append(got)
            out.append(got)
        return out


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def sync_job(ctx: JobContext, *, ingest: Job, client: PoliteClient | None = None) -> dict:
    """Sync one blog (``ctx.options``: ``url``, ``format`` atom|json, ``full``); ``ingest`` is
    the ingest job (``STAGES["ingest"]``) that reads the fetched pages."""
    settings = typed(ctx.config, SyncSettings)
    url = ctx.options.get("url")
    if not url:
        raise SyncError("no blog to sync: give its address (probation-corpus sync URL) or set sync.blogs")
    fmt = ctx.options.get("format") or settings.format
    if fmt not in FEED_FORMATS:
        raise SyncError(f"feed format {fmt!r} is not one of {', '.join(FEED_FORMATS)}")
    full = bool(ctx.options.get("full"))
    blog = blog_of(url)
    conn = connect(ctx.db_path)
    try:
        marks = store.watermarks(conn, blog.key)
    finally:
        conn.close()

    folder = resolve_path(settings.raw_dir) / blog.host / _stamp()
    folder.mkdir(parents=True, exist_ok=False)
    own_client = client is None
    client = client or PoliteClient(settings)
    try:
        run = _Run(client, folder, fmt, settings.max_pages)
        _fetch(run, blog, fmt, settings.max_results, marks, full, ctx)
    finally:
        if own_client:
            client.close()
    return _store(ctx, blog, run, marks, full, folder, ingest)


def _fetch(run: _Run, blog: Blog, fmt: str, max_results: int, marks: dict, full: bool, ctx: JobContext) -> None:
    since = (lambda feed: None) if full else (lambda feed: marks.get(feed))
    ctx.progress("sync", 0, 0)
    posts = run.feed("posts", feed_url(blog, "posts", fmt, max_results=max_results, updated_min=since("posts")),
                     "posts")
    if full:
        todo = list(dict.fromkeys(e.blogger_id for p in posts for e in p.entries if e.kind == "post"))
    else:
        comments = run.feed("comments", feed_url(blog, "comments", fmt, max_results=max_results,
                                                 updated_min=since("comments")), "comments")
        todo = changed_posts(e for p in comments for e in p.entries)
    for i, post_id in enumerate(todo, 1):
        ctx.progress("sync", i - 1, len(todo))
        run.feed(f"post_comments:{post_id}", feed_url(blog, "post_comments", fmt, post_id=post_id,
                                                      max_results=max_results), f"post-{post_id}")
    ctx.progress("sync", len(todo), len(todo))


def _store(ctx: JobContext, blog: Blog, run: _Run, marks: dict, full: bool, folder: Path, ingest: Job) -> dict:
    # complete per-post comments feeds before the blog-wide delta: where a comment is in
    # both, its place in the thread (position) comes from its post's own feed
    rank = {"posts": 0, "post_comments": 1, "comments": 2}
    ordered = sorted(run.pages, key=lambda p: rank[p.feed.split(":", 1)[0]])
    paths = [str(p.path) for p in ordered]
    summary = ingest(JobContext(ctx.db_path, ctx.config, ctx.run_id, tuple(paths), {}, ctx.progress))
    conn = connect(ctx.db_path)
    try:
        shas = {str(p.path): sha256_file(p.path) for p in run.pages}
        # a page is bad when it did not parse, or the readers quarantined (part of) it, now or
        # when the same bytes were read before
        quarantined = store.quarantined_shas(conn, [sha for sha, _ in shas.values()])
        bad = [p for p in run.pages if p.malformed or shas[str(p.path)][0] in quarantined]
        # deletions: per post, only from a complete comments feed (every page read cleanly)
        by_post: dict[str, list[_Fetched]] = {}
        for p in run.pages:
            if p.feed.startswith("post_comments:"):
                by_post.setdefault(p.feed.split(":", 1)[1], []).append(p)
        deleted: dict[str, list[str]] = {}
        present: list[str] = []
        for post_id, pages in by_post.items():
            if any(p in bad for p in pages):
                continue
            known = store.known_comments(conn, post_id)
            listed = [e.blogger_id for p in pages for e in p.entries if e.kind == "comment"]
            gone = [known[b] for b in missing_comments(known, listed)]
            if gone:
                deleted.setdefault(pages[0].url, []).extend(gone)
            present += [known[b] for b in listed if b in known]
        post_pages = [p for p in run.pages if p.feed == "posts"]
        if full and post_pages and not any(p in bad for p in post_pages):
            # a complete posts feed: a post an earlier sync read from it and missing now is
            # gone, and its comments with it
            listed = [e.blogger_id for p in post_pages for e in p.entries if e.kind == "post"]
            known_posts = store.synced_posts(conn, blog.key)
            for b in missing_comments(known_posts, listed):
                deleted.setdefault(post_pages[0].url, []).extend(
                    [known_posts[b], *store.known_comments(conn, b).values()])
            present += [known_posts[b] for b in listed if b in known_posts]
        # the comments watermark comes from the blog-wide delta (or, with full, every post's feed)
        comment_pages = [p for p in run.pages if (p.feed.startswith("post_comments:") if full else p.feed == "comments")]
        new_marks = {**marks,
                     "posts": latest_updated(marks.get("posts"), [e for p in post_pages for e in p.entries]),
                     "comments": latest_updated(marks.get("comments"), [e for p in comment_pages for e in p.entries])}
        fetches = [store.FetchRow(i, p.feed.split(":", 1)[0], p.url, p.status, str(p.path), *shas[str(p.path)],
                                  "malformed" if p in bad else "ok")
                   for i, p in enumerate(run.pages, 1)]
        with transaction(conn):
            store.write_fetches(conn, blog.key, fetches, ctx.run_id)
            n_deleted = sum(store.mark_deleted(conn, ids, where, ctx.run_id) for where, ids in deleted.items())
            restored = store.mark_present(conn, present)
            if not bad:
                store.set_watermarks(conn, blog.key, new_marks, ctx.run_id)
    finally:
        conn.close()
    return {
        "blog": blog.key,
        "raw_dir": str(folder),
        "pages": len(run.pages),
        "requests": run.client.stats.requests,
        "retries": run.client.stats.retries,
        "new_documents": summary.get("new_documents", 0),
        "edited": summary.get("edited", 0),
        "deleted": n_deleted,
        "restored": restored,
        "malformed_pages": len(bad),
        "watermarks": new_marks if not bad else marks,
        "watermark_held": (f"{len(bad)} page(s) quarantined: the watermarks stay, the next sync asks again"
                           if bad else None),
        "ingest": summary,
    }


__all__ = ["sync_job"]
