"""Whole short documents reproduced as a block of a longer one. Pure.

Passage alignment needs ``min_match_words``; a one-line comment copied as an anthology
section ("A whale and a plankton are one meal." Brilliant.) is shorter than that. Every
document is also cut into blocks (separator-delimited sections and paragraphs); a
block whose normalised hash equals another document's whole text is that document,
copied.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipeline.dedupe.shingles import Tokens
from pipeline.textnorm import fingerprint

BLOCK_COLUMNS = ["doc_id", "start", "end", "hash", "n_words"]


def blocks(text: str, separator: re.Pattern[str]) -> list[tuple[int, int]]:
    """``(start, end)`` of the sections between ``separator`` lines (the config's
    ``segment.separator_pattern``, compiled multi-line) and of the paragraphs of a cleaned
    text, trimmed, each once."""
    cuts = [0] + [x for m in separator.finditer(text) for x in (m.start(), m.end())] + [len(text)]
    out: set[tuple[int, int]] = set()
    for s, e in zip(cuts[::2], cuts[1::2]):
        for a, b in [(s, e)] + [(s + m.start(), s + m.end()) for m in re.finditer(r"[^\n](?:.|\n(?!\n))*", text[s:e])]:
            seg = text[a:b]
            lead = len(seg) - len(seg.lstrip())
            a2, b2 = a + lead, a + len(seg.rstrip())
            if b2 > a2:
                out.add((a2, b2))
    return sorted(out)


def block_table(docs: pd.DataFrame, min_words: int, separator_pattern: str) -> pd.DataFrame:
    """``doc_id, start, end, hash, n_words`` of every block with at least ``min_words``
    words that is not the whole document (columns ``doc_id``, ``clean_text``)."""
    separator = re.compile(separator_pattern, re.MULTILINE)
    rows = []
    for doc_id, text in zip(docs["doc_id"], docs["clean_text"]):
        whole = text.strip()
        for s, e in blocks(text, separator):
            part = text[s:e]
            n = len(re.findall(r"[^\W_]+", part))
            if n >= min_words and part != whole:
                rows.append((doc_id, s, e, fingerprint(part), n))
    return pd.DataFrame(rows, columns=BLOCK_COLUMNS)


def block_hits(block_rows: pd.DataFrame, doc_hashes: pd.DataFrame) -> pd.DataFrame:
    """``doc_id, start, end, other``: blocks of ``doc_id`` that are the whole text of
    ``other`` (``doc_hashes``: ``doc_id, clean_hash``). The store runs the same join in
    SQL (``pipeline.store.dedupe.block_hits``)."""
    m = block_rows.merge(doc_hashes.rename(columns={"doc_id": "other", "clean_hash": "hash"}), on="hash")
    m = m[m["doc_id"] != m["other"]]
    return m[["doc_id", "start", "end", "other"]].reset_index(drop=True)


def block_spans(hits: pd.DataFrame, tokens: Mapping[str, Tokens]) -> pd.DataFrame:
    """The hits as spans in word indices (as ``align_matches`` gives them), both ways."""
    from pipeline.dedupe.align import SPAN_COLUMNS

    rows = []
    for r in hits.itertuples(index=False):
        ta, tb = tokens[r.doc_id], tokens[r.other]
        idx = np.flatnonzero((ta.starts >= r.start) & (ta.ends <= r.end))
        if idx.size and len(tb):
            rows.append((r.doc_id, int(idx[0]), int(idx[-1]) + 1, r.other, 0, len(tb), 0))
            rows.append((r.other, 0, len(tb), r.doc_id, int(idx[0]), int(idx[-1]) + 1, 0))
    out = pd.DataFrame(rows, columns=SPAN_COLUMNS)
    for c in ("a_start", "a_end", "b_start", "b_end", "n_shingles"):
        out[c] = out[c].astype(np.int64)
    return out


__all__ = ["blocks", "block_table", "block_hits", "block_spans", "BLOCK_COLUMNS"]
