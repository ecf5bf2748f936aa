"""Blogger feed API: URLs, pages, pagination and watermarks. Pure functions.

A blog is reached through its feeds root: ``<blog address>/feeds`` (or the
``https://www.blogger.com/feeds/<blog id>`` form of a feed URL). Under it:

- posts: ``/posts/default``; blog-wide comments: ``/comments/default``;
  one post's comments: ``/<post id>/comments/default``;
- query: ``alt=atom|json``, ``start-index`` (1-based), ``max-results``,
  ``orderby=updated`` with ``updated-min`` (inclusive) for an incremental sync;
- pages link the next one with ``rel="next"``, followed exactly as given.

``parse_page`` reads only what the sync needs from a page (entry ids, kinds, posts of
comments, ``updated`` stamps, the next link); the documents themselves are read later
by the ingest readers from the raw files.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from pipeline.errors import UserError
from pipeline.ingest.blogger import entry_kind, parse_utc, trailing_id
from pipeline.ingest.readers.blogger_feed_atom import ATOM, OPENSEARCH_NS, entry_from_element
from pipeline.ingest.readers.blogger_feed_json import entry_from_json
from pipeline.ingest.xmlsafe import XmlBroken, iter_children
from pipeline.records import InputError

FEED_FORMATS = ("atom", "json")
# file-name suffix of a raw page: the ingest readers sniff content, the suffix is for people
SUFFIX = {"atom": ".atom.xml", "json": ".json"}

_FEEDS_PATH = re.compile(r"^(?P<root>.*?/feeds(?:/\d+)?)/(?:posts|comments|\d+/comments)/")
_FEED_POST = re.compile(r"/feeds/(?:\d+/)?(\d+)/comments/")
_CALLBACK = re.compile(r"^\s*[\w.$]+\(\s*(\{.*\})\s*\)\s*;?\s*$", re.S)
_NEXT_ATOM = re.compile(r"""<(?:\w+:)?link\b(?=[^>]*\brel\s*=\s*['"]next['"])[^>]*\bhref\s*=\s*['"]([^'"]+)['"]""")
_NEXT_JSON = re.compile(r'"rel"\s*:\s*"next"[^{}]*?"href"\s*:\s*"([^"]+)"|"href"\s*:\s*"([^"]+)"[^{}]*?"rel"\s*:\s*"next"')


class SyncError(UserError):
    """A sync that cannot go on: a bad URL, a refused or failed request (one line)."""


class MalformedPage(Exception):
    """A fetched page that is not a readable Blogger feed page."""


@dataclass(frozen=True)
class Blog:
    """A blog as the sync sees it: where its feeds are, and a folder-safe host name."""

    feeds_root: str   # e.g. https://example.blogspot.com/feeds (the watermark's key)
    host: str         # e.g. example.blogspot.com, or 127.0.0.1_8123

    @property
    def key(self) -> str:
        return self.feeds_root


def blog_of(url: str) -> Blog:
    """The blog of a blog address (any page of it) or of a Blogger feed URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SyncError(f"{url!r} is not an http(s) address: give the blog's address or a Blogger feed URL")
    m = _FEEDS_PATH.match(parts.path + ("/" if not parts.path.endswith("/") else ""))
    root = m.group("root") if m else "/feeds"
    host = parts.hostname.lower() + (f"_{parts.port}" if parts.port else "")
    return Blog(f"{parts.scheme}://{parts.netloc.lower()}{root}", host)


def feed_url(blog: Blog, feed: str, fmt: str, *, post_id: str | None = None, start_index: int = 1,
             max_results: int = 100, updated_min: str | None = None) -> str:
    """The first URL of a feed: ``posts``, ``comments`` (blog-wide) or ``post_comments``."""
    if fmt not in FEED_FORMATS:
        raise SyncError(f"feed format {fmt!r} is not one of {', '.join(FEED_FORMATS)}")
    path = {"posts": "/posts/default", "comments": "/comments/default"}.get(feed)
    if feed == "post_comments":
        if not post_id:
            raise ValueError("post_comments needs a post id")
        path = f"/{post_id}/comments/default"
    if path is None:
        raise ValueError(f"unknown feed {feed!r}")
    query: dict[str, str | int] = {"alt": fmt, "start-index": start_index, "max-results": max_results}
    if updated_min:
        query.update({"orderby": "updated", "updated-min": updated_min})
    return f"{blog.feeds_root}{path}?{urlencode(query)}"


@dataclass(frozen=True)
class PageEntry:
    blogger_id: str
    kind: str                 # post | comment | other
    post_id: str | None       # the post of a comment (the post itself for a post)
    updated: str | None       # as the feed spells it


@dataclass(frozen=True)
class Page:
    entries: tuple[PageEntry, ...]
    next_href: str | None
    total_results: int | None = None


def _post_of(kind: str, bid: str | None, reply_ref: str | None, links: Iterable[tuple[str, str]],
             feed_post: str | None) -> str | None:
    if kind == "post":
        return bid
    if pid := trailing_id(reply_ref):
        return pid
    for _, href in links:
        if href and (m := _FEED_POST.search(urlsplit(href).path)):
            return m.group(1)
    return feed_post


def _feed_post(feed_id: str | None) -> str | None:
    m = re.search(r"\.post-?(\d+)\.\.comments$", (feed_id or "").strip())
    return m.group(1) if m else None


def _atom_page(body: bytes) -> Page:
    raw: list[tuple[object, str | None]] = []
    next_href = feed_id = None
    total = None
    try:
        for el, _ in iter_children(io.BytesIO(body), (ATOM + "feed",)):
            tag = el.tag
            if tag == ATOM + "entry":
                upd = el.find(ATOM + "updated")
                raw.append((entry_from_element(el, len(raw) + 1), upd.text if upd is not None else None))
            elif tag == ATOM + "link" and el.get("rel") == "next":
                next_href = el.get("href")
            elif tag == ATOM + "id":
                feed_id = el.text
            elif tag in {ns + "totalResults" for ns in OPENSEARCH_NS} and (el.text or "").strip().isdigit():
                total = int(el.text or 0)
    except XmlBroken as exc:
        raise MalformedPage(f"not well-formed XML ({exc.message} at line {exc.line}, column {exc.column})") from None
    except InputError as exc:  # unsafe XML (entities, DTD) or no Atom feed root
        raise MalformedPage(exc.message) from None
    fp = _feed_post(feed_id)
    entries = []
    for e, updated in raw:
        bid = trailing_id(e.atom_id)  # type: ignore[attr-defined]
        if not bid:
            continue
        kind = entry_kind(e)  # type: ignore[arg-type]
        entries.append(PageEntry(bid, kind if kind in ("post", "comment") else "other",
                                 _post_of(kind, bid, e.reply_to_ref, e.links, fp),  # type: ignore[attr-defined]
                                 (updated or "").strip() or None))
    return Page(tuple(entries), next_href, total)


def _json_page(body: bytes) -> Page:
    try:
        text = body.decode("utf-8-sig")
        m = _CALLBACK.match(text)
        data = json.loads(m.group(1) if m else text)
    except (UnicodeError, json.JSONDecodeError) as exc:
        raise MalformedPage(f"not valid JSON ({exc})") from None
    feed = data.get("feed") if isinstance(data, dict) else None
    if not isinstance(feed, dict):
        raise MalformedPage("JSON has no 'feed' object: not a Blogger ?alt=json feed page")

    def items(value) -> list[dict]:
        if isinstance(value, dict):
            return [value]
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []

    def t(value) -> str | None:
        value = value.get("$t") if isinstance(value, dict) else value
        return value if isinstance(value, str) else None

    fp = _feed_post(t(feed.get("id")))
    entries = []
    for n, d in enumerate(items(feed.get("entry")), 1):
        e = entry_from_json(d, n)
        bid = trailing_id(e.atom_id)
        if not bid:
            continue
        kind = entry_kind(e)
        entries.append(PageEntry(bid, kind if kind in ("post", "comment") else "other",
                                 _post_of(kind, bid, e.reply_to_ref, e.links, fp), (t(d.get("updated")) or "").strip() or None))
    next_href = next((ln.get("href") for ln in items(feed.get("link")) if ln.get("rel") == "next"), None)
    total = (t(feed.get("openSearch$totalResults")) or "").strip()
    return Page(tuple(entries), next_href, int(total) if total.isdigit() else None)


def parse_page(body: bytes, fmt: str) -> Page:
    """The sync facts of one feed page; :class:`MalformedPage` if it cannot be read."""
    if not body.strip():
        raise MalformedPage("empty response")
    return _atom_page(body) if fmt == "atom" else _json_page(body)


def next_link_fallback(body: bytes, fmt: str) -> str | None:
    """The ``rel="next"`` link of a page that does not parse (it usually precedes the entries)."""
    text = body.decode("utf-8", "replace")
    if fmt == "atom":
        m = _NEXT_ATOM.search(text)
        return html.unescape(m.group(1)) if m else None
    m = _NEXT_JSON.search(text)
    return (m.group(1) or m.group(2)) if m else None


def _stamp(value: str | None) -> datetime | None:
    return parse_utc(value)


def latest_updated(current: str | None, entries: Iterable[PageEntry]) -> str | None:
    """The new watermark: the latest ``updated`` of ``current`` and the entries (as spelled)."""
    best, best_t = current, _stamp(current)
    for e in entries:
        t = _stamp(e.updated)
        if t is not None and (best_t is None or t > best_t):
            best, best_t = e.updated, t
    return best


def changed_posts(entries: Iterable[PageEntry]) -> list[str]:
    """The posts whose comments appear in a comments delta, in first-seen order."""
    return list(dict.fromkeys(e.post_id for e in entries if e.kind == "comment" and e.post_id))


def missing_comments(known: Iterable[str], present: Iterable[str]) -> list[str]:
    """Comments known before that a post's complete comments feed no longer lists."""
    have = set(present)
    return sorted(k for k in set(known) if k not in have)


__all__ = [
    "FEED_FORMATS", "SUFFIX", "Blog", "MalformedPage", "Page", "PageEntry", "SyncError", "blog_of", "feed_url",
    "parse_page", "next_link_fallback", "latest_updated", "changed_posts", "missing_comments",
]
