"""Blogger entries: one normalised model for feeds and exports, and its mapping to RawDocs.

Atom feeds, ``?alt=json`` feeds, the legacy backup export and the 2018/Takeout export all
carry the same entry with different spellings. Each reader front end fills an ``Entry``;
``EntryCollector`` decides what the entry is (post, comment, something to skip), links
comments to their post and parent comment, and numbers positions. Pure functions.

Facts used (see docs/formats.md): ids are the trailing digits of
``tag:blogger.com,1999:blog-<BLOG>.post-<ID>`` (kept as text); ``thr:in-reply-to/@ref``
always names the post; a reply carries ``<link rel='related'>`` ending in
``/comments/default/<PARENT_ID>``; in 2018 exports ``blogger:parent`` names the post and
``blogger:inReplyTo`` the parent comment.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pipeline.ingest.html_text import html_to_text, plain_text
from pipeline.records import ParseResult, RawDoc, Reject

_POST_SLOT = re.compile(r"\.post-?(\d+)$")
_TRAILING_DIGITS = re.compile(r"(\d+)$")
_RELATED_PARENT = re.compile(r"/comments/default/(\d+)$")
_FEED_POST = re.compile(r"/feeds/(?:\d+/)?(\d+)/comments/")
_PER_POST_FEED = re.compile(r"\.post-?(\d+)\.\.comments$")
_SHOW_COMMENT = re.compile(r"[?&]showComment=(\d{10,16})")


# ---------------------------------------------------------------- small helpers


def trailing_id(value: str | None) -> str | None:
    """The Blogger id in an Atom id, URL or bare id: the trailing digits, as text."""
    if not value:
        return None
    value = value.strip()
    m = _POST_SLOT.search(value) or _TRAILING_DIGITS.search(value)
    return m.group(1) if m else None


def parse_utc(value: str | None, local_tz: str | None = None) -> datetime | None:
    """An ISO 8601 timestamp (``Z`` or offset) as naive UTC; None if absent or unparseable.

    A value with no offset is taken as UTC, or as wall-clock time in ``local_tz`` if given.
    """
    if not value or not value.strip():
        return None
    try:
        ts = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        return None
    if ts.tzinfo is None:
        return local_to_utc(ts, local_tz) if local_tz else ts
    return ts.astimezone(timezone.utc).replace(tzinfo=None)


def local_to_utc(ts: datetime, tz: str) -> datetime:
    """A naive wall-clock time in the blog's timezone as naive UTC."""
    return ts.replace(tzinfo=ZoneInfo(tz)).astimezone(timezone.utc).replace(tzinfo=None)


def show_comment_time(url: str | None) -> datetime | None:
    """The exact UTC publish time in a permalink's ``showComment=<epoch ms>``."""
    if not url:
        return None
    m = _SHOW_COMMENT.search(url)
    if not m:
        return None
    return datetime.fromtimestamp(int(m.group(1)) / 1000, tz=timezone.utc).replace(tzinfo=None)


BLOGGER_ID = re.compile(r"^\d{15,20}$")
"""A Blogger post or comment id."""


def page_url_key(url: str) -> str:
    """A post URL reduced to what identifies the page: host (blogspot country domains
    folded to .com, ``www.`` dropped) and path, no scheme, query or fragment."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    host = re.sub(r"\.blogspot\.[a-z.]+$", ".blogspot.com", host)
    return f"url:{host}{parts.path}"


def number_positions(docs: list[RawDoc], offsets: dict[str, int] | None = None) -> list[RawDoc]:
    """Posts get position 0; comments 1.. per post by publish time, file order breaking ties.

    Comments without a time sort after timed ones. ``offsets`` (post local id -> n) shifts
    the numbering of a post's comments, for a later page of a paginated feed.
    """
    offsets = offsets or {}
    order = {id(d): i for i, d in enumerate(docs)}
    by_post: dict[str, list[RawDoc]] = {}
    for d in docs:
        if d.kind == "comment":
            by_post.setdefault(d.post_local, []).append(d)
    numbered: dict[int, int] = {}
    for post, comments in by_post.items():
        comments.sort(key=lambda d: (d.published_at is None, d.published_at or datetime.min, order[id(d)]))
        for n, d in enumerate(comments, 1):
            numbered[id(d)] = offsets.get(post, 0) + n
    return [replace(d, position=numbered.get(id(d), 0)) for d in docs]


# ---------------------------------------------------------------- the entry model


@dataclass
class Entry:
    """One Atom/JSON entry, as spelled by any Blogger feed or export (all fields text)."""

    atom_id: str | None = None
    title: str | None = None
    content: str | None = None
    content_type: str = "text"          # text | html | xhtml (xhtml content is given as markup)
    summary_only: bool = False          # the feed gave a summary, not the full content
    published: str | None = None
    author: str | None = None
    links: list[tuple[str, str]] = field(default_factory=list)        # (rel, href)
    categories: list[tuple[str, str]] = field(default_factory=list)   # (scheme, term)
    reply_to_ref: str | None = None     # thr:in-reply-to/@ref: the post
    reply_to_source: str | None = None  # thr:in-reply-to/@source
    total: str | None = None            # thr:total: the post's comment count
    draft: bool = False                 # app:control/app:draft = yes
    b_type: str | None = None           # 2018 export: POST | PAGE | COMMENT
    b_status: str | None = None         # 2018 export: LIVE | DRAFT | SPAM_COMMENT | ...
    b_parent: str | None = None         # 2018 export: the post of a comment
    b_in_reply_to: str | None = None    # 2018 export: the parent comment ('' = top level)
    b_filename: str | None = None       # 2018 export: the post's path on the blog
    locator: str = ""
    raw_fn: Callable[[], str] | None = None  # gives the entry's source text, for a Reject

    def link(self, rel: str) -> str | None:
        return next((href for r, href in self.links if r == rel and href), None)


@dataclass
class FeedInfo:
    """Feed-level facts a reader may meet before or between entries."""

    atom_id: str | None = None
    start_index: int | None = None
    total_results: int | None = None
    next_href: str | None = None


def entry_kind(e: Entry) -> str:
    """post | comment | page | settings | template | other."""
    if e.b_type:
        return {"POST": "post", "COMMENT": "comment", "PAGE": "page"}.get(e.b_type.strip().upper(), "other")
    for scheme, term in e.categories:
        if scheme.endswith("#kind") or "/kind#" in term:
            return term.rsplit("#", 1)[-1] or "other"
    if e.reply_to_ref or e.b_parent:
        return "comment"
    return "post"


def _entry_text(e: Entry) -> str:
    if not e.content:
        return ""
    if e.content_type in ("html", "xhtml", "text/html"):
        return html_to_text(e.content)
    return plain_text(e.content)


def _post_of_comment(e: Entry, feed: FeedInfo) -> str | None:
    for ref in (e.b_parent, e.reply_to_ref):
        if pid := trailing_id(ref):
            return pid
    for href in (e.reply_to_source, *(h for _, h in e.links)):
        if href and (m := _FEED_POST.search(urlsplit(href).path)):
            return m.group(1)
    if feed.atom_id and (m := _PER_POST_FEED.search(feed.atom_id.strip())):
        return m.group(1)
    return None


def _parent_of_comment(e: Entry) -> str | None:
    if e.b_in_reply_to and e.b_in_reply_to.strip():
        return trailing_id(e.b_in_reply_to)
    related = e.link("related")
    if related and (m := _RELATED_PARENT.search(urlsplit(related).path.rstrip("/"))):
        return m.group(1)
    return None


class EntryCollector:
    """Turns entries (in file order) into a ParseResult.

    Keeps live posts and comments; ignores settings/template entries; skips drafts,
    static pages, entries whose 2018 status is not LIVE and comments on skipped posts,
    counting each in a warning. Entries that cannot be placed become Rejects.
    """

    def __init__(self, fmt: str):
        self.fmt = fmt
        self.feed = FeedInfo()
        self.docs: list[RawDoc] = []
        self.rejects: list[Reject] = []
        self.warnings: list[str] = []
        self.skipped: Counter[str] = Counter()
        self.skipped_ids: set[str] = set()
        self.declared = 0
        self.any_total = False

    def add(self, e: Entry) -> None:
        """Map one entry (or skip / reject it)."""
        kind = entry_kind(e)
        bid = trailing_id(e.atom_id)
        if kind in ("settings", "template"):
            return
        if kind not in ("post", "comment"):
            self._skip(bid, "static pages" if kind == "page" else f"'{kind}' entries")
            return
        if e.draft:
            self._skip(bid, f"draft {kind}s")
            return
        if e.b_status and e.b_status.strip().upper() != "LIVE":
            self._skip(bid, f"{kind}s with status {e.b_status.strip().upper()}")
            return
        if not bid:
            self._reject(e, "entry has no Blogger id (<id> missing or not tag:blogger.com,...post-N)")
            return
        published = parse_utc(e.published)
        if e.published and published is None:
            self._reject(e, f"unparseable <published> {e.published.strip()!r}")
            return
        text = _entry_text(e)
        if not text:
            self._reject(e, f"{kind} {bid} has no text (content empty after removing markup)")
            return
        flags = ("summary_only",) if e.summary_only else ()
        author = e.author.strip() if e.author and e.author.strip() else None
        if kind == "post":
            if e.total is not None and e.total.strip().isdigit():
                self.declared += int(e.total)
                self.any_total = True
            url = e.link("alternate") or (e.b_filename.strip() if e.b_filename and e.b_filename.strip() else None)
            self.docs.append(RawDoc(local_id=bid, kind="post", post_local=bid, text=text, author=author,
                                    published_at=published, title=(e.title or "").strip() or None,
                                    url=url, blogger_id=bid, flags=flags, locator=e.locator))
            return
        post = _post_of_comment(e, self.feed)
        if post is None:
            self._reject(e, f"comment {bid} names no post (no thr:in-reply-to, blogger:parent or feed link)")
            return
        parent = _parent_of_comment(e)
        self.docs.append(RawDoc(local_id=bid, kind="comment", post_local=post, text=text,
                                parent_local=parent if parent and parent != post else None,
                                author=author, published_at=published, url=e.link("alternate"),
                                blogger_id=bid, flags=flags, locator=e.locator))

    def _skip(self, bid: str | None, what: str) -> None:
        self.skipped[what] += 1
        if bid:
            self.skipped_ids.add(bid)

    def _reject(self, e: Entry, reason: str) -> None:
        raw = e.raw_fn() if e.raw_fn else ""
        self.rejects.append(Reject(locator=e.locator, reason=reason, raw=raw, code="bad_entry"))

    def result(self, *, drop_orphans: bool) -> ParseResult:
        """The ParseResult so far.

        ``drop_orphans`` (complete exports): comments on skipped posts are skipped too,
        and replies to skipped comments become top-level with the flag ``parent_removed``.
        A later page of one post's comments feed (feed id ``...post<ID>..comments``,
        ``openSearch:startIndex`` > 1) numbers its comments on from the start index.
        """
        docs = self.docs
        if drop_orphans and self.skipped_ids:
            kept: list[RawDoc] = []
            for d in docs:
                if d.kind == "comment" and d.post_local in self.skipped_ids:
                    self._skip(d.local_id, "comments on skipped posts")
                    continue
                if d.kind == "comment" and d.parent_local in self.skipped_ids:
                    d = replace(d, parent_local=None, flags=(*d.flags, "parent_removed"))
                kept.append(d)
            docs = kept
        offsets: dict[str, int] = {}
        per_post_feed = bool(self.feed.atom_id and _PER_POST_FEED.search(self.feed.atom_id.strip()))
        if per_post_feed and self.feed.start_index and self.feed.start_index > 1:
            offsets = {d.post_local: self.feed.start_index - 1 for d in docs if d.kind == "comment"}
        warnings = [f"skipped {n} {what}" for what, n in sorted(self.skipped.items())]
        has_comments = any(d.kind == "comment" for d in docs)
        # thr:total on posts counts comments held elsewhere (their own feeds) unless this
        # input carries comments too (an export): only then is it a count to check.
        declared = self.declared if self.any_total and has_comments else None
        if declared is None and not any(d.kind == "post" for d in docs) and self.feed.total_results is not None \
                and (self.feed.start_index in (None, 1)) and not self.feed.next_href:
            declared = self.feed.total_results  # a complete, single-page comments feed
        return ParseResult(format=self.fmt, docs=number_positions(docs, offsets), declared_comments=declared,
                           warnings=self.warnings + warnings, rejects=self.rejects)


def collect(fmt: str, entries: Iterable[Entry], feed: FeedInfo, *, drop_orphans: bool) -> ParseResult:
    """Map a whole sequence of entries (a feed already in memory) to a ParseResult."""
    col = EntryCollector(fmt)
    col.feed = feed
    for e in entries:
        col.add(e)
    return col.result(drop_orphans=drop_orphans)


__all__ = [
    "Entry", "FeedInfo", "EntryCollector", "collect", "entry_kind", "trailing_id", "parse_utc",
    "local_to_utc", "show_comment_time", "page_url_key", "number_positions",
]
