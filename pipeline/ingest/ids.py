"""Corpus-wide document ids. Pure functions.

A post's id comes from its blog-local date and folded title, so the same post reached
through a text copy, a saved page or a feed gets the same id. Where there is no title
(glued text copies) it comes from the folded start of its body. A comment's id comes
from its post id, its folded text and its occurrence number among identical texts in
that post, so the same comment from two forms of the same page is one document.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np

from pipeline.ingest.blogger import page_url_key
from pipeline.records import Document, ParseResult, RawDoc
from pipeline.textnorm import fingerprint, fold, short_hash


def local_date(ts: datetime | None, date_only: bool, tz: str) -> str | None:
    if ts is None:
        return None
    if date_only:
        return ts.date().isoformat()
    return ts.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(tz)).date().isoformat()


def post_key(doc: RawDoc, tz: str) -> str:
    """The natural key of a post: 'date|folded title', or 'body|<fingerprint of start>'."""
    day = local_date(doc.published_at, doc.date_only, tz)
    title = fold(doc.title or "")
    if day and title:
        return f"{day}|{title}"
    return "body|" + fingerprint(doc.text[:600])


def post_doc_id(key: str) -> str:
    return "p_" + short_hash(key)


def _owner(cid: str, known: Mapping[str, str], new: Mapping[str, str]) -> str | None:
    return known.get("owner:" + cid) or new.get("owner:" + cid)


@dataclass
class _Ids:
    """What the phases of :func:`assign_ids` share: the keys known before (``known``),
    the keys learnt now (``new_keys``), and the ids given so far."""

    known: Mapping[str, str]
    new_keys: dict[str, str] = field(default_factory=dict)
    posts: dict[str, str] = field(default_factory=dict)  # a post's local id -> doc id
    comments: dict[tuple[str, str], str] = field(default_factory=dict)  # (post local id, local id) -> doc id


def assign_ids(
    result: ParseResult, tz: str, known_posts: Mapping[str, str] | None = None
) -> tuple[list[Document], dict[str, str]]:
    """Turn a reader's RawDocs into Documents with corpus-wide ids.

    ``known_posts`` maps keys already known (in the store or earlier in this batch) to
    doc ids: post keys ('date|title', 'body|...', 'blogger:<post id>', 'blogger:url:<page>'),
    so another form of a post joins it and comments from a comments-only feed or page join
    their post whichever arrives first; 'comment:<Blogger comment id>', so a reply on one
    feed page finds its parent on another; and 'owner:<doc id>' -> Blogger comment id, so
    two different comments with the same text on different pages stay two documents.
    Returns the documents and the keys to remember.

    Phases: post ids, then comment ids (which need their posts'), then the documents
    (which need their parents').
    """
    ids = _Ids(known_posts or {})
    fps = [fingerprint(d.text) for d in result.docs]
    _assign_post_ids(result.docs, tz, ids)
    _assign_comment_ids(result.docs, fps, ids)
    return [_document(d, fp, ids) for d, fp in zip(result.docs, fps)], ids.new_keys


def _assign_post_ids(docs: Sequence[RawDoc], tz: str, ids: _Ids) -> None:
    for d in docs:
        if d.kind != "post":
            continue
        natural = post_key(d, tz)
        body_key = "body|" + fingerprint(d.text[:600])
        # Identity: the Blogger id, else the date|title key. The body key only places a
        # copy that has no date or title (a glued copy); it never merges two posts that
        # have their own titles.
        lookup = (["blogger:" + d.blogger_id] if d.blogger_id else []) + [natural]
        if d.url:
            lookup.append("blogger:" + page_url_key(d.url))
        pid = next((ids.known[k] for k in lookup if k in ids.known), None) or post_doc_id(natural)
        ids.posts[d.local_id] = pid
        ids.new_keys.update({k: pid for k in lookup})
        if natural != body_key and body_key not in ids.known:
            ids.new_keys.setdefault(body_key, pid)


def _assign_comment_ids(docs: Sequence[RawDoc], fps: Sequence[str], ids: _Ids) -> None:
    known, new_keys = ids.known, ids.new_keys
    seen: Counter[tuple[str, str]] = Counter()
    for d, fp in zip(docs, fps):
        if d.kind != "comment":
            continue
        pid = ids.posts.get(d.post_local) or known.get("blogger:" + d.post_local)
        if pid is None:  # comments whose post is not in this input (a comments feed)
            pid = post_doc_id("blogger:" + d.post_local)
            new_keys["blogger:" + d.post_local] = pid
        bid = d.blogger_id
        cid = known.get("comment:" + bid) if bid else None
        if cid is None:
            n = seen[(pid, fp)] + 1
            cid = "c_" + short_hash(pid, fp, str(n))
            while bid and _owner(cid, known, new_keys) not in (None, bid):
                n += 1  # another Blogger comment with the same text holds this id
                cid = "c_" + short_hash(pid, fp, str(n))
            seen[(pid, fp)] = n
        if bid:
            new_keys["comment:" + bid] = cid
            new_keys["owner:" + cid] = bid
        ids.comments[(d.post_local, d.local_id)] = cid
        ids.posts.setdefault(d.post_local, pid)


def _document(d: RawDoc, fp: str, ids: _Ids) -> Document:
    if d.kind == "post":
        doc_id, parent = ids.posts[d.local_id], None
    else:
        doc_id, parent = ids.comments[(d.post_local, d.local_id)], None
        if d.parent_local:
            parent = (ids.comments.get((d.post_local, d.parent_local))
                      or ids.known.get("comment:" + d.parent_local)
                      or ids.new_keys.get("comment:" + d.parent_local))
    return _make_document(d, doc_id, ids.posts[d.post_local if d.kind == "comment" else d.local_id], parent, fp)


def _make_document(d: RawDoc, doc_id: str, post_id: str, parent: str | None, fp: str) -> Document:
    return Document(
        doc_id=doc_id,
        kind=d.kind,
        post_id=post_id,
        parent_id=parent,
        position=d.position,
        author=d.author,
        published_at=d.published_at,
        date_only=d.date_only,
        title=d.title,
        url=d.url,
        text=d.text,
        blogger_id=d.blogger_id,
        flags=d.flags,
        locator=d.locator,
        fingerprint=fp,
    )


class StreamIds:
    """Ids for a streamed input: one post, then its comments batch by batch, equal to what
    ``assign_ids`` gives for the whole input. For readers whose comments carry no Blogger
    id and whose replies answer the latest top-level comment (text copies).

    State held: one bit of memory per distinct comment text (its 64-bit fingerprint, in a
    sorted array: 8 bytes a comment), the counts of repeated texts, and the latest
    top-level comment; never the documents.
    """

    def __init__(self, post: RawDoc, tz: str, known_posts: Mapping[str, str] | None = None):
        if post.kind != "post":
            raise ValueError("a streamed input starts with its post")
        docs, self.keys = assign_ids(ParseResult(format="", docs=[post]), tz, known_posts)
        self.post = docs[0]
        self._post_local = post.local_id
        self._seen = np.empty(0, dtype=np.uint64)   # fingerprints seen once or more, sorted
        self._repeats: dict[int, int] = {}           # fingerprint -> occurrences so far, when > 1
        self._top: dict[str, str] = {}               # local id -> doc id of the latest top-level comment

    def comments(self, batch: Sequence[RawDoc]) -> list[Document]:
        """The next comments of the post, in order, as Documents."""
        fps = [fingerprint(d.text) for d in batch]
        keys = np.array([int(fp, 16) for fp in fps], dtype=np.uint64)
        at = np.searchsorted(self._seen, keys)
        old = np.zeros(len(keys), dtype=bool)
        inside = at < len(self._seen)
        old[inside] = self._seen[at[inside]] == keys[inside]
        new_first: set[int] = set()
        local_ids = dict(self._top)
        out: list[Document] = []
        for d, fp, key, was_seen in zip(batch, fps, keys.tolist(), old.tolist()):
            if d.kind != "comment" or d.blogger_id or d.post_local != self._post_local:
                raise ValueError("a streamed input holds one post and comments without Blogger ids")
            if was_seen or key in new_first:
                n = self._repeats.get(key, 1) + 1
                self._repeats[key] = n
            else:
                new_first.add(key)
                n = 1
            cid = "c_" + short_hash(self.post.doc_id, fp, str(n))
            parent = local_ids.get(d.parent_local) if d.parent_local else None
            local_ids[d.local_id] = cid
            if not d.parent_local:
                self._top = {d.local_id: cid}
            out.append(_make_document(d, cid, self.post.doc_id, parent, fp))
        if new_first:
            self._seen = np.union1d(self._seen, np.fromiter(new_first, dtype=np.uint64, count=len(new_first)))
        return out
