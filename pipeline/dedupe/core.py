"""The dedupe stage, one implementation. Pure.

The stage runs in three steps, the same for the job and for ``dedupe_frame``:

1. :func:`hash_documents` hashes new documents (MinHash signatures, the word-shingle
   postings, paragraph/section blocks);
2. :func:`link_new` links them to everything indexed so far (near pairs through LSH,
   shared passages through the shingle postings, whole-document blocks), given a
   :class:`StoredIndex` of what the store (or memory) holds;
3. :func:`~pipeline.dedupe.relations.build_duplicates` turns all pair evidence into the
   duplicates table.

The job (``pipeline.jobs.dedupe``) reads the index from the store and writes the
evidence back (``pipeline.store.dedupe`` only reads and writes); ``dedupe_frame`` runs
the same steps over documents in memory, with an index built from them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.dedupe.align import AlignOptions, align_matches, pair_coverage, source_match_codes
from pipeline.dedupe.blocks import BLOCK_COLUMNS, block_hits, block_spans, block_table
from pipeline.dedupe.minhash import SCHEME, MinHashOptions, band_candidates, band_table, pair_estimates, signature
from pipeline.dedupe.relations import RelationOptions, build_duplicates, chronological_rank
from pipeline.dedupe.shingles import Tokens, char_shingle_set, pair_jaccards, shingle_table, tokenize
from pipeline.settings import check_memory_mb, check_section, settings_from
from pipeline.shards import slices

MATCH_SPAN_COLUMNS = ["doc_id", "start", "end", "source_doc_id", "src_start", "src_end", "n_tokens"]


@dataclass(frozen=True)
class DedupeOptions:
    """Every threshold of the stage: the ``[dedupe]`` config section, split by step.
    Field names of the parts are the TOML keys; nothing has a default in code."""

    minhash: MinHashOptions
    align: AlignOptions
    relations: RelationOptions
    max_sources: int
    min_block_words: int
    chunk_size: int
    separator_pattern: str  # ``segment.separator_pattern``: the one regex of an anthology separator line
    full_rebuild: bool  # rebuild every duplicate group each run (else: only those a change touches)
    duckdb_memory_mb: int  # DuckDB's memory_limit for the stage's connection (0: DuckDB's own)
    duckdb_background_flush: bool  # DuckDB's allocator frees memory in background threads (allocator_background_threads)
    token_cache_docs: int  # tokenised texts kept between the chunks of a run (``TokenCache``)
    verify_min_estimate: float  # LSH candidates whose MinHash estimate is lower are not verified (``screen_candidates``)
    link_max_postings: int  # stored postings a link step reads at most, estimated (``weighted_chunks``; 0: no limit)
    staging_dir: str  # where a run stages its pair evidence on disk (``store.staged_pairs``; "": the system's temporary folder)

    @classmethod
    def of(cls, config: Any) -> "DedupeOptions":
        """From a loaded config: the ``[dedupe]`` section plus ``segment.separator_pattern``."""
        return cls.from_config(config.section("dedupe"), config.section("segment")["separator_pattern"])

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], separator_pattern: str) -> "DedupeOptions":
        """From ``config.section("dedupe")`` and the segment stage's separator regex; a
        missing or unknown key is an error."""
        check_section(cfg, "dedupe", MinHashOptions, AlignOptions, RelationOptions, _Limits)
        limits = settings_from(_Limits, cfg, "dedupe", partial=True)
        opts = cls(
            minhash=settings_from(MinHashOptions, cfg, "dedupe", partial=True),
            align=settings_from(AlignOptions, cfg, "dedupe", partial=True),
            relations=settings_from(RelationOptions, cfg, "dedupe", partial=True),
            max_sources=limits.max_sources,
            min_block_words=limits.min_block_words,
            chunk_size=limits.chunk_size,
            separator_pattern=separator_pattern,
            full_rebuild=limits.full_rebuild,
            duckdb_memory_mb=limits.duckdb_memory_mb,
            duckdb_background_flush=limits.duckdb_background_flush,
            token_cache_docs=limits.token_cache_docs,
            verify_min_estimate=limits.verify_min_estimate,
            link_max_postings=limits.link_max_postings,
            staging_dir=limits.staging_dir,
        )
        opts.validate()
        return opts

    def validate(self) -> None:
        """Raise ``ConfigError`` with the config key at fault."""
        from pipeline.config import ConfigError

        checks = [
            (0 < self.minhash.lsh_threshold < 1, "dedupe.lsh_threshold must be in (0, 1)"),
            (0 < self.relations.near_threshold <= 1, "dedupe.near_threshold must be in (0, 1]"),
            (self.relations.near_threshold >= self.minhash.lsh_threshold,
             "dedupe.near_threshold must be at least dedupe.lsh_threshold (verified pairs below lsh_threshold "
             "are not kept; lower lsh_threshold too, which re-hashes every document)"),
            (0 < self.relations.contain_threshold <= 1, "dedupe.contain_threshold must be in (0, 1]"),
            (0 < self.relations.contain_max_ratio <= 1, "dedupe.contain_max_ratio must be in (0, 1]"),
            (self.minhash.num_perm >= 16, "dedupe.num_perm must be at least 16"),
            (self.align.word_shingle >= 2, "dedupe.word_shingle must be at least 2"),
            (self.align.min_match_words >= self.align.word_shingle,
             "dedupe.min_match_words must be >= dedupe.word_shingle"),
            (self.max_sources >= 1, "dedupe.max_sources must be at least 1"),
            (self.chunk_size >= 1, "dedupe.chunk_size must be at least 1"),
            (0 <= self.verify_min_estimate <= self.minhash.lsh_threshold,
             "dedupe.verify_min_estimate must be between 0 (verify every candidate) and dedupe.lsh_threshold"),
            (self.link_max_postings >= 0, "dedupe.link_max_postings must be 0 (no limit) or a number of postings"),
            (self.token_cache_docs >= 0, "dedupe.token_cache_docs must be 0 (no cache) or a number of documents"),
            (0 < self.relations.contains_min_share <= 1, "dedupe.contains_min_share must be in (0, 1]"),
            (self.align.max_gap >= 0 and self.align.max_shift >= 0, "dedupe.max_gap/max_shift must be >= 0"),
        ]
        check_memory_mb("dedupe.duckdb_memory_mb", self.duckdb_memory_mb)
        for ok, msg in checks:
            if not ok:
                raise ConfigError(msg)

    def stored_key_parts(self) -> tuple:
        """What stored signatures, shingles, blocks and passages depend on: a change
        redoes them all (the verified thresholds only need the duplicates rebuilt)."""
        return (SCHEME, self.minhash, self.align, self.min_block_words, self.max_sources, self.separator_pattern,
                self.verify_min_estimate)


@dataclass(frozen=True)
class _Limits:
    max_sources: int
    min_block_words: int
    chunk_size: int
    full_rebuild: bool
    duckdb_memory_mb: int
    duckdb_background_flush: bool
    token_cache_docs: int
    verify_min_estimate: float
    link_max_postings: int
    staging_dir: str


@dataclass(frozen=True)
class Hashed:
    """Step 1's output for the new documents."""

    tokens: dict[str, Tokens]
    signatures: dict[str, np.ndarray]
    shingles: pd.DataFrame        # hash, doc_id, pos
    blocks: pd.DataFrame          # BLOCK_COLUMNS
    bands: pd.DataFrame           # band, key, doc_id: LSH bands of documents with words

    def signature_rows(self) -> pd.DataFrame:
        """``doc_id, n_tokens, signature`` (the array) per new document."""
        ids = list(self.signatures)
        return pd.DataFrame({"doc_id": pd.Series(ids, dtype=object),
                             "n_tokens": pd.Series([len(self.tokens[d]) for d in ids], dtype="int64"),
                             "signature": pd.Series([self.signatures[d] for d in ids], dtype=object)})


@dataclass(frozen=True)
class StoredIndex:
    """What step 2 needs of everything indexed so far (new documents included).

    ``bands``: given the new documents' band table, the indexed band rows (``band, key,
    doc_id``, documents with words) that share a key with one of them (the LSH index is
    kept, not rebuilt); ``postings``: given the new documents' shingles, the indexed
    postings (``hash, doc_id, pos``) that ``source_matches`` needs: of each of their
    hashes, those of its ``max_sources`` earliest documents, and every posting of a hash
    where a new document is among those (``postings_needed``); ``blocks``: stored blocks (``BLOCK_COLUMNS``) of new documents or whose
    hash is a new document's ``clean_hash``; ``doc_hashes``: ``doc_id, clean_hash`` of
    documents whose clean hash is the hash of one of those blocks or who are new;
    ``n_tokens``: doc_id -> words, for every hashed document; ``rank``: chronological
    rank of every document; ``texts``: reads clean texts by id (only those involved);
    ``tokens``: their tokens by id (``TokenCache``; None: tokenise what ``texts`` reads);
    ``signatures``: MinHash signatures by id (of documents with words).
    """

    bands: Callable[[pd.DataFrame], pd.DataFrame]
    postings: Callable[[pd.DataFrame], pd.DataFrame]
    blocks: pd.DataFrame
    doc_hashes: pd.DataFrame
    n_tokens: Mapping[str, int]
    rank: pd.Series
    texts: Callable[[Sequence[str]], Mapping[str, str]]
    tokens: Callable[[Sequence[str]], Mapping[str, Tokens]] | None = None
    signatures: Callable[[Sequence[str]], Mapping[str, np.ndarray]] | None = None


class TokenCache:
    """Tokens of documents by id, each text read (``read``: ids -> clean texts) and
    tokenised once and kept for the later chunks of a run, at most ``limit`` documents
    (the least recently used go first; 0 keeps none). The same documents' tokens come
    back whatever the limit: it bounds memory and repeated work, not a result."""

    def __init__(self, read: Callable[[Sequence[str]], Mapping[str, str]], limit: int):
        self._read, self._limit = read, int(limit)
        self._kept: OrderedDict[str, Tokens] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def add(self, tokens: Mapping[str, Tokens]) -> None:
        """Keep tokens already computed (the newest are kept when over the limit)."""
        for d, t in tokens.items():
            self._kept[d] = t
            self._kept.move_to_end(d)
        while len(self._kept) > self._limit:
            self._kept.popitem(last=False)

    def __call__(self, ids: Sequence[str],
                 read: Callable[[Sequence[str]], Mapping[str, str]] | None = None) -> dict[str, Tokens]:
        """Tokens of ``ids`` (those ``read`` finds), reading only those not kept;
        ``read`` replaces the cache's reader for this call (texts already in hand)."""
        out: dict[str, Tokens] = {}
        missing = []
        for d in ids:
            t = self._kept.get(d)
            if t is None:
                missing.append(d)
            else:
                self._kept.move_to_end(d)
                out[d] = t
        if missing:
            fresh = {d: tokenize(t) for d, t in (read or self._read)(missing).items()}
            out.update(fresh)
            self.add(fresh)
        return out


@dataclass(frozen=True)
class Evidence:
    """Step 2's output: the pair evidence that involves a new document."""

    near: pd.DataFrame            # a, b, jaccard (verified, at least lsh_threshold)
    spans: pd.DataFrame           # MATCH_SPAN_COLUMNS: shared passages in character offsets
    coverage: pd.DataFrame        # doc_a, doc_b, cov_a, cov_b, shared, gap_a
    near_candidates: int          # pairs the LSH bands proposed
    near_verified: int = 0        # of those, how many passed ``screen_candidates`` and were verified


@dataclass(frozen=True)
class DedupeResult:
    duplicates: pd.DataFrame
    spans: pd.DataFrame          # MATCH_SPAN_COLUMNS: shared passages in character offsets
    near_pairs: pd.DataFrame     # a, b, jaccard (verified)
    coverage: pd.DataFrame       # doc_a, doc_b, cov_a, cov_b, shared, gap_a


def signatures(docs: pd.DataFrame, opts: MinHashOptions) -> dict[str, np.ndarray]:
    """doc_id -> MinHash signature of ``clean_text``."""
    return {d: signature(t, opts) for d, t in zip(docs["doc_id"], docs["clean_text"])}


def _pair_codes(pairs: set[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[str], np.ndarray, np.ndarray]:
    """``pairs`` sorted, the sorted ids they name, and each pair's two ids as positions in
    those ids (``a``, ``b``): what the vectorised pair functions index by."""
    pairs_sorted = sorted(pairs)
    ids = sorted({d for p in pairs_sorted for d in p})
    at = {d: i for i, d in enumerate(ids)}
    a = np.fromiter((at[x] for x, _ in pairs_sorted), dtype=np.int64, count=len(pairs_sorted))
    b = np.fromiter((at[y] for _, y in pairs_sorted), dtype=np.int64, count=len(pairs_sorted))
    return pairs_sorted, ids, a, b


def verify_near(pairs: set[tuple[str, str]], texts: Mapping[str, str], n: int, floor: float = 0.0) -> pd.DataFrame:
    """Exact Jaccard of character n-gram sets for LSH candidates: ``a, b, jaccard``
    sorted by ``a, b``, the pairs whose Jaccard is at least ``floor`` (0: every
    candidate). ``shingles.pair_jaccards``: each text's set built once, the pairs
    intersected in batches in C, not one Python set operation per pair."""
    pairs_sorted, ids, a, b = _pair_codes(pairs)
    jac = pair_jaccards([char_shingle_set(texts[d], n) for d in ids], a, b)
    keep = jac >= floor
    names = np.asarray(ids, dtype=object)
    return pd.DataFrame({"a": pd.Series(names[a[keep]], dtype=object), "b": pd.Series(names[b[keep]], dtype=object),
                         "jaccard": pd.Series(jac[keep], dtype=float)})


def screen_candidates(pairs: set[tuple[str, str]], signatures: Mapping[str, np.ndarray],
                      min_estimate: float) -> set[tuple[str, str]]:
    """The LSH candidates whose MinHash estimate of Jaccard (``minhash.pair_estimates``)
    is at least ``min_estimate`` (0: all of them). Exact verification costs a character
    n-gram set per document and a sparse product per pair; the estimate is one
    comparison of two signatures. A pair below ``dedupe.verify_min_estimate`` (0.4) is
    almost surely under ``lsh_threshold`` and so would not be kept: with 128
    permutations, a pair of Jaccard 0.6 estimates under 0.4 with probability 3e-6, one
    of 0.8 (``near_threshold``) with probability 4e-23."""
    if min_estimate <= 0 or not pairs:
        return set(pairs)
    pairs_sorted, ids, a, b = _pair_codes(pairs)
    sigs = np.stack([np.asarray(signatures[d], dtype=np.uint64) for d in ids])
    est = pair_estimates(sigs, a, b)
    return {p for p, e in zip(pairs_sorted, est.tolist()) if e >= min_estimate}


def spans_to_chars(spans: pd.DataFrame, tokens: Mapping[str, Tokens]) -> pd.DataFrame:
    """Word-index spans (``doc_a``... from ``align_matches``) as character offsets into
    each clean text: ``doc_id, start, end, source_doc_id, src_start, src_end, n_tokens``."""
    if spans.empty:
        return pd.DataFrame(columns=MATCH_SPAN_COLUMNS)
    # vectorised: every involved document's word offsets in one array, indexed per span
    ids = pd.unique(pd.concat([spans["doc_a"], spans["doc_b"]], ignore_index=True))
    lengths = np.array([len(tokens[d].starts) for d in ids], dtype=np.int64)
    base = pd.Series(np.concatenate([[0], np.cumsum(lengths)[:-1]]), index=ids)
    starts = np.concatenate([np.asarray(tokens[d].starts, dtype=np.int64) for d in ids])
    ends = np.concatenate([np.asarray(tokens[d].ends, dtype=np.int64) for d in ids])
    oa = spans["doc_a"].map(base).to_numpy(np.int64)
    ob = spans["doc_b"].map(base).to_numpy(np.int64)
    a0, a1 = spans["a_start"].to_numpy(np.int64), spans["a_end"].to_numpy(np.int64)
    b0, b1 = spans["b_start"].to_numpy(np.int64), spans["b_end"].to_numpy(np.int64)
    return pd.DataFrame({
        "doc_id": spans["doc_a"].to_numpy(object), "start": starts[oa + a0], "end": ends[oa + a1 - 1],
        "source_doc_id": spans["doc_b"].to_numpy(object), "src_start": starts[ob + b0], "src_end": ends[ob + b1 - 1],
        "n_tokens": a1 - a0,
    })


def merge_spans(aligned: pd.DataFrame, block: pd.DataFrame) -> pd.DataFrame:
    """Aligned passages plus whole-document blocks, without repeating a span."""
    both = pd.concat([aligned, block], ignore_index=True) if len(block) else aligned
    return both.drop_duplicates(["doc_a", "a_start", "a_end", "doc_b", "b_start", "b_end"]).reset_index(drop=True)


def hash_documents(docs: pd.DataFrame, opts: DedupeOptions) -> Hashed:
    """Step 1 for documents (``doc_id, clean_text``): tokens, signatures, shingles, blocks."""
    texts = docs[["doc_id", "clean_text"]]
    tokens = {d: tokenize(t) for d, t in zip(texts["doc_id"], texts["clean_text"])}
    sigs = signatures(texts, opts.minhash)
    return Hashed(
        tokens=tokens,
        signatures=sigs,
        shingles=shingle_table(texts, opts.align.word_shingle, tokens),
        blocks=block_table(texts, opts.min_block_words, opts.separator_pattern),
        bands=band_table({d: s for d, s in sigs.items() if len(tokens[d])}, opts.minhash),
    )


def link_new(new: Hashed, stored: StoredIndex, opts: DedupeOptions,
             linked: frozenset[str] = frozenset()) -> Evidence:
    """Step 2: pair evidence between the new documents and everything indexed.

    ``linked``: documents of earlier chunks of this run, whose pairs with these new
    documents were already found whole (their evidence is left out, not redone)."""
    tokens = dict(new.tokens)
    # near copies: new signatures against every indexed one, verified on character n-grams
    proposed = {p for p in band_candidates(new.bands, stored.bands(new.bands))
                if p[0] not in linked and p[1] not in linked}
    cands = proposed
    if opts.verify_min_estimate > 0 and proposed and stored.signatures is not None:
        cands = screen_candidates(proposed, stored.signatures(sorted({d for p in proposed for d in p})),
                                  opts.verify_min_estimate)
    involved = sorted({d for p in cands for d in p})
    # only pairs at or above lsh_threshold are kept: below it the bands find a pair by
    # chance, so such a pair can never be a near duplicate (near_threshold >= lsh_threshold)
    near = verify_near(cands, stored.texts(involved), opts.minhash.char_ngram, opts.minhash.lsh_threshold)

    # shared passages: the new documents' shingles against the postings; whole blocks.
    # Matches keep integer document codes until they are spans (millions of rows).
    codes, names = source_match_codes(new.shingles, stored.postings(new.shingles), stored.rank, opts.max_sources,
                                      linked)
    hits = block_hits(stored.blocks, stored.doc_hashes)
    new_ids = set(new.tokens)
    hits = hits[hits["doc_id"].isin(new_ids) | hits["other"].isin(new_ids)].reset_index(drop=True)
    if linked:  # whole pairs only: a kept pair's evidence stays complete
        hits = hits[~(hits["doc_id"].isin(linked) | hits["other"].isin(linked))].reset_index(drop=True)
    in_matches = names[np.unique(np.concatenate([codes["doc_a"].to_numpy(), codes["doc_b"].to_numpy()]))]
    others = sorted((set(in_matches.tolist()) | set(hits["doc_id"]) | set(hits["other"])) - set(tokens))
    if stored.tokens is not None:
        tokens.update(stored.tokens(others))
    else:
        tokens.update({d: tokenize(t) for d, t in stored.texts(others).items()})
    code_of = {d: i for i, d in enumerate(names.tolist())}
    spans = align_matches(codes, opts.align, {code_of[d]: t for d, t in tokens.items() if d in code_of})
    spans["doc_a"] = names[spans["doc_a"].to_numpy(np.int64)]
    spans["doc_b"] = names[spans["doc_b"].to_numpy(np.int64)]
    spans = merge_spans(spans, block_spans(hits, tokens))
    cov = pair_coverage(spans, stored.n_tokens)
    return Evidence(near, spans_to_chars(spans, tokens), cov, len(proposed), len(cands))


def memory_index(docs: pd.DataFrame, hashed: Hashed, rank: pd.Series) -> StoredIndex:
    """The index of documents held in memory (all of them new): what the store would hold."""
    texts = dict(zip(docs["doc_id"], docs["clean_text"]))
    return StoredIndex(
        bands=lambda q: hashed.bands.merge(q[["band", "key"]].drop_duplicates(), on=["band", "key"]),
        postings=lambda q: hashed.shingles[hashed.shingles["hash"].isin(q["hash"].unique())],
        blocks=hashed.blocks if len(hashed.blocks) else pd.DataFrame(columns=BLOCK_COLUMNS),
        doc_hashes=docs[["doc_id", "clean_hash"]],
        n_tokens={d: len(t) for d, t in hashed.tokens.items()},
        rank=rank,
        texts=lambda ids: {d: texts[d] for d in ids},
        signatures=lambda ids: {d: hashed.signatures[d] for d in ids},
    )


def weighted_chunks(ids: Sequence[str], weights: Mapping[str, int], size: int, budget: int) -> list[list[str]]:
    """``ids`` in consecutive chunks of at most ``size`` documents whose ``weights``
    (missing: 0) add up to at most ``budget``; a document heavier than ``budget`` is a
    chunk of its own; ``budget`` 0 splits by ``size`` alone. The job links
    new documents in such chunks, weighted by the stored postings each one's linking
    reads (``pipeline.store.dedupe.link_weights``): a few documents that share passages
    with thousands of others (an anthology post, a much-quoted press release) would
    otherwise make one chunk read many times the rows of the others. Linking does not
    depend on how the documents are chunked."""
    if budget <= 0:
        return [list(part) for part in slices(ids, size)]
    out: list[list[str]] = []
    part: list[str] = []
    total = 0
    for d in ids:
        w = int(weights.get(d, 0))
        if part and (len(part) >= size or total + w > budget):
            out.append(part)
            part, total = [], 0
        part.append(d)
        total += w
    if part:
        out.append(part)
    return out


def merge_evidence(parts: Sequence[Evidence]) -> Evidence:
    """The evidence of several chunks as one (a pair between two chunks is found by
    both, identically: its rows appear once)."""
    if len(parts) == 1:
        return parts[0]
    near = pd.concat([p.near for p in parts], ignore_index=True).drop_duplicates(["a", "b"])
    spans = pd.concat([p.spans for p in parts], ignore_index=True).drop_duplicates()
    cov = pd.concat([p.coverage for p in parts], ignore_index=True).drop_duplicates(["doc_a", "doc_b"])
    return Evidence(near.sort_values(["a", "b"]).reset_index(drop=True), spans.reset_index(drop=True),
                    cov.reset_index(drop=True), len(near), len(near))


def dedupe_frame(docs: pd.DataFrame, opts: DedupeOptions) -> DedupeResult:
    """The whole stage over documents in memory: the job's steps with a memory index.

    ``docs`` columns: ``doc_id, clean_text, clean_hash, post_id, kind, position,
    published_at, post_published_at``.
    """
    hashed = hash_documents(docs, opts)
    rank = chronological_rank(docs)
    ev = link_new(hashed, memory_index(docs, hashed, rank), opts)
    info = docs[["doc_id", "clean_hash"]].copy()
    info["n_tokens"] = info["doc_id"].map(lambda d: len(hashed.tokens[d]))
    dups = build_duplicates(info, ev.near, ev.coverage, rank, opts.relations)
    return DedupeResult(dups, ev.spans, ev.near, ev.coverage)


__all__ = ["TokenCache", "chunks", "weighted_chunks", "merge_evidence", "DedupeOptions", "DedupeResult", "Evidence", "Hashed", "StoredIndex", "hash_documents", "link_new",
           "memory_index", "signatures", "screen_candidates", "verify_near", "spans_to_chars", "dedupe_frame", "merge_spans",
           "MATCH_SPAN_COLUMNS"]
