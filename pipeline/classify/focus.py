"""The sentences of a document that speak about a theme, for judging stance on them.

A long comment often names several targets and takes a different line on each; its
overall tone is not its stance toward any one of them. For a (document, theme) pair the
focus is the sentences that match one of the theme's seed terms or whose embedding is
close to the theme's prototype (``min_similarity``); when none does, the ``top`` most
similar sentences. A document of at most ``top`` sentences is its own focus.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from spacy.tokens import Doc

from pipeline.classify.similarity import Encoder, l2_normalise
from pipeline.classify.text import sentences, token_bounds


@dataclass
class SentenceSet:
    """The non-blank sentences of a batch of parsed documents, embedded.

    ``owner[i]`` is the document row of sentence i; ``bounds[i]`` its token span in
    that document (start, end); ``by_row[r]`` the sentence indices of row r."""

    owner: np.ndarray
    texts: list[str]
    bounds: list[tuple[int, int]]
    embeddings: np.ndarray
    by_row: list[list[int]]

    def subset(self, idx: Sequence[int]) -> "SentenceSet":
        keep: list[int] = []
        owner: list[int] = []
        by_row: list[list[int]] = []
        for new, r in enumerate(idx):
            mine = self.by_row[int(r)]
            by_row.append(list(range(len(keep), len(keep) + len(mine))))
            keep.extend(mine)
            owner.extend([new] * len(mine))
        return SentenceSet(np.asarray(owner, dtype=int), [self.texts[i] for i in keep],
                           [self.bounds[i] for i in keep], self.embeddings[keep] if len(keep) else
                           self.embeddings[:0], by_row)


def sentence_set(docs: Sequence[Doc], encoder: Encoder) -> SentenceSet:
    """Split each parsed document into sentences and embed them (one encoder call)."""
    owner, texts, bounds = [], [], []
    by_row: list[list[int]] = []
    for r, doc in enumerate(docs):
        mine = []
        for sent in sentences(doc):
            mine.append(len(texts))
            owner.append(r)
            texts.append(sent.text)
            bounds.append(token_bounds(doc, sent))
        by_row.append(mine)
    emb = l2_normalise(np.asarray(encoder(texts), dtype=np.float32)) if texts else np.zeros((0, 0), np.float32)
    return SentenceSet(np.asarray(owner, dtype=int), texts, bounds, emb, by_row)


def sentence_hits(doc: Doc, matches: Sequence[tuple[int, int]], bounds: Sequence[tuple[int, int]]) -> np.ndarray:
    """How many of ``matches`` (token start, end) fall in each sentence (by its start token)."""
    out = np.zeros(len(bounds), dtype=np.float32)
    for s, _e in matches:
        for i, (a, b) in enumerate(bounds):
            if a <= s < b:
                out[i] += 1
                break
    return out


def select(sims: np.ndarray, hits: np.ndarray, min_similarity: float, top: int) -> list[int]:
    """Positions (within one document's sentences) of its focus on one theme."""
    n = len(sims)
    if n == 0:
        return []
    if n <= top:
        return list(range(n))
    chosen = [i for i in range(n) if hits[i] > 0 or sims[i] >= min_similarity]
    if not chosen:
        chosen = sorted(np.argsort(-sims)[:top].tolist())
    return chosen


__all__ = ["SentenceSet", "sentence_set", "sentence_hits", "select"]
