"""The clean stage over a DataFrame of documents. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd

from pipeline.clean.links import extract_links
from pipeline.clean.mentions import extract_mentions
from pipeline.clean.signoff import SignoffOptions, find_signoff
from pipeline.clean.text import CleanOptions, clean_text
from pipeline.shards import Mapper, serial_map, slices
from pipeline.textnorm import fingerprint

CLEAN_COLUMNS = ["doc_id", "clean_text", "clean_hash", "signoff_raw", "signoff", "signoff_start", "signoff_end"]
LINK_COLUMNS = ["doc_id", "position", "url", "domain", "start", "end"]
MENTION_COLUMNS = ["doc_id", "seq", "raw", "start", "end", "hour", "minute", "on", "days_back", "pattern", "name"]


@dataclass(frozen=True)
class CleanResult:
    """Per-document cleaned text and sign-off, and the links and mentions found in it."""

    docs: pd.DataFrame
    links: pd.DataFrame
    mentions: pd.DataFrame


Rows = tuple[list[tuple], list[tuple], list[tuple]]


def clean_rows(docs: Sequence[tuple[str, str | None]], opts: CleanOptions, signoff_opts: SignoffOptions) -> Rows:
    """The rows :func:`clean_frame` makes of ``(doc_id, text)`` pairs (one shard's work):
    cleaned documents, links and mentions."""
    rows, link_rows, mention_rows = [], [], []
    for doc_id, text in docs:
        ct = clean_text(text or "", opts)
        so = find_signoff(ct, 0, None, signoff_opts)
        rows.append((doc_id, ct, fingerprint(ct), so.raw if so else None, so.name if so else None,
                     so.start if so else None, so.end if so else None))
        for link in extract_links(ct):
            link_rows.append((doc_id, link.position, link.url, link.domain, link.start, link.end))
        for i, m in enumerate(extract_mentions(ct)):
            mention_rows.append((doc_id, i, m.raw, m.start, m.end, m.hour, m.minute, m.on, m.days_back,
                                 m.pattern, m.name))
    return rows, link_rows, mention_rows


def clean_frame(docs: pd.DataFrame, opts: CleanOptions, signoff_opts: SignoffOptions,
                mapper: Mapper = serial_map,
                shard_size: int | None = None) -> CleanResult:
    """Clean every row of ``docs`` (columns ``doc_id``, ``text``).

    ``clean_hash`` is the fingerprint of the cleaned text (equal for texts that differ
    only in layout, case or punctuation). Offsets in the outputs are into ``clean_text``.
    With ``shard_size``, ``mapper`` cleans shards of that many documents (each on its
    own: worker processes side by side, or a Dask cluster's workers; results in order);
    without it, all are cleaned here. The same frames either way.
    """
    items = list(zip(docs["doc_id"], docs["text"]))
    shards = slices(items, shard_size or len(items))
    rows: list[tuple] = []
    link_rows: list[tuple] = []
    mention_rows: list[tuple] = []
    run = mapper if shard_size else serial_map
    for done in run(partial(clean_rows, opts=opts, signoff_opts=signoff_opts), shards):
        rows += done[0]
        link_rows += done[1]
        mention_rows += done[2]
    out = pd.DataFrame(rows, columns=CLEAN_COLUMNS)
    for col in ("signoff_start", "signoff_end"):
        out[col] = out[col].astype("Int64")
    mentions = pd.DataFrame(mention_rows, columns=MENTION_COLUMNS)
    mentions["days_back"] = mentions["days_back"].astype("Int64")
    return CleanResult(out, pd.DataFrame(link_rows, columns=LINK_COLUMNS), mentions)


__all__ = ["CleanResult", "clean_frame", "clean_rows", "CLEAN_COLUMNS", "LINK_COLUMNS", "MENTION_COLUMNS"]
