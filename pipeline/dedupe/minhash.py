"""MinHash signatures (datasketch) and LSH candidate search. Pure.

Signatures are computed once per document text and kept in the store as bytes; a
later run rebuilds the LSH index from the stored signatures (no text is re-hashed)
and queries only the new documents against it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from pipeline.dedupe.shingles import char_shingle_set

SCHEME = "affine64"


@dataclass(frozen=True)
class MinHashOptions:
    """``num_perm`` permutations, ``seed`` of the permutations, ``char_ngram`` the
    shingle length; ``lsh_threshold`` is the Jaccard the LSH bands are tuned for
    (candidates below it are mostly missed), set under the verified ``near`` threshold."""

    num_perm: int
    seed: int
    char_ngram: int
    lsh_threshold: float


def _identity(x: np.uint64) -> int:
    return int(x)


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> np.ndarray:
    return MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations


def signature(text: str, opts: MinHashOptions) -> np.ndarray:
    """The MinHash of the text's character n-gram set, as ``num_perm`` uint64 values."""
    m = MinHash(num_perm=opts.num_perm, seed=opts.seed, hashfunc=_identity, scheme=SCHEME,
                permutations=_permutations(opts.num_perm, opts.seed))
    shingles = char_shingle_set(text, opts.char_ngram)
    if shingles.size:
        m.update_batch(shingles)
    return np.asarray(m.hashvalues, dtype=np.uint64)


def to_bytes(sig: np.ndarray) -> bytes:
    return np.asarray(sig, dtype="<u8").tobytes()


def from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u8").astype(np.uint64)


def estimate_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """The MinHash estimate of Jaccard similarity."""
    return float(np.mean(a == b))


def lean(sig: np.ndarray, opts: MinHashOptions) -> LeanMinHash:
    return LeanMinHash(seed=opts.seed, hashvalues=sig, scheme=SCHEME)


def build_lsh(signatures: Mapping[str, np.ndarray], opts: MinHashOptions) -> MinHashLSH:
    """An in-memory LSH index over stored signatures."""
    lsh = MinHashLSH(threshold=opts.lsh_threshold, num_perm=opts.num_perm)
    with lsh.insertion_session() as session:
        for key, sig in signatures.items():
            session.insert(key, lean(sig, opts), check_duplication=False)
    return lsh


def candidate_pairs(index: MinHashLSH, queries: Mapping[str, np.ndarray], opts: MinHashOptions,
                    exclude: Iterable[tuple[str, str]] = ()) -> set[tuple[str, str]]:
    """Unordered pairs ``(a, b)`` (``a < b``) that share an LSH bucket with a query."""
    skip = {tuple(sorted(p)) for p in exclude}
    out: set[tuple[str, str]] = set()
    for key, sig in queries.items():
        for other in index.query(lean(sig, opts)):
            if other == key:
                continue
            pair = (key, other) if key < other else (other, key)
            if pair not in skip:
                out.add(pair)
    return out


__all__ = ["MinHashOptions", "signature", "to_bytes", "from_bytes", "estimate_jaccard", "build_lsh",
           "candidate_pairs", "SCHEME"]
