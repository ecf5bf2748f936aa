"""Dedupe stage: exact (normalised hash), near (MinHash LSH, datasketch) and containment
(aligned word shingles), with lineage to one canonical document per cluster. Nothing is
deleted. Pure functions over DataFrames (no database code)."""

from pipeline.dedupe.align import AlignOptions, align_matches, extend_spans, pair_coverage, source_matches
from pipeline.dedupe.blocks import block_hits, block_spans, block_table
from pipeline.dedupe.core import (
    MATCH_SPAN_COLUMNS,
    DedupeOptions,
    DedupeResult,
    Evidence,
    Hashed,
    StoredIndex,
    TokenCache,
    dedupe_frame,
    hash_documents,
    link_new,
    memory_index,
    merge_spans,
    screen_candidates,
    signatures,
    spans_to_chars,
    verify_near,
)
from pipeline.dedupe.minhash import MinHashOptions, build_lsh, candidate_pairs, from_bytes, signature, to_bytes
from pipeline.dedupe.relations import (
    COPY_RELATIONS,
    DUP_COLUMNS,
    RelationOptions,
    build_duplicates,
    chronological_rank,
    duplicate_groups,
)
from pipeline.dedupe.shingles import Tokens, char_shingle_set, jaccard, shingle_table, tokenize, word_shingles

# Bump when hashing or alignment logic changes: stored evidence from another version is
# recomputed on the next run.
LOGIC_VERSION = 1

__all__ = [
    "LOGIC_VERSION",
    "block_hits", "block_spans", "block_table", "merge_spans",
    "AlignOptions", "align_matches", "extend_spans", "pair_coverage", "source_matches", "MATCH_SPAN_COLUMNS", "DedupeOptions",
    "DedupeResult", "Evidence", "Hashed", "StoredIndex", "TokenCache", "hash_documents", "link_new", "memory_index",
    "dedupe_frame", "signatures", "screen_candidates", "spans_to_chars", "verify_near", "MinHashOptions",
    "build_lsh", "candidate_pairs", "from_bytes", "signature", "to_bytes", "COPY_RELATIONS", "DUP_COLUMNS",
    "RelationOptions", "build_duplicates", "chronological_rank", "duplicate_groups", "Tokens", "char_shingle_set", "jaccard",
    "shingle_table", "tokenize", "word_shingles",
]
