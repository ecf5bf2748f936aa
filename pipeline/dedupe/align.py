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

from pipeline.dedupe.shingles import Tokens, word_hashes, word_lengths

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


def source_match_codes(query: pd.DataFrame, index: pd.DataFrame, order: pd.Series, max_sources: int = 5,
                       exclude: frozenset[str] = frozenset()) -> tuple[pd.DataFrame, np.ndarray]:
    """Matching shingles between ``query`` documents and the ``index`` (both tables of
    ``hash, doc_id, pos``; the index includes the query documents).

    For each hash the ``max_sources`` earliest documents holding it (by ``order``:
    doc_id -> rank) are its *sources*; two documents are partners on that hash when one
    of them is a source. So a text pasted a hundred times links every copy to its first
    appearances, without a quadratic blow-up, and a backfilled original is linked to all
    its later copies. Only pairs with a query document are returned, in both
    directions, never a document with itself. The store runs the same logic in SQL
    over the stored index (``pipeline.store.dedupe.postings_needed`` reads only the
    postings this needs). Pairs with a document in ``exclude`` are left out (they still
    count as sources: excluding them changes no other pair).

    Returns the matches with integer document codes (``doc_a, pos_a, doc_b, pos_b``,
    unordered) and the document id of each code (codes in doc_id order);
    ``source_matches`` gives them with ids.
    """
    cols = ["doc_a", "pos_a", "doc_b", "pos_b"]
    if query.empty or index.empty:
        return pd.DataFrame({c: pd.Series(dtype=np.int64) for c in cols}), np.zeros(0, dtype=object)
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
    if exclude:  # after the sources are known: a pair with an excluded document is not built
        gone = np.flatnonzero(pd.Index(uniq).isin(list(exclude)))
        idx = idx[~idx["doc"].isin(gone)]
        firsts = firsts[~firsts["doc"].isin(gone)]
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
    both = both.drop_duplicates().reset_index(drop=True)  # unsorted: align_matches sorts what it needs
    return both, np.asarray(uniq, dtype=object)


def source_matches(query: pd.DataFrame, index: pd.DataFrame, order: pd.Series,
                   max_sources: int = 5, exclude: frozenset[str] = frozenset()) -> pd.DataFrame:
    """``doc_a, pos_a, doc_b, pos_b``: the matching shingles of ``source_match_codes``
    with document ids."""
    both, names = source_match_codes(query, index, order, max_sources, exclude)
    both = both.sort_values(["doc_a", "pos_a", "doc_b", "pos_b"]).reset_index(drop=True)
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


def _pair_keys(df: pd.DataFrame, a: str, b: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One int64 key per row for the ordered pair ``(df[a], df[b])``, increasing in
    ``(a, b)`` order, with the two factorizations' uniques."""
    codes_a, uniq_a = pd.factorize(df[a], sort=True)
    codes_b, uniq_b = pd.factorize(df[b], sort=True)
    return codes_a.astype(np.int64) * (len(uniq_b) + 1) + codes_b, uniq_a, uniq_b


def _chain_all(key: np.ndarray, pos_a: np.ndarray, pos_b: np.ndarray,
               opts: AlignOptions) -> tuple[np.ndarray, ...]:
    """Every pair's chains at once: ``(row, a_start, a_end, b_start, b_end, n)`` arrays,
    ``row`` the index of one of the pair's matches (for its doc ids); the same chains as
    ``_chain`` gives pair by pair.

    When the diagonals (``pos_b - pos_a``) of a pair's matches are all more than
    ``max_shift`` apart, no chain can drift from one to another, and a diagonal holds
    one open chain at a time: its chains are its runs of matches with no more than
    ``max_gap + 1`` words between neighbours. Those pairs (most of them: a phrase or
    passage shared once or a few times) are chained vectorised; the others go through
    ``_chain``."""
    k, gap, empty = opts.word_shingle, opts.max_gap + 1, np.zeros(0, dtype=np.int64)
    if not len(key):
        return empty, empty, empty, empty, empty, empty
    diag = pos_b - pos_a
    order = np.lexsort((pos_a, diag, key))
    sk, sd, sa = key[order], diag[order], pos_a[order]
    new_pair = np.r_[True, sk[1:] != sk[:-1]]
    gid = np.cumsum(new_pair) - 1
    new_diag = new_pair | np.r_[True, sd[1:] != sd[:-1]]
    # a pair with two diagonals within max_shift of each other is chained by _chain
    near_diag = ~new_pair & new_diag & (np.r_[0, np.diff(sd)] <= opts.max_shift)
    repeated = ~new_diag & (np.r_[1, np.diff(sa)] == 0)  # the same match twice: _chain opens a second chain
    tangled = np.zeros(int(gid[-1]) + 1, dtype=bool)
    tangled[gid[near_diag | repeated]] = True
    easy = ~tangled[gid]
    o, d, a = order[easy], sd[easy], sa[easy]
    run_start = new_diag[easy] | np.r_[True, np.diff(a) > gap]
    starts = np.flatnonzero(run_start)
    ends = np.append(starts[1:], len(o))[:len(starts)] - 1
    rows, a0s, a1s = [o[starts]], [a[starts]], [a[ends] + k]
    b0s, b1s = [a[starts] + d[starts]], [a[ends] + d[ends] + k]
    ns = [(ends - starts + 1).astype(np.int64)]
    hard = order[~easy]
    if len(hard):
        hard = hard[np.lexsort((pos_b[hard], pos_a[hard], key[hard]))]
        cut = np.flatnonzero(np.r_[True, key[hard][1:] != key[hard][:-1]])
        out: list[tuple[int, ...]] = []
        for s, e in zip(cut, np.r_[cut[1:], len(hard)]):
            idx = hard[s:e]
            out.extend((int(idx[0]),) + c for c in _chain(pos_a[idx], pos_b[idx], opts))
        arr = np.asarray(out, dtype=np.int64).reshape(-1, 6)
        rows.append(arr[:, 0])
        a0s.append(arr[:, 1]), a1s.append(arr[:, 2]), b0s.append(arr[:, 3]), b1s.append(arr[:, 4])
        ns.append(arr[:, 5])
    return tuple(np.concatenate(x).astype(np.int64) for x in (rows, a0s, a1s, b0s, b1s, ns))


def align_matches(matches: pd.DataFrame, opts: AlignOptions,
                  words: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Spans ``doc_a, a_start, a_end, doc_b, b_start, b_end, n_shingles`` (word indices,
    end exclusive) of text shared by each ordered pair in ``matches``. With ``words``
    (doc_id -> folded words) span edges cut by a typo are healed (``extend_spans``)
    before spans shorter than ``min_match_words`` are dropped. Vectorised over pairs
    (``_chain_all``); rows ordered by pair, then span."""
    if matches.empty:
        out = pd.DataFrame({c: pd.Series(dtype=object if c.startswith("doc") else np.int64) for c in SPAN_COLUMNS})
    else:
        key, _, _ = _pair_keys(matches, "doc_a", "doc_b")
        row, a0, a1, b0, b1, n = _chain_all(key, matches["pos_a"].to_numpy(np.int64),
                                            matches["pos_b"].to_numpy(np.int64), opts)
        o = np.lexsort((b1, b0, a1, a0, key[row]))
        row, a0, a1, b0, b1, n = row[o], a0[o], a1[o], b0[o], b1[o], n[o]
        out = pd.DataFrame({"doc_a": matches["doc_a"].to_numpy()[row], "a_start": a0, "a_end": a1,
                            "doc_b": matches["doc_b"].to_numpy()[row], "b_start": b0, "b_end": b1,
                            "n_shingles": n})
    if words is not None:
        out = extend_spans(out, words, opts.word_shingle)
    keep = ((out["a_end"] - out["a_start"] >= opts.min_match_words)
            & (out["b_end"] - out["b_start"] >= opts.min_match_words))
    return out[keep].reset_index(drop=True)


TYPO_SIMILARITY = 0.6
"""Two unequal words at a span's edge are a typo of each other at this similarity
(``_similarity``) when the next words agree (``_extend_edge``)."""
CLOSE_SIMILARITY = 0.75
"""Unconfirmed by the next words, at this similarity, when both words have at least
``CLOSE_MIN_LEN`` characters."""
CLOSE_MIN_LEN = 4


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
            if not ((sim >= TYPO_SIMILARITY and confirmed)
                    or (sim >= CLOSE_SIMILARITY and min(len(wa[i]), len(wb[j])) >= CLOSE_MIN_LEN)):
                break
        i, j, taken = i + step, j + step, taken + 1
    return i, j


def _word_hashes(docs: Sequence[Tokens | Sequence[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                                   list[Sequence[str]]]:
    """The words of documents as their ``word_hash`` values and lengths in flat arrays:
    ``(hashes, lengths, offset of each document, words in each document, each document's
    words)``. A document's hashes and lengths come from its ``Tokens`` where it has them
    (computed when it was tokenised), else from its words. Words are compared by these
    hashes, as shingles are: two different words with the same 64-bit hash would count
    as equal (about one chance in 37 million over a vocabulary of a million words)."""
    tokens = [d if isinstance(d, Tokens) else None for d in docs]
    words = [t.words if t is not None else tuple(d) for t, d in zip(tokens, docs)]
    hashes = [t.hashes if t is not None else word_hashes(w) for t, w in zip(tokens, words)]
    lengths = [t.lengths if t is not None else word_lengths(w) for t, w in zip(tokens, words)]
    lens = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    offsets = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
    flat_h = np.concatenate(hashes) if len(docs) else np.zeros(0, dtype=np.uint64)
    flat_l = np.concatenate(lengths) if len(docs) else np.zeros(0, dtype=np.uint8)
    return flat_h, flat_l, offsets, lens, words


def _first_of_each(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(first, inverse)``: the index of the first row of each distinct row of the
    two-column array ``values``, and each row's distinct number (hash tables, no sort)."""
    ca, ua = pd.factorize(values[:, 0])
    cb, ub = pd.factorize(values[:, 1])
    inv, keys = pd.factorize(ca.astype(np.int64) * len(ub) + cb)
    first = np.empty(len(keys), dtype=np.int64)
    first[inv[::-1]] = np.arange(len(inv) - 1, -1, -1)
    return first, inv


def _extend_edges(hashes: np.ndarray, lengths: np.ndarray, words: Sequence[Sequence[str]], doc_a: np.ndarray,
                  off_a: np.ndarray, len_a: np.ndarray, doc_b: np.ndarray, off_b: np.ndarray, len_b: np.ndarray,
                  i: np.ndarray, j: np.ndarray, step: int, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """``_extend_edge`` for many edges at once (words compared by hash and length,
    ``_word_hashes``; ``doc_a``/``doc_b``: each edge's documents as indices into
    ``words``): the same walk, one word step for every still-moving edge at a time, at
    most ``limit`` steps.

    Two unequal words are compared as strings (``_similarity``) only where the answer
    can matter: difflib's ratio is at most ``2 * shorter / (len_a + len_b)``, computed
    as difflib computes it, so where that bound is under ``TYPO_SIMILARITY`` (or under
    ``CLOSE_SIMILARITY`` for a pair the next words do not confirm, or whose shorter word
    has fewer than ``CLOSE_MIN_LEN`` characters) the pair is not a typo whatever its
    ratio: most unequal pairs are settled without difflib, and without Python."""
    i, j = i.copy(), j.copy()
    moving = np.arange(len(i))
    for _ in range(limit):
        if not len(moving):
            break
        ii, jj = i[moving], j[moving]
        inside = (ii >= 0) & (ii < len_a[moving]) & (jj >= 0) & (jj < len_b[moving])
        moving, ii, jj = moving[inside], ii[inside], jj[inside]
        fa, fb = off_a[moving] + ii, off_b[moving] + jj
        ok = hashes[fa] == hashes[fb]
        diff = np.flatnonzero(~ok)
        if len(diff):
            m, da, db = moving[diff], fa[diff], fb[diff]
            ni, nj = ii[diff] + step, jj[diff] + step
            nin = (ni >= 0) & (ni < len_a[m]) & (nj >= 0) & (nj < len_b[m])
            nxt = np.zeros(len(diff), dtype=bool)
            nxt[nin] = hashes[off_a[m][nin] + ni[nin]] == hashes[off_b[m][nin] + nj[nin]]
            confirmed = ~nin | nxt
            la, lb = lengths[da].astype(np.int64), lengths[db].astype(np.int64)
            shorter = np.minimum(la, lb)
            bound = 2.0 * shorter / (la + lb)  # la + lb > 0: two empty words are equal, not here
            # a length kept at LENGTH_CAP only raises the bound (and a shorter word of
            # CLOSE_MIN_LEN or more stays so): capping never rules a pair out
            could = (bound >= TYPO_SIMILARITY) & confirmed | (bound >= CLOSE_SIMILARITY) & (shorter >= CLOSE_MIN_LEN)
            sims = np.zeros(len(diff), dtype=np.float64)
            ask = np.flatnonzero(could)
            if len(ask):
                # each distinct pair of words once (the same pairs recur across edges)
                first, inv = _first_of_each(np.stack([hashes[da[ask]], hashes[db[ask]]], axis=1))
                at = ask[first]
                xa, xb = doc_a[m[at]].tolist(), doc_b[m[at]].tolist()
                pa, pb = ii[diff][at].tolist(), jj[diff][at].tolist()
                got = np.fromiter((_similarity(words[s][p], words[t][q]) for s, p, t, q in zip(xa, pa, xb, pb)),
                                  dtype=np.float64, count=len(first))
                sims[ask] = got[inv]
            ok[diff] = (sims >= TYPO_SIMILARITY) & confirmed | (sims >= CLOSE_SIMILARITY) & (shorter >= CLOSE_MIN_LEN)
        moving = moving[ok]
        i[moving] += step
        j[moving] += step
    return i, j


def extend_spans(spans: pd.DataFrame, words: Mapping[str, Tokens | Sequence[str]], k: int) -> pd.DataFrame:
    """Heal span edges that shingling cuts off: a typo within the first or last ``k``
    words of a copied passage leaves no whole shingle there. Each edge is extended word
    by word (at most ``k`` words) while the words agree or differ by a typo. ``words``:
    each document's ``Tokens`` (or its folded words). Vectorised over spans
    (``_extend_edges``; ``_extend_edge`` is the one-edge definition)."""
    if spans.empty:
        return spans
    ids = pd.unique(pd.concat([spans["doc_a"], spans["doc_b"]], ignore_index=True))
    hashes, lengths, off, lens, seqs = _word_hashes([words[d] for d in ids])
    pos = pd.Series(np.arange(len(ids)), index=ids)
    ia, ib = spans["doc_a"].map(pos).to_numpy(np.int64), spans["doc_b"].map(pos).to_numpy(np.int64)
    args = (hashes, lengths, seqs, ia, off[ia], lens[ia], ib, off[ib], lens[ib])
    a1, b1 = _extend_edges(*args, spans["a_end"].to_numpy(np.int64), spans["b_end"].to_numpy(np.int64), 1, k)
    a0, b0 = _extend_edges(*args, spans["a_start"].to_numpy(np.int64) - 1, spans["b_start"].to_numpy(np.int64) - 1,
                           -1, k)
    out = spans.copy()
    out["a_start"], out["a_end"], out["b_start"], out["b_end"] = a0 + 1, a1, b0 + 1, b1
    return out


def extend_spans_reference(spans: pd.DataFrame, words: Mapping[str, Sequence[str]], k: int) -> pd.DataFrame:
    """``extend_spans`` one edge at a time with ``_extend_edge`` (the definition; tests
    check the vectorised form against it)."""
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


def _union_and_gap(key: np.ndarray, s: np.ndarray, e: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per group of rows with equal ``key`` (rows sorted by ``key, s``): the length
    covered by the half-open intervals ``[s, e)`` and the longest run of ``[0, n)``
    outside them (``union_length`` and ``_longest_gap``, vectorised). Returns
    ``(first row of each group, covered, gap)``."""
    first = np.r_[True, key[1:] != key[:-1]]
    gid = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    # the furthest end reached before each row, within its group (``pos`` of _longest_gap)
    big = np.int64(1) << np.int64(40)
    shifted = e + gid * big
    reach = np.maximum.accumulate(shifted) - gid * big
    before = np.r_[np.int64(0), reach[:-1]]
    before[first] = 0
    gap_before = np.maximum(s - before, 0)
    new_run = first | (s > before)
    run_start = s[new_run]
    run_end = np.maximum.reduceat(e, np.flatnonzero(new_run))
    run_group = gid[new_run]
    covered = np.bincount(run_group, weights=(run_end - run_start), minlength=len(starts)).astype(np.int64)
    last = np.r_[starts[1:], len(key)] - 1
    gap = np.maximum(np.maximum.reduceat(gap_before, starts), n[starts] - reach[last])
    return starts, covered, gap


def pair_coverage(spans: pd.DataFrame, n_tokens: Mapping[str, int]) -> pd.DataFrame:
    """Per ordered pair: ``cov_a`` (share of a's words inside spans shared with b),
    ``cov_b`` (share of b's words), ``shared`` (words of a in them) and ``gap_a`` (the
    longest run of a's words outside them: an introduction, an added paragraph).
    Vectorised (``_union_and_gap``); rows in ``(doc_a, doc_b)`` order."""
    cols = ["doc_a", "doc_b", "cov_a", "cov_b", "shared", "gap_a"]
    if spans.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c.startswith("doc") else
                                          (np.float64 if c.startswith("cov") else np.int64)) for c in cols})
    key, _, _ = _pair_keys(spans, "doc_a", "doc_b")
    na = spans["doc_a"].map(n_tokens).to_numpy(np.int64)
    nb = spans["doc_b"].map(n_tokens).to_numpy(np.int64)
    a0, a1 = spans["a_start"].to_numpy(np.int64), spans["a_end"].to_numpy(np.int64)
    b0, b1 = spans["b_start"].to_numpy(np.int64), spans["b_end"].to_numpy(np.int64)
    oa = np.lexsort((a1, a0, key))
    first, sa, gap = _union_and_gap(key[oa], a0[oa], a1[oa], na[oa])
    ob = np.lexsort((b1, b0, key))
    _, sb, _ = _union_and_gap(key[ob], b0[ob], b1[ob], nb[ob])
    rows = oa[first]
    n_a, n_b = na[rows], nb[rows]
    return pd.DataFrame({"doc_a": spans["doc_a"].to_numpy(object)[rows], "doc_b": spans["doc_b"].to_numpy(object)[rows],
                         "cov_a": sa / np.maximum(n_a, 1), "cov_b": sb / np.maximum(n_b, 1),
                         "shared": sa, "gap_a": gap})


def pair_coverage_reference(spans: pd.DataFrame, n_tokens: Mapping[str, int]) -> pd.DataFrame:
    """``pair_coverage`` a pair at a time with ``union_length`` and ``_longest_gap`` (the
    definition; tests check the vectorised form against it)."""
    rows = []
    cols = [spans[c].to_numpy() for c in ("a_start", "a_end", "b_start", "b_end")] if not spans.empty else []
    for (da, db), idx in _pair_groups(spans, "doc_a", "doc_b"):
        ia = list(zip(cols[0][idx].tolist(), cols[1][idx].tolist()))
        sa = union_length(ia)
        sb = union_length(list(zip(cols[2][idx].tolist(), cols[3][idx].tolist())))
        rows.append((da, db, sa / max(n_tokens[da], 1), sb / max(n_tokens[db], 1), sa,
                     _longest_gap(ia, n_tokens[da])))
    return pd.DataFrame(rows, columns=["doc_a", "doc_b", "cov_a", "cov_b", "shared", "gap_a"])


__all__ = ["AlignOptions", "source_matches", "source_match_codes", "align_matches", "extend_spans", "extend_spans_reference", "pair_coverage",
           "pair_coverage_reference", "union_length", "SPAN_COLUMNS"]
