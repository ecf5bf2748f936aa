"""What every classifier reads about a document, computed once per batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from spacy.tokens import Doc

from pipeline.classify.similarity import Encoder, l2_normalise
from pipeline.classify.text import parse
from pipeline.classify.vader import vader_scores


@dataclass
class DocFeatures:
    """Texts with their spaCy parses, embeddings and VADER scores (row-aligned)."""

    texts: list[str]
    docs: list[Doc]
    embeddings: np.ndarray
    vader: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, idx: Sequence[int] | np.ndarray) -> "DocFeatures":
        idx = list(np.asarray(idx, dtype=int))
        return DocFeatures([self.texts[i] for i in idx], [self.docs[i] for i in idx],
                           self.embeddings[idx], self.vader[idx])


def build_features(texts: Sequence[str], encoder: Encoder, nlp=None) -> DocFeatures:
    """Parse, embed and VADER-score ``texts``."""
    texts = [t or "" for t in texts]
    if not texts:
        return DocFeatures([], [], np.zeros((0, 0), dtype=np.float32), np.zeros((0, 4), dtype=np.float32))
    docs = parse(texts, nlp)
    emb = l2_normalise(np.asarray(encoder(texts), dtype=np.float32))
    return DocFeatures(list(texts), docs, emb, vader_scores(texts))
