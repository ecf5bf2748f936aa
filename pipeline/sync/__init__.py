"""Sync from the live blog: Blogger feed URLs, pagination, watermarks and the page facts
the sync job needs (pure functions, ``feeds``), and a polite HTTP client (``http``).

No DuckDB, Prefect or click here: ``pipeline.jobs.sync`` reads the watermark, fetches,
writes the raw pages and hands them to the ingest readers.
"""

from __future__ import annotations

from pipeline.sync.feeds import (
    FEED_FORMATS,
    Blog,
    MalformedPage,
    Page,
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

__all__ = [
    "FEED_FORMATS", "Blog", "MalformedPage", "Page", "PageEntry", "SyncError", "blog_of", "changed_posts",
    "feed_url", "latest_updated", "missing_comments", "next_link_fallback", "parse_page",
]
