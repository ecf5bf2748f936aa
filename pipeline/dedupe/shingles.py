"""Tokens and shingles with stable 64-bit hashes. Pure, deterministic across runs.

Word shingles (k consecutive folded words) locate shared passages between documents
(quotations, anthology sections, reposts); character n-grams of the folded text feed
MinHash for near-duplicates. Hashes never use Python's salted ``hash()``, so values
stored in the database stay valid between runs and machines.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import sparse

from pipeline.config import ConfigError
from pipeline.textnorm import fold
from pipeline.shards import spans

# A URL is one token (two links to the same site must not look like a shared passage).
_WORD = re.compile(r"(?:https?://|www\.)[^\s<>\"“”]+|[^\W_]+", re.UNICODE | re.IGNORECASE)
_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant (golden ratio)


@dataclass(frozen=True)
class Tokens:
    """Folded words of a text with their character offsets in it, each word's
    ``word_hash`` and its length in characters (computed once, where the text is
    tokenised: the shingles are made of the hashes, and passage alignment compares words
    by hash and length before it compares any two as strings)."""

    words: tuple[str, ...]
    starts: np.ndarray
    ends: np.ndarray
    hashes: np.ndarray  # uint64, word_hash of each word
    lengths: np.ndarray  # uint8, len() of each word, at most LENGTH_CAP

    def __len__(self) -> int:
        return len(self.words)


@lru_cache(maxsize=1 << 18)
def _fold_word(w: str) -> str:
    w = unicodedata.normalize("NFKD", w.casefold())
    return "".join(ch for ch in w if not unicodedata.combining(ch))


def tokenize(text: str) -> Tokens:
    """Words (letters/digits runs; a URL is one word), case- and accent-folded, with
    offsets into ``text``."""
    words, starts, ends = [], [], []
    for m in _WORD.finditer(text):
        words.append(_fold_word(m.group(0)))
        starts.append(m.start())
        ends.append(m.end())
    return Tokens(tuple(words), np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64),
                  word_hashes(words), word_lengths(words))


@lru_cache(maxsize=1 << 18)
def word_hash(word: str) -> int:
    """A stable 64-bit hash of one word."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def word_hashes(words: Sequence[str]) -> np.ndarray:
    """``word_hash`` of each word, as uint64."""
    return np.fromiter((word_hash(w) for w in words), dtype=np.uint64, count=len(words))


LENGTH_CAP = 255
"""``word_lengths`` are kept in one byte: a word this long or longer counts as this long."""


def word_lengths(words: Sequence[str]) -> np.ndarray:
    """``len`` of each word, at most ``LENGTH_CAP``, as uint8 (one byte a word in every
    ``Tokens`` a run keeps)."""
    return np.fromiter((min(len(w), LENGTH_CAP) for w in words), dtype=np.uint8, count=len(words))


def _fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser: spreads the bits of a combined hash."""
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB93FE53B20A3)
    return h ^ (h >> np.uint64(33))


def word_shingles(tokens: Tokens, k: int) -> np.ndarray:
    """One uint64 hash per window of ``k`` words (``len(tokens) - k + 1`` of them;
    none when the text is shorter than ``k`` words)."""
    n = len(tokens) - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    th = tokens.hashes
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * _MULT + th[j:j + n]
        return _fmix64(h)


def char_shingle_set(text: str, n: int) -> np.ndarray:
    """The distinct character ``n``-grams of the folded text (``fold``: lower-case ASCII
    letters, digits, single spaces), each packed exactly into an integer (n <= 8)."""
    if not 1 <= n <= 8:
        raise ConfigError("dedupe.char_ngram must be between 1 and 8")
    b = np.frombuffer(fold(text).encode("ascii", "ignore"), dtype=np.uint8).astype(np.uint64)
    if b.size == 0:
        return np.zeros(0, dtype=np.uint64)
    if b.size < n:
        n = int(b.size)
    m = b.size - n + 1
    v = np.zeros(m, dtype=np.uint64)
    for j in range(n):
        v = (v << np.uint64(8)) | b[j:j + m]
    return np.unique(v)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sets given as unique arrays."""
    if a.size == 0 and b.size == 0:
        return 1.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / (a.size + b.size - inter)


def pair_jaccards(sets: Sequence[np.ndarray], a: np.ndarray, b: np.ndarray, batch: int = 8192) -> np.ndarray:
    """Exact Jaccard of ``sets[a[i]]`` and ``sets[b[i]]`` for every i (each set a unique
    array, as ``char_shingle_set`` gives): the same values as ``jaccard`` pair by pair
    (1.0 for two empty sets), computed as one sparse matrix of the sets (integer columns)
    whose row pairs are intersected ``batch`` at a time in C. ``batch`` bounds memory
    only; it does not change a value."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if a.size == 0:
        return np.zeros(0, dtype=float)
    lens = np.fromiter((s.size for s in sets), dtype=np.int64, count=len(sets))
    values = np.concatenate([np.asarray(s) for s in sets]) if lens.sum() else np.zeros(0, dtype=np.uint64)
    cols, _ = pd.factorize(values)  # a column per distinct value (hash table: no sort of every value)
    cols = np.asarray(cols, dtype=np.int64).ravel()
    width = int(cols.max()) + 1 if cols.size else 1
    indptr = np.concatenate([[0], np.cumsum(lens)])
    m = sparse.csr_matrix((np.ones(cols.size, dtype=np.int32), cols, indptr), shape=(len(sets), width))
    inter = np.empty(a.size, dtype=np.int64)
    for s, e in spans(a.size, batch):
        both = m[a[s:e]].multiply(m[b[s:e]])
        inter[s:e] = np.asarray(both.sum(axis=1)).ravel()
    union = lens[a] + lens[b] - inter
    return np.where(union == 0, 1.0, inter / np.maximum(union, 1))


def shingle_table(docs: pd.DataFrame, k: int, tokens: Mapping[str, Tokens] | None = None) -> pd.DataFrame:
    """``hash, doc_id, pos`` for every word shingle of every document (columns
    ``doc_id``, ``clean_text``; ``tokens``, when given, are their texts' ``tokenize``
    already: each text is then not tokenised again). ``pos`` is the word index where the
    shingle starts. ``hash`` is a signed int64 view of the uint64 hash (what the store
    keeps)."""
    hashes, ids, pos = [], [], []
    for doc_id, text in zip(docs["doc_id"], docs["clean_text"]):
        h = word_shingles(tokens[doc_id] if tokens is not None else tokenize(text), k)
        if h.size:
            hashes.append(h.view(np.int64))
            ids.append(np.full(h.size, doc_id, dtype=object))
            pos.append(np.arange(h.size, dtype=np.int32))
    if not hashes:
        return pd.DataFrame({"hash": pd.Series(dtype=np.int64), "doc_id": pd.Series(dtype=object),
                             "pos": pd.Series(dtype=np.int32)})
    return pd.DataFrame({"hash": np.concatenate(hashes), "doc_id": np.concatenate(ids),
                         "pos": np.concatenate(pos)})


__all__ = ["LENGTH_CAP", "Tokens", "tokenize", "word_hash", "word_hashes", "word_lengths", "word_shingles",
           "char_shingle_set", "jaccard", "pair_jaccards", "shingle_table"]
