"""Corpus-wide document ids. Pure functions.

A post's id comes from its blog-local date and folded title, so the same post reached
through a text copy, a saved page or a feed gets the same id. Where there is no title
(glued text copies) it comes from the folded start of its body. A comment's id comes
from its post id, its folded text and its occurrence number among identical texts in
that post, so the same comment from two forms of the same page is one document.
"""

from __future__ import annotations

import re
from collections import ChainMap, Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np

from pipeline.ingest.blogger import BLOGGER_ID, number_positions, page_url_key
from pipeline.records import UNPLACED_ROW, Document, ParseResult, RawDoc, Reject
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


TABLE_POST = "table:post:"
"""Key prefix: a table's post by its row id (``table:post:<id>`` -> doc id)."""
TABLE_AMBIGUOUS = "table:ambiguous:"
"""Key prefix: a row id that two different posts of tables have had (never resolved)."""
_URL = re.compile(r"(?i)^https?://")


def table_comment_key(post_id: str, local_id: str) -> str:
    """Key of a table's comment by its row id, within its post (doc id)."""
    return f"table:comment:{post_id}:{local_id}"


def _owner(cid: str, known: Mapping[str, str], new: Mapping[str, str]) -> str | None:
    return known.get("owner:" + cid) or new.get("owner:" + cid)


@dataclass
class _Ids:
    """What the phases of :func:`assign_ids` share: the keys known before (``known``),
    the keys learnt now (``new_keys``), and the ids given so far."""

    known: Mapping[str, str]
    table: bool = False  # the input's local ids are a table's row ids
    outside: Mapping[str, str] = field(default_factory=dict)  # post reference -> doc id (resolve_outside)
    new_keys: dict[str, str] = field(default_factory=dict)
    posts: dict[str, str] = field(default_factory=dict)  # a post's local id -> doc id
    comments: dict[tuple[str, str], str] = field(default_factory=dict)  # (post local id, local id) -> doc id


def assign_ids(
    result: ParseResult, tz: str, known_posts: Mapping[str, str] | None = None,
    outside: Mapping[str, str] | None = None,
) -> tuple[list[Document], dict[str, str]]:
    """Turn a reader's RawDocs into Documents with corpus-wide ids.

    ``known_posts`` maps keys already known (in the store or earlier in this batch) to
    doc ids: post keys ('date|title', 'body|...', 'blogger:<post id>', 'blogger:url:<page>'),
    so another form of a post joins it and comments from a comments-only feed or page join
    their post whichever arrives first; 'comment:<Blogger comment id>', so a reply on one
    feed page finds its parent on another; and 'owner:<doc id>' -> Blogger comment id, so
    two different comments with the same text on different pages stay two documents.
    A table's rows (``result.table_ids``) are also remembered by their row ids
    ('table:post:<id>', 'table:comment:<post doc id>:<id>'), so that another table may
    name them; its comments on posts outside the input must have been placed by
    :func:`resolve_outside`, whose ``outside`` map (post reference -> doc id) is passed here.
    Returns the documents and the keys to remember.

    Phases: post ids, then comment ids (which need their posts'), then the documents
    (which need their parents').
    """
    if result.outside_rows and outside is None:
        raise ValueError("a table with rows naming other inputs: place them with resolve_outside first")
    ids = _Ids(known_posts or {}, table=result.table_ids, outside=outside or {})
    fps = [fingerprint(d.text) for d in result.docs]
    _assign_post_ids(result.docs, tz, ids)
    _assign_comment_ids(result.docs, fps, ids)
    return [_document(d, fp, ids) for d, fp in zip(result.docs, fps)], ids.new_keys


def post_keys_of(result: ParseResult, tz: str, known: Mapping[str, str]) -> dict[str, str]:
    """The keys :func:`assign_ids` will learn for the posts of ``result``: learnt before
    any input of a batch is placed, a table's comments find a post whichever file of the
    batch holds it."""
    return _post_ids(result, tz, known).new_keys


def _post_ids(result: ParseResult, tz: str, known: Mapping[str, str]) -> _Ids:
    """The ids and keys of ``result``'s posts alone (its comments untouched)."""
    ids = _Ids(known, table=result.table_ids)
    _assign_post_ids(result.docs, tz, ids)
    return ids


def resolve_outside(result: ParseResult, tz: str, known: Mapping[str, str]) -> tuple[ParseResult, dict[str, str]]:
    """Place a table's comments whose post or parent is not a row of the input
    (``result.outside_rows``) against ``known`` (the keys stored and learnt earlier in
    the run). A post is named by its Blogger id (an unknown one is joined when it
    arrives, as a comments feed's), its URL, or a table row id (refused when two posts
    have had that id); a parent by its Blogger id or its row id within the post. What
    cannot be placed becomes an ``unplaced_row`` Reject with the reason and the raw row,
    and so does every reply below it (the input is read again by a later ingest, which
    may place them). Returns the result and the map of post references outside
    the input to their doc ids (for :func:`assign_ids` and for numbering positions)."""
    if not result.outside_rows:
        return result, {}
    scratch = _post_ids(result, tz, known)
    keys = ChainMap(scratch.new_keys, known)
    local_of = {pid: local for local, pid in scratch.posts.items()}
    in_input = {d.local_id for d in result.docs if d.kind == "comment"}  # row ids are unique in a table
    outside: dict[str, str] = {}
    canonical: dict[str, str] = {}  # doc id of a post outside -> the first name it was given
    moved: dict[str, str] = {}  # local id of a comment -> why it cannot be placed
    renamed = False
    docs = list(result.docs)
    for i, d in enumerate(docs):
        if d.kind != "comment" or d.local_id not in result.outside_rows:
            continue
        pid, why = scratch.posts.get(d.post_local), ""
        if pid is None:
            pid, why = _outside_post(d.post_local, keys)
            if pid is not None:  # one name per post (a post of this input: its row id)
                ref = local_of.get(pid) or canonical.setdefault(pid, d.post_local)
                if ref != d.post_local:
                    docs[i] = d = replace(d, post_local=ref)
                    renamed = True
                if pid not in local_of:
                    outside[ref] = pid
        if why:
            moved[d.local_id] = why
        elif d.parent_local and d.parent_local not in in_input:
            post = pid or post_doc_id("blogger:" + d.post_local)
            if not (keys.get("comment:" + d.parent_local) or keys.get(table_comment_key(post, d.parent_local))):
                moved[d.local_id] = (f"unknown parent {d.parent_local!r} (no comment of post {d.post_local!r} in "
                                     "this file, stored or read earlier in this run has that id)")
    changed = bool(moved)
    while changed:  # replies below a moved comment go with it
        changed = False
        for d in docs:
            if d.kind == "comment" and d.local_id not in moved and d.parent_local in moved:
                moved[d.local_id] = f"unknown parent {d.parent_local!r} (its row cannot be placed)"
                changed = True
    raw_of = result.outside_rows
    rejects = [Reject(d.locator, moved[d.local_id], raw_of[d.local_id], UNPLACED_ROW)
               for d in docs if d.kind == "comment" and d.local_id in moved]
    kept = [d for d in docs if not (d.kind == "comment" and d.local_id in moved)]
    if moved or renamed:  # numbered as the reader numbers a post's comments: no gaps, one thread
        kept = number_positions(kept)
    used = {d.post_local for d in kept if d.kind == "comment"}
    return (replace(result, docs=kept, rejects=[*result.rejects, *rejects], outside_rows={}),
            {ref: pid for ref, pid in outside.items() if ref in used})


def _outside_post(ref: str, keys: Mapping[str, str]) -> tuple[str | None, str]:
    """``(doc id, "")`` of a post named outside the input, ``(None, "")`` for an unknown
    Blogger id (joined when its post arrives), or ``(None, why not)``."""
    if BLOGGER_ID.match(ref):
        return keys.get("blogger:" + ref), ""
    if _URL.match(ref):
        pid = keys.get("blogger:" + page_url_key(ref))
        return (pid, "") if pid else (None, f"unknown post {ref!r} (no post of this file, stored or read "
                                            "earlier in this run has that URL)")
    if TABLE_AMBIGUOUS + ref in keys:
        return None, (f"ambiguous post {ref!r} (more than one post stored or read earlier has that id; "
                      "name the post by its URL)")
    pid = keys.get(TABLE_POST + ref)
    return (pid, "") if pid else (None, f"unknown post {ref!r} (not a post row in this file, nor a post "
                                        "stored or read earlier in this run)")


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
        if ids.table:
            key = TABLE_POST + d.local_id
            held = ids.new_keys.get(key) or ids.known.get(key)
            if held in (None, pid):
                ids.new_keys[key] = pid
            else:  # two posts with one row id: neither may be named by it
                ids.new_keys[TABLE_AMBIGUOUS + d.local_id] = pid
        if natural != body_key and body_key not in ids.known:
            ids.new_keys.setdefault(body_key, pid)


def _assign_comment_ids(docs: Sequence[RawDoc], fps: Sequence[str], ids: _Ids) -> None:
    known, new_keys = ids.known, ids.new_keys
    seen: Counter[tuple[str, str]] = Counter()
    for d, fp in zip(docs, fps):
        if d.kind != "comment":
            continue
        pid = ids.posts.get(d.post_local) or ids.outside.get(d.post_local) or known.get("blogger:" + d.post_local)
        if pid is None:  # comments whose post is not in this input (a comments feed)
            if ids.table and not BLOGGER_ID.match(d.post_local):
                raise ValueError(f"comment {d.local_id!r} names post {d.post_local!r} outside the input: "
                                 "place it with resolve_outside first")
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
        elif ids.table:
            new_keys[table_comment_key(pid, d.local_id)] = cid
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
            if parent is None and ids.table:
                parent = ids.known.get(table_comment_key(ids.posts[d.post_local], d.parent_local))
                if parent is None:
                    raise ValueError(f"comment {d.local_id!r} names parent {d.parent_local!r} outside the input: "
                                     "place it with resolve_outside first")
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
