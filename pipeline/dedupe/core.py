"""The dedupe stage's steps, and the whole stage in memory (``dedupe_frame``). Pure.

The job (``pipeline.jobs.dedupe``) runs the same steps incrementally: signatures and
the shingle index of stored documents come from the store, only new documents are
hashed, and only pairs that involve a new document are looked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline.dedupe.align import AlignOptions, align_matches, pair_coverage, source_matches
from pipeline.dedupe.blocks import block_hits, block_spans, block_table
from pipeline.dedupe.minhash import MinHashOptions, build_lsh, candidate_pairs, signature
from pipeline.dedupe.relations import RelationOptions, build_duplicates, chronological_rank
from pipeline.dedupe.shingles import Tokens, char_shingle_set, jaccard, shingle_table, tokenize

MATCH_SPAN_COLUMNS = ["doc_id", "start", "end", "source_doc_id", "src_start", "src_end", "n_tokens"]


@dataclass(frozen=True)
class DedupeOptions:
    """Every threshold of the stage (``[dedupe]`` in the config)."""

    minhash: MinHashOptions = field(default_factory=MinHashOptions)
    align: AlignOptions = field(default_factory=AlignOptions)
    relations: RelationOptions = field(default_factory=RelationOptions)
    max_sources: int = 5
    min_block_words: int = 8

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "DedupeOptions":
        """From the ``[dedupe]`` config section."""
        opts = cls(
            minhash=MinHashOptions(int(cfg["num_perm"]), int(cfg["seed"]), int(cfg["char_ngram"]),
                                   float(cfg["lsh_threshold"])),
            align=AlignOptions(int(cfg["word_shingle"]), int(cfg["max_gap"]), int(cfg["max_shift"]),
                               int(cfg["min_match_words"])),
            relations=RelationOptions(float(cfg["near_threshold"]), float(cfg["contain_threshold"]),
                                      float(cfg["contain_max_ratio"]), int(cfg["min_words"]),
                                      int(cfg["contains_min_extra_words"]), float(cfg["contains_min_share"])),
            max_sources=int(cfg["max_sources"]),
            min_block_words=int(cfg["min_block_words"]),
        )
        opts.validate()
        return opts

    def validate(self) -> None:
        """Raise ``ValueError`` with the config key at fault."""
        checks = [
            (0 < self.minhash.lsh_threshold < 1, "dedupe.lsh_threshold must be in (0, 1)"),
            (0 < self.relations.near_threshold <= 1, "dedupe.near_threshold must be in (0, 1]"),
            (0 < self.relations.contain_threshold <= 1, "dedupe.contain_threshold must be in (0, 1]"),
            (0 < self.relations.contain_max_ratio <= 1, "dedupe.contain_max_ratio must be in (0, 1]"),
            (self.minhash.num_perm >= 16, "dedupe.num_perm must be at least 16"),
            (self.align.k >= 2, "dedupe.word_shingle must be at least 2"),
            (self.align.min_tokens >= self.align.k, "dedupe.min_match_words must be >= dedupe.word_shingle"),
            (self.max_sources >= 1, "dedupe.max_sources must be at least 1"),
            (0 < self.relations.contains_min_share <= 1, "dedupe.contains_min_share must be in (0, 1]"),
            (self.align.max_gap >= 0 and self.align.max_shift >= 0, "dedupe.max_gap/max_shift must be >= 0"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ValueError(msg)


@dataclass(frozen=True)
class DedupeResult:
    duplicates: pd.DataFrame
    spans: pd.DataFrame          # MATCH_SPAN_COLUMNS: shared passages in character offsets
    near_pairs: pd.DataFrame     # a, b, jaccard (verified)
    coverage: pd.DataFrame       # doc_a, doc_b, cov_a, cov_b, shared, gap_a


def signatures(docs: pd.DataFrame, opts: MinHashOptions) -> dict[str, np.ndarray]:
    """doc_id -> MinHash signature of ``clean_text``."""
    return {d: signature(t, opts) for d, t in zip(docs["doc_id"], docs["clean_text"])}


def verify_near(pairs: set[tuple[str, str]], texts: Mapping[str, str], n: int) -> pd.DataFrame:
    """Exact Jaccard of character n-gram sets for LSH candidates: ``a, b, jaccard``."""
    cache: dict[str, np.ndarray] = {}

    def sh(d: str) -> np.ndarray:
        if d not in cache:
            cache[d] = char_shingle_set(texts[d], n)
        return cache[d]

    rows = [(a, b, jaccard(sh(a), sh(b))) for a, b in sorted(pairs)]
    return pd.DataFrame(rows, columns=["a", "b", "jaccard"])


def spans_to_chars(spans: pd.DataFrame, tokens: Mapping[str, Tokens]) -> pd.DataFrame:
    """Word-index spans (``doc_a``... from ``align_matches``) as character offsets into
    each clean text: ``doc_id, start, end, source_doc_id, src_start, src_end, n_tokens``."""
    rows = []
    for r in spans.itertuples(index=False):
        ta, tb = tokens[r.doc_a], tokens[r.doc_b]
        rows.append((r.doc_a, int(ta.starts[r.a_start]), int(ta.ends[r.a_end - 1]), r.doc_b,
                     int(tb.starts[r.b_start]), int(tb.ends[r.b_end - 1]), int(r.a_end - r.a_start)))
    return pd.DataFrame(rows, columns=MATCH_SPAN_COLUMNS)


def merge_spans(aligned: pd.DataFrame, block: pd.DataFrame) -> pd.DataFrame:
    """Aligned passages plus whole-document blocks, without repeating a span."""
    both = pd.concat([aligned, block], ignore_index=True) if len(block) else aligned
    return both.drop_duplicates(["doc_a", "a_start", "a_end", "doc_b", "b_start", "b_end"]).reset_index(drop=True)


def dedupe_frame(docs: pd.DataFrame, opts: DedupeOptions | None = None) -> DedupeResult:
    """The whole stage over documents in memory.

    ``docs`` columns: ``doc_id, clean_text, clean_hash, post_id, kind, position,
    published_at, post_published_at``.
    """
    opts = opts or DedupeOptions()
    texts = dict(zip(docs["doc_id"], docs["clean_text"]))
    toks = {d: tokenize(t) for d, t in texts.items()}
    info = docs[["doc_id", "clean_hash"]].copy()
    info["n_tokens"] = info["doc_id"].map(lambda d: len(toks[d]))
    rank = chronological_rank(docs)

    sigs = signatures(docs, opts.minhash)
    lsh = build_lsh(sigs, opts.minhash)
    near = verify_near(candidate_pairs(lsh, sigs, opts.minhash), texts, opts.minhash.char_ngram)

    sh = shingle_table(docs[["doc_id", "clean_text"]], opts.align.k)
    matches = source_matches(sh, sh, rank, opts.max_sources)
    spans = align_matches(matches, opts.align, {d: t.words for d, t in toks.items()})
    bl = block_table(docs[["doc_id", "clean_text"]], opts.min_block_words)
    spans = merge_spans(spans, block_spans(block_hits(bl, docs[["doc_id", "clean_hash"]]), toks))
    cov = pair_coverage(spans, dict(zip(info["doc_id"], info["n_tokens"])))
    dups = build_duplicates(info, near, cov, rank, opts.relations)
    return DedupeResult(dups, spans_to_chars(spans, toks), near, cov)


__all__ = ["DedupeOptions", "DedupeResult", "signatures", "verify_near", "spans_to_chars", "dedupe_frame", "merge_spans",
           "MATCH_SPAN_COLUMNS"]
