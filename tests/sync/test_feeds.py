"""The pure parts of the sync: URLs, pages, watermarks, deletions, retry timing."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from pipeline.sync.feeds import (
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
from pipeline.sync.http import backoff_delay, retry_after_seconds


def test_blog_of_a_blog_address_and_of_feed_urls():
    assert blog_of("https://Example.blogspot.com/2011/03/a-post.html").feeds_root == "https://example.blogspot.com/feeds"
    assert blog_of("http://127.0.0.1:8123/feeds/posts/default?alt=json").feeds_root == "http://127.0.0.1:8123/feeds"
    b = blog_of("https://www.blogger.com/feeds/1234567890123456789/posts/default")
    assert b.feeds_root == "https://www.blogger.com/feeds/1234567890123456789" and b.host == "www.blogger.com"
    assert blog_of("http://127.0.0.1:8123/").host == "127.0.0.1_8123"
    with pytest.raises(SyncError, match="not an http"):
        blog_of("corpus/sample")


def test_feed_urls():
    b = blog_of("https://x.blogspot.com/")
    assert feed_url(b, "posts", "json", max_results=50) == \
        "https://x.blogspot.com/feeds/posts/default?alt=json&start-index=1&max-results=50"
    url = feed_url(b, "comments", "atom", updated_min="2026-01-01T00:00:00.000Z")
    assert "orderby=updated" in url and "updated-min=2026-01-01T00%3A00%3A00.000Z" in url
    assert feed_url(b, "post_comments", "atom", post_id="55").startswith("https://x.blogspot.com/feeds/55/comments/default?")
    with pytest.raises(SyncError):
        feed_url(b, "posts", "rss")


def test_parse_the_shared_examples(formats_dir):
    posts = parse_page((formats_dir / "blogger" / "01_posts_feed.atom.xml").read_bytes(), "atom")
    assert posts.next_href and "start-index=26" in posts.next_href
    assert [e.kind for e in posts.entries] == ["post"] * len(posts.entries) and posts.entries[0].updated
    comments = parse_page((formats_dir / "blogger" / "03_comments_feed.json").read_bytes(), "json")
    assert {e.kind for e in comments.entries} == {"comment"}
    assert {e.post_id for e in comments.entries} == {"5550001112223334445"}


def test_a_broken_page_still_gives_its_next_link():
    body = (b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><link rel='next' "
            b"href='http://127.0.0.1:1/feeds/posts/default?start-index=3&amp;max-results=2'/><entry><id>x")
    with pytest.raises(Exception, match="not well-formed"):
        parse_page(body, "atom")
    assert next_link_fallback(body, "atom") == "http://127.0.0.1:1/feeds/posts/default?start-index=3&max-results=2"
    assert next_link_fallback(b'{"feed": {"link": [{"rel": "next", "href": "http://h/n"}], "entry": [', "json") == "http://h/n"


def test_watermark_is_the_latest_update_and_never_goes_back():
    es = [PageEntry("1", "post", "1", "2026-01-02T10:00:00.000Z"), PageEntry("2", "post", "2", "2026-01-03T09:00:00.000+01:00")]
    assert latest_updated(None, es) == "2026-01-03T09:00:00.000+01:00"
    assert latest_updated("2026-02-01T00:00:00.000Z", es) == "2026-02-01T00:00:00.000Z"
    assert latest_updated("2026-01-01T00:00:00.000Z", []) == "2026-01-01T00:00:00.000Z"


def test_changed_posts_and_missing_comments():
    es = [PageEntry("c1", "comment", "p2", None), PageEntry("c2", "comment", "p1", None), PageEntry("c3", "comment", "p2", None)]
    assert changed_posts(es) == ["p2", "p1"]
    assert missing_comments({"c1", "c2", "c9"}, ["c1", "c2", "c4"]) == ["c9"]


def test_backoff_grows_and_is_capped_with_jitter():
    rng = random.Random(1)
    waits = [backoff_delay(n, 1.0, 10.0, rng) for n in range(1, 7)]
    for n, w in enumerate(waits, 1):
        full = min(10.0, 2 ** (n - 1))
        assert full / 2 <= w <= full
    assert waits[-1] <= 10.0


def test_retry_after_seconds_or_http_date():
    assert retry_after_seconds("120") == 120.0
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
