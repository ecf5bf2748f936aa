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
import pandas as pd
from datasketch import LeanMinHash, MinHash, MinHashLSH
from datasketch.minhash import _fmix  # its 64-bit mix, as update_batch applies it (pinned; tested)

from pipeline.dedupe.shingles import char_shingle_set
from pipeline.shards import slices, spans

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


_BATCH = 8192  # n-grams permuted at a time (a block of _BATCH x num_perm values: bounds memory only)


def _identity(x: np.uint64) -> int:
    return int(x)


@lru_cache(maxsize=8)
def _minhash(num_perm: int, seed: int) -> MinHash:
    """An empty datasketch MinHash of this size and seed (its permutations and initial
    values, which ``signature`` only reads)."""
    return MinHash(num_perm=num_perm, seed=seed, hashfunc=_identity, scheme=SCHEME)


def signature(text: str, opts: MinHashOptions) -> np.ndarray:
    """The MinHash of the text's character n-gram set, as ``num_perm`` uint64 values:
    datasketch's ``MinHash.update_batch`` with the n-grams themselves as hash values,
    computed as it computes them (its 64-bit mix, then each affine permutation, then
    the minimum), on the n-gram array at once rather than through a hash function
    called once per n-gram (a quarter of the hashing's time). Tests compare the two."""
    empty = _minhash(opts.num_perm, opts.seed)
    a, b = empty.permutations
    sig = np.array(empty.hashvalues, dtype=np.uint64)
    shingles = char_shingle_set(text, opts.char_ngram)
    for part in slices(shingles, _BATCH):
        hv = _fmix(part.reshape(-1, 1), 64)
        sig = np.minimum(sig, (hv * a + b).min(axis=0))
    return sig


def to_bytes(sig: np.ndarray) -> bytes:
    return np.asarray(sig, dtype="<u8").tobytes()


def from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u8").astype(np.uint64)


def estimate_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """The MinHash estimate of Jaccard similarity."""
    return float(np.mean(a == b))


def pair_estimates(sigs: np.ndarray, a: np.ndarray, b: np.ndarray, batch: int = 16384) -> np.ndarray:
    """The MinHash estimate (``estimate_jaccard``) of the signature rows ``sigs[a[i]]``
    and ``sigs[b[i]]`` for every i, ``batch`` pairs at a time (bounds memory only)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    out = np.empty(a.size, dtype=float)
    for s, e in spans(a.size, batch):
        out[s:e] = (sigs[a[s:e]] == sigs[b[s:e]]).mean(axis=1)
    return out


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


BAND_COLUMNS = ["band", "key", "doc_id"]

_MIX = np.uint64(0x9E3779B97F4A7C15)
_MUL = np.uint64(0xBF58476D1CE4E5B9)


@lru_cache(maxsize=8)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` of datasketch's ``MinHashLSH`` for these settings (the same
    optimum, so the persisted bands propose the same candidates as its buckets)."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return int(lsh.b), int(lsh.r)


def band_keys(sigs: np.ndarray, opts: MinHashOptions) -> np.ndarray:
    """``(n, bands)`` int64 keys of the LSH bands of ``n`` signatures (rows of ``sigs``).

    Each key is a 64-bit mix of the band's ``rows`` hash values, vectorised over the
    documents: two documents share a key exactly when the band's values are equal
    (datasketch's bucket test), up to a 2**-64 chance of a collision, which only adds a
    candidate that exact verification then measures."""
    b, r = lsh_params(opts.lsh_threshold, opts.num_perm)
    sigs = np.asarray(sigs, dtype=np.uint64).reshape(-1, opts.num_perm)
    out = np.empty((sigs.shape[0], b), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(b):
            h = np.full(sigs.shape[0], np.uint64(i + 1) * _MIX, dtype=np.uint64)
            for j in range(i * r, (i + 1) * r):
                h = (h ^ sigs[:, j]) * _MUL
                h ^= h >> np.uint64(31)
            out[:, i] = h
    return out.view(np.int64)


def band_table(signatures: Mapping[str, np.ndarray], opts: MinHashOptions) -> pd.DataFrame:
    """``band, key, doc_id``: the LSH bands of every signature (what the store keeps, so
    a later run queries them instead of rebuilding an index from every signature)."""
    ids = list(signatures)
    if not ids:
        return pd.DataFrame({"band": pd.Series(dtype=np.int16), "key": pd.Series(dtype=np.int64),
                             "doc_id": pd.Series(dtype=object)})
    keys = band_keys(np.stack([signatures[d] for d in ids]), opts)
    n, b = keys.shape
    return pd.DataFrame({"band": np.tile(np.arange(b, dtype=np.int16), n), "key": keys.reshape(-1),
                         "doc_id": np.repeat(np.asarray(ids, dtype=object), b)})


def band_candidates(query: pd.DataFrame, index: pd.DataFrame) -> set[tuple[str, str]]:
    """Unordered pairs ``(a, b)`` (``a < b``) of a query document and an indexed one
    that share a band key (``query`` and ``index`` are band tables; the index may hold
    the query documents)."""
    if query.empty or index.empty:
        return set()
    m = query.merge(index, on=["band", "key"], suffixes=("_q", "_i"))
    m = m[m["doc_id_q"] != m["doc_id_i"]]
    a, b = m["doc_id_q"].to_numpy(dtype=object), m["doc_id_i"].to_numpy(dtype=object)
    lo = np.where(a < b, a, b)
    hi = np.where(a < b, b, a)
    return set(zip(lo.tolist(), hi.tolist()))


__all__ = ["MinHashOptions", "signature", "to_bytes", "from_bytes", "estimate_jaccard", "pair_estimates", "build_lsh",
           "candidate_pairs", "SCHEME", "BAND_COLUMNS", "lsh_params", "band_keys", "band_table", "band_candidates"]
