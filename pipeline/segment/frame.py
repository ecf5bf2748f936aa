"""The segment stage over DataFrames: documents in publication order, so a quotation
of a passage the source had itself pasted is known as pasted. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from itertools import chain

import pandas as pd

from pipeline.clean.signoff import Signoff, is_anonymous
from pipeline.segment.core import (
    DocInput,
    Match,
    Segmentation,
    SegmentOptions,
    TextSignals,
    ThreadIndex,
    ThreadView,
    segment_document,
    text_signals_of,
)
from pipeline.shards import Mapper, serial_map, slices

SEGMENT_COLUMNS = ["doc_id", "seg_no", "start", "end", "kind", "source_doc_id", "signal", "author", "reason",
                   "score"]
OWN_COLUMNS = ["doc_id", "own_text", "post_own_intro", "author_inferred", "republished_from", "republished_author"]


def _over(segs: Iterable[tuple[int, int, str, str | None]], start: int, end: int) -> tuple[str, str | None]:
    """The (kind, source) covering most of ``[start, end)``."""
    cover: dict[tuple[str, str | None], int] = {}
    for s, e, k, src in segs:
        ov = min(e, end) - max(s, start)
        if ov > 0:
            cover[(k, src)] = cover.get((k, src), 0) + ov
    return max(cover, key=cover.get) if cover else ("own", None)


def _signoff(row) -> Signoff | None:
    if not isinstance(row.signoff, str) or pd.isna(row.signoff_start):
        return None
    return Signoff(row.signoff_raw, row.signoff, int(row.signoff_start), int(row.signoff_end))


def segment_frame(todo: pd.DataFrame, spans: pd.DataFrame, rank: pd.Series, *,
                  thread_docs: pd.DataFrame | None = None, copy_of: Mapping[str, str] | None = None,
                  stored_segments: pd.DataFrame | None = None,
                  stored_authors: Mapping[str, str | None] | None = None,
                  anonymous: Iterable[str], opts: SegmentOptions,
                  mapper: Mapper = serial_map,
                  shard_size: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segment the documents in ``todo`` (``doc_id, post_id, kind, author, title,
    clean_text, signoff_raw, signoff, signoff_start, signoff_end``).

    ``spans``: shared passages (``doc_id, start, end, source_doc_id, src_start,
    src_end``); only passages found in an *earlier* document (by ``rank``) and outside
    the document's own copy cluster (``copy_of``: doc -> canonical), and not taken by
    the source from that cluster, count as quotations.
    ``thread_docs`` (``doc_id, post_id, clean_text``) are where short quotations are
    looked up. ``stored_segments``/``stored_authors`` describe sources segmented in an
    earlier run. Returns (segments, own) frames.

    With ``shard_size``, what each text says apart from every other document
    (:func:`~pipeline.segment.core.text_signals`, most of the work) is found by
    ``mapper`` over shards of that many documents in publication order (worker
    processes side by side, or a Dask cluster's workers; results in order), while this
    process segments each document as its shard comes back; without it, each
    document's are found here as it is segmented. The same frames either way.
    """
    copy_of = dict(copy_of or {})
    anonymous = tuple(anonymous)
    seg_by_doc: dict[str, list[tuple[int, int, str, str | None]]] = {}
    if stored_segments is not None and not stored_segments.empty:
        for r in stored_segments.itertuples(index=False):
            src = r.source_doc_id if isinstance(r.source_doc_id, str) else None
            seg_by_doc.setdefault(r.doc_id, []).append((int(r.start), int(r.end), r.kind, src))
    authors: dict[str, str | None] = dict(stored_authors or {})
    by_doc_spans: dict[str, list] = {}
    for r in spans.itertuples(index=False):
        by_doc_spans.setdefault(r.doc_id, []).append(r)
    ranks = rank.to_dict()
    # Each thread's texts are folded and indexed once, not once per later comment: when
    # its first document here comes up, and dropped after its last, so that memory holds
    # the threads in progress, not every thread of the corpus.
    gram = max(1, opts.thread_quote_min_words - 2)
    members: dict[str, list[tuple[str, str]]] = {}
    if thread_docs is not None:
        for doc_id, post_id, text in zip(thread_docs["doc_id"], thread_docs["post_id"], thread_docs["clean_text"]):
            if doc_id in ranks:
                members.setdefault(post_id, []).append((doc_id, text))
    threads: dict[str, ThreadIndex] = {}

    def thread_index(post_id: str) -> ThreadIndex | None:
        index = threads.get(post_id)
        if index is None and post_id in members:
            index = threads[post_id] = ThreadIndex(gram)
            for doc_id, text in members[post_id]:
                index.add(doc_id, text, ranks[doc_id])
        return index

    def cluster(d: str) -> str:
        return copy_of.get(d, d)

    def source_kind(source: str, s: int, e: int) -> str:
        return _over(seg_by_doc.get(source, ()), s, e)[0]

    def origin(source: str, s: int, e: int) -> str:
        """Where the passage of ``source`` came from: its own source if it quoted it."""
        return _over(seg_by_doc.get(source, ()), s, e)[1] or source

    seg_rows, own_rows = [], []
    order = todo.assign(_r=todo["doc_id"].map(rank)).sort_values(["_r", "doc_id"])
    last_of_thread = {p: i for i, p in enumerate(order["post_id"])}
    titles = [t if isinstance(t, str) else None for t in order["title"]]  # a missing title is NaN in the frame
    found = _text_signals(order, titles, opts, mapper, shard_size)
    for i, (row, title, pre) in enumerate(zip(order.itertuples(index=False), titles, found, strict=True)):
        me = ranks[row.doc_id]
        matches = [Match(int(s.start), int(s.end), s.source_doc_id, int(s.src_start), int(s.src_end))
                   for s in by_doc_spans.get(row.doc_id, ())
                   if s.source_doc_id in ranks and ranks[s.source_doc_id] < me
                   and cluster(s.source_doc_id) != cluster(row.doc_id)
                   and cluster(origin(s.source_doc_id, int(s.src_start), int(s.src_end))) != cluster(row.doc_id)]
        matches.sort(key=lambda m: -ranks[m.source_doc_id])
        index = thread_index(row.post_id)
        author = None if is_anonymous(row.author, anonymous) else row.author
        d = DocInput(row.doc_id, row.kind, row.clean_text, title, author, _signoff(row), matches,
                     thread=ThreadView(index, me) if index is not None else None)
        res: Segmentation = segment_document(d, opts, source_kind, lambda x: authors.get(x), pre)
        seg_by_doc[row.doc_id] = [(s.start, s.end, s.kind, s.source_doc_id) for s in res.segments]
        inferred = author or (row.signoff if res.signoff_is_own and isinstance(row.signoff, str) else None) \
            or (row.author if isinstance(row.author, str) else None)
        authors[row.doc_id] = inferred
        for s in res.segments:
            seg_rows.append((row.doc_id, s.seg_no, s.start, s.end, s.kind, s.source_doc_id, s.signal,
                             s.author if s.kind != "own" else inferred, s.reason, s.score))
        own_rows.append((row.doc_id, res.own_text, res.post_own_intro, inferred, res.republished_from,
                         res.republished_author))
        if last_of_thread.get(row.post_id) == i:
            threads.pop(row.post_id, None)
    return pd.DataFrame(seg_rows, columns=SEGMENT_COLUMNS), pd.DataFrame(own_rows, columns=OWN_COLUMNS)


def _text_signals(order: pd.DataFrame, titles: list[str | None], opts: SegmentOptions,
                  mapper: Mapper,
                  shard_size: int | None) -> Iterator[TextSignals | None]:
    """Each document's :class:`TextSignals`, in ``order``'s order (``titles``: its
    documents' titles), found by ``mapper`` over shards of ``shard_size`` documents as they
    are taken; ``None`` for each (found as each is segmented) without ``shard_size``."""
    if not shard_size:
        return iter([None] * len(order))
    docs = list(zip(order["clean_text"], order["kind"], titles))
    shards = slices(docs, shard_size)
    return chain.from_iterable(mapper(partial(text_signals_of, opts=opts), shards))


__all__ = ["segment_frame", "SEGMENT_COLUMNS", "OWN_COLUMNS"]
