"""Shared passages between documents, from matching word shingles. Pure.

A passage copied from one document into another shows up as a run of equal shingles
on one diagonal (``pos_b - pos_a`` constant). Typos break a few shingles and leave a
gap; an added or dropped word shifts the diagonal by one. ``align_matches`` chains
matches that are close on both counts into spans, so near-verbatim copies are found
whole, and drops spans too short to be more than a common phrase.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np
import pandas as pd

SPAN_COLUMNS = ["doc_a", "a_start", "a_end", "doc_b", "b_start", "b_end", "n_shingles"]


@dataclass(frozen=True)
class AlignOptions:
    """The passage-alignment keys of ``[dedupe]`` (field names are the TOML keys):
    ``word_shingle`` is the shingle length in words; ``max_gap`` the most shingle
    positions a run may skip (a typo costs ``word_shingle``); ``max_shift`` how far the
    diagonal may drift (words inserted or dropped); ``min_match_words`` the shortest
    span kept, in words."""

    word_shingle: int
    max_gap: int
    max_shift: int
    min_match_words: int


def source_matches(query: pd.DataFrame, index: pd.DataFrame, order: pd.Series,
                   max_sources: int = 5) -> pd.DataFrame:
    """Matching shingles between ``query`` documents and the ``index`` (both tables of
    ``hash, doc_id, pos``; the index includes the query documents).

    For each hash the ``max_sources`` earliest documents holding it (by ``order``:
    doc_id -> rank) are its *sources*; two documents are partners on that hash when one
    of them is a source. So a text pasted a hundred times links every copy to its first
    appearances, without a quadratic blow-up, and a backfilled original is linked to all
    its later copies. Only pairs with a query document are returned, in both
    directions, never a document with itself. The store runs the same logic in SQL
    over the stored index (``pipeline.store.dedupe.postings_needed`` reads only the
    postings this needs).
    """
    cols = ["doc_a", "pos_a", "doc_b", "pos_b"]
    if query.empty or index.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c.startswith("doc") else np.int64) for c in cols})
    idx = index[index["hash"].isin(query["hash"].unique())]
    # integer ids inside (sorted codes, so code order is doc_id order): merges on ints
    codes, uniq = pd.factorize(pd.concat([idx["doc_id"], query["doc_id"]], ignore_index=True), sort=True)
    n_idx = len(idx)
    idx = pd.DataFrame({"hash": idx["hash"].to_numpy(np.int64), "doc": codes[:n_idx].astype(np.int64),
                        "pos": idx["pos"].to_numpy(np.int64)})
    q = pd.DataFrame({"hash": query["hash"].to_numpy(np.int64), "doc": codes[n_idx:].astype(np.int64),
                      "pos": query["pos"].to_numpy(np.int64)})
    rank = pd.Series(uniq).map(order).to_numpy()
    idx["rank"] = rank[idx["doc"].to_numpy()]
    firsts = idx.drop_duplicates(["hash", "doc"]).sort_values(["hash", "rank", "doc"])
    firsts = firsts.groupby("hash", sort=False).head(max_sources)[["hash", "doc"]]
    early = idx.merge(firsts, on=["hash", "doc"])[["hash", "doc", "pos"]]
    p1 = q.merge(early, on="hash", suffixes=("_a", "_b"))
    early_q = early[early["doc"].isin(np.unique(q["doc"].to_numpy()))]
    p2 = early_q.merge(idx[["hash", "doc", "pos"]], on="hash", suffixes=("_a", "_b"))
    m = pd.concat([p1, p2], ignore_index=True)
    m = m[m["doc_a"] != m["doc_b"]]
    a, pa = m["doc_a"].to_numpy(np.int64), m["pos_a"].to_numpy(np.int64)
    b, pb = m["doc_b"].to_numpy(np.int64), m["pos_b"].to_numpy(np.int64)
    both = pd.DataFrame({"doc_a": np.concatenate([a, b]), "pos_a": np.concatenate([pa, pb]),
                         "doc_b": np.concatenate([b, a]), "pos_b": np.concatenate([pb, pa])})
    both = both.drop_duplicates().sort_values(cols).reset_index(drop=True)
    names = np.asarray(uniq, dtype=object)
    return pd.DataFrame({"doc_a": names[both["doc_a"].to_numpy()], "pos_a": both["pos_a"].to_numpy(),
                         "doc_b": names[both["doc_b"].to_numpy()], "pos_b": both["pos_b"].to_numpy()})


def _pair_groups(df: pd.DataFrame, a: str, b: str):
    """Yield ``((a, b), row indices)`` for each distinct pair, faster than a groupby loop."""
    if df.empty:
        return
    codes_a, uniq_a = pd.factorize(df[a], sort=True)
    codes_b, uniq_b = pd.factorize(df[b], sort=True)
    key = codes_a.astype(np.int64) * (len(uniq_b) + 1) + codes_b
    order = np.argsort(key, kind="stable")
    sk = key[order]
    cuts = np.flatnonzero(np.diff(sk)) + 1
    for idx in np.split(order, cuts):
        yield (uniq_a[codes_a[idx[0]]], uniq_b[codes_b[idx[0]]]), idx


def _chain(pos_a: np.ndarray, pos_b: np.ndarray, opts: AlignOptions) -> list[tuple[int, int, int, int, int]]:
    order = np.lexsort((pos_b, pos_a))
    open_: list[list[int]] = []  # [first_a, first_b, last_a, last_b, count]
    done: list[list[int]] = []
    for i in order:
        a, b = int(pos_a[i]), int(pos_b[i])
        still = []
        for c in open_:
            (done if a - c[2] > opts.max_gap + 1 else still).append(c)
        open_ = still
        best, best_shift = None, None
        for c in open_:
            if a <= c[2] or b <= c[3]:
                continue
            shift = abs((b - a) - (c[3] - c[2]))
            if shift <= opts.max_shift and (best is None or shift < best_shift):
                best, best_shift = c, shift
        if best is None:
            open_.append([a, b, a, b, 1])
        else:
            best[2], best[3], best[4] = a, b, best[4] + 1
    done.extend(open_)
    return [(c[0], c[2] + opts.word_shingle, c[1], c[3] + opts.word_shingle, c[4]) for c in done]


def align_matches(matches: pd.DataFrame, opts: AlignOptions,
                  words: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Spans ``doc_a, a_start, a_end, doc_b, b_start, b_end, n_shingles`` (word indices,
    end exclusive) of text shared by each ordered pair in ``matches``. With ``words``
    (doc_id -> folded words) span edges cut by a typo are healed (``extend_spans``)
    before spans shorter than ``min_match_words`` are dropped."""
    rows: list[tuple] = []
    pos_a, pos_b = matches["pos_a"].to_numpy(), matches["pos_b"].to_numpy()
    for (da, db), idx in _pair_groups(matches, "doc_a", "doc_b"):
        for a0, a1, b0, b1, n in _chain(pos_a[idx], pos_b[idx], opts):
            rows.append((da, a0, a1, db, b0, b1, n))
    out = pd.DataFrame(rows, columns=SPAN_COLUMNS)
    for c in ("a_start", "a_end", "b_start", "b_end", "n_shingles"):
        out[c] = out[c].astype(np.int64)
    if words is not None:
        out = extend_spans(out, words, opts.word_shingle)
    keep = ((out["a_end"] - out["a_start"] >= opts.min_match_words)
            & (out["b_end"] - out["b_start"] >= opts.min_match_words))
    return out[keep].reset_index(drop=True)


@lru_cache(maxsize=1 << 18)
def _similarity(a: str, b: str) -> float:
    """difflib's ratio of two words; cached (span edges meet the same word pairs again and
    again, and this was most of a first run's dedupe time)."""
    return SequenceMatcher(None, a, b).ratio()


def _extend_edge(wa: Sequence[str], wb: Sequence[str], i: int, j: int, step: int, limit: int) -> tuple[int, int]:
    """Walk from word ``i`` of a / ``j`` of b (the first word outside the span) in
    direction ``step`` while the words agree, or differ by a typo (a similar word that
    the next words confirm, or a very similar one)."""
    taken = 0
    while taken < limit and 0 <= i < len(wa) and 0 <= j < len(wb):
        if wa[i] != wb[j]:
            sim = _similarity(wa[i], wb[j])
            ni, nj = i + step, j + step
            confirmed = not (0 <= ni < len(wa) and 0 <= nj < len(wb)) or wa[ni] == wb[nj]
            # a typo: confirmed by the next words, or so close it needs no confirmation
            if not ((sim >= 0.6 and confirmed) or (sim >= 0.75 and min(len(wa[i]), len(wb[j])) >= 4)):
                break
        i, j, taken = i + step, j + step, taken + 1
    return i, j


def extend_spans(spans: pd.DataFrame, words: Mapping[str, Sequence[str]], k: int) -> pd.DataFrame:
    """Heal span edges that shingling cuts off: a typo within the first or last ``k``
    words of a copied passage leaves no whole shingle there. Each edge is extended word
    by word (at most ``k`` words) while the words agree or differ by a typo."""
    if spans.empty:
        return spans
    cols: dict[str, list[int]] = {"a_start": [], "a_end": [], "b_start": [], "b_end": []}
    for r in spans.itertuples(index=False):
        wa, wb = words[r.doc_a], words[r.doc_b]
        a1, b1 = _extend_edge(wa, wb, int(r.a_end), int(r.b_end), 1, k)
        a0, b0 = _extend_edge(wa, wb, int(r.a_start) - 1, int(r.b_start) - 1, -1, k)
        for c, v in zip(cols, (a0 + 1, a1, b0 + 1, b1)):
            cols[c].append(v)
    out = spans.copy()
    for c, v in cols.items():
        out[c] = np.asarray(v, dtype=np.int64)
    return out


def union_length(intervals: list[tuple[int, int]]) -> int:
    """Total length covered by half-open intervals."""
    total, cur_s, cur_e = 0, None, None
    for s, e in sorted(intervals):
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        total += cur_e - cur_s
    return total


def _longest_gap(intervals: list[tuple[int, int]], n: int) -> int:
    """The longest run of positions in ``[0, n)`` outside the intervals."""
    best, pos = 0, 0
    for s, e in sorted(intervals):
        best = max(best, s - pos)
        pos = max(pos, e)
    return max(best, n - pos)


def pair_coverage(spans: pd.DataFrame, n_tokens: Mapping[str, int]) -> pd.DataFrame:
    """Per ordered pair: ``cov_a`` (share of a's words inside spans shared with b),
    ``cov_b`` (share of b's words), ``shared`` (words of a in them) and ``gap_a`` (the
    longest run of a's words outside them: an introduction, an added paragraph)."""
    rows = []
    cols = [spans[c].to_numpy() for c in ("a_start", "a_end", "b_start", "b_end")] if not spans.empty else []
    for (da, db), idx in _pair_groups(spans, "doc_a", "doc_b"):
        ia = list(zip(cols[0][idx].tolist(), cols[1][idx].tolist()))
        sa = union_length(ia)
        sb = union_length(list(zip(cols[2][idx].tolist(), cols[3][idx].tolist())))
        rows.append((da, db, sa / max(n_tokens[da], 1), sb / max(n_tokens[db], 1), sa,
                     _longest_gap(ia, n_tokens[da])))
    return pd.DataFrame(rows, columns=["doc_a", "doc_b", "cov_a", "cov_b", "shared", "gap_a"])


__all__ = ["AlignOptions", "source_matches", "align_matches", "extend_spans", "pair_coverage", "union_length", "SPAN_COLUMNS"]
