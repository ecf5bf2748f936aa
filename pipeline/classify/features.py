"""What every classifier reads about a document, computed once per batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from spacy.tokens import Doc

from pipeline.classify.focus import SentenceSet, sentence_set
from pipeline.classify.similarity import Encoder, l2_normalise
from pipeline.classify.text import parse
from pipeline.classify.vader import sentence_stats, vader_scores


@dataclass
class DocFeatures:
    """Texts with their spaCy parses, embeddings, VADER scores and sentence-level VADER
    statistics (row-aligned), and optionally the same for each row's thread context."""

    texts: list[str]
    docs: list[Doc]
    embeddings: np.ndarray
    vader: np.ndarray
    stats: np.ndarray
    context: "DocFeatures | None" = None
    sentences: SentenceSet | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, idx: Sequence[int] | np.ndarray) -> "DocFeatures":
        idx = list(np.asarray(idx, dtype=int))
        return DocFeatures([self.texts[i] for i in idx], [self.docs[i] for i in idx], self.embeddings[idx],
                           self.vader[idx], self.stats[idx],
                           self.context.subset(idx) if self.context is not None else None,
                           self.sentences.subset(idx) if self.sentences is not None else None)


def _plain_features(texts: list[str], encoder: Encoder, nlp=None) -> DocFeatures:
    if not texts:
        return DocFeatures([], [], np.zeros((0, 0), dtype=np.float32), np.zeros((0, 4), dtype=np.float32),
                           np.zeros((0, 8), dtype=np.float32))
    docs = parse(texts, nlp)
    emb = l2_normalise(np.asarray(encoder(texts), dtype=np.float32))
    return DocFeatures(list(texts), docs, emb, vader_scores(texts), sentence_stats(docs))


def features_of_parsed(texts: Sequence[str], docs: Sequence[Doc], encoder: Encoder) -> DocFeatures:
    """Features of texts already parsed (``docs``, one per text): nothing is parsed again."""
    texts = [t or "" for t in texts]
    if not texts:
        return _plain_features([], encoder)
    emb = l2_normalise(np.asarray(encoder(texts), dtype=np.float32))
    return DocFeatures(list(texts), list(docs), emb, vader_scores(texts), sentence_stats(list(docs)))


def build_features(texts: Sequence[str], encoder: Encoder, nlp=None,
                   contexts: Sequence[str] | None = None, sentences: bool = False) -> DocFeatures:
    """Parse, embed and VADER-score ``texts``; with ``contexts`` (one per text: the
    thread's title and opening words, see ``context_text``) also each distinct context;
    with ``sentences`` also each text's sentences, embedded (``focus.SentenceSet``)."""
    feats = _plain_features([t or "" for t in texts], encoder, nlp)
    if sentences:
        feats.sentences = sentence_set(feats.docs, encoder)
    if contexts is not None:
        if len(contexts) != len(texts):
            raise ValueError("one context per text is needed")
        distinct = sorted({c or "" for c in contexts})
        cf = _plain_features(distinct, encoder, nlp)
        where = {c: i for i, c in enumerate(distinct)}
        feats.context = cf.subset([where[c or ""] for c in contexts]) if len(distinct) else None
    return feats


def context_text(title: str | None, post_own_text: str | None, max_chars: int = 1500) -> str:
    """A document's thread context: its post's title and the start of the post's own
    words (pasted and quoted text already removed). Never the document's own text."""
    def _s(v) -> str:
        return v.strip() if isinstance(v, str) else ""

    parts = [_s(title), _s(post_own_text)[:max_chars]]
    return "\n".join(p for p in parts if p)
