"""What every classifier reads about a document, computed once per batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
from spacy.tokens import Doc

from pipeline.classify.focus import SentenceSet, sentence_set
from pipeline.classify.similarity import Encoder, l2_normalise
from pipeline.classify.text import Sentence, parse, sentence_doc, sentence_doc_text
from pipeline.classify.text import sentences as split_sentences
from pipeline.classify.vader import sentence_stats, stats_of_compounds, vader_scores
from pipeline.nlp import Tagger


@dataclass
class SentenceSplit:
    """The non-blank sentences of each parsed text (``text.sentences``, from the text's
    one parse) with their VADER scores: scored once, read by the document's sentence
    statistics and by sentence sentiment. ``owner[i]`` is the text row of sentence i
    (ascending)."""

    owner: np.ndarray
    sentences: list[Sentence]
    vader: np.ndarray

    @classmethod
    def of(cls, docs: Sequence[Doc]) -> "SentenceSplit":
        owner: list[int] = []
        sents: list[Sentence] = []
        for r, doc in enumerate(docs):
            mine = split_sentences(doc)
            owner.extend([r] * len(mine))
            sents.extend(mine)
        return cls(np.asarray(owner, dtype=int), sents, vader_scores([x.text for x in sents]))

    def subset(self, idx: Sequence[int]) -> "SentenceSplit":
        idx = np.asarray(idx, dtype=int)
        lo = np.searchsorted(self.owner, idx, side="left")
        hi = np.searchsorted(self.owner, idx, side="right")
        keep = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)]) if len(idx) else np.zeros(0, dtype=int)
        keep = keep.astype(int)
        return SentenceSplit(np.repeat(np.arange(len(idx)), hi - lo), [self.sentences[i] for i in keep],
                             self.vader[keep])


class SentenceDocs(Sequence):
    """Each sentence of a split as a Doc of its own (``text.sentence_doc``), built only
    when read: the sentence models read the sentences' texts and statistics, not Docs."""

    def __init__(self, docs: Sequence[Doc], split: SentenceSplit):
        self._docs, self._split = docs, split

    def __len__(self) -> int:
        return len(self._split.sentences)

    @overload
    def __getitem__(self, i: int) -> Doc: ...

    @overload
    def __getitem__(self, i: slice) -> list[Doc]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return sentence_doc(self._docs[int(self._split.owner[i])], self._split.sentences[i])


@dataclass
class DocFeatures:
    """Texts with their spaCy parses, embeddings, VADER scores and sentence-level VADER
    statistics (row-aligned), and optionally the same for each row's thread context."""

    texts: list[str]
    docs: Sequence[Doc]
    embeddings: np.ndarray
    vader: np.ndarray
    stats: np.ndarray
    context: "DocFeatures | None" = None
    sentences: SentenceSet | None = None
    split: SentenceSplit | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, idx: Sequence[int] | np.ndarray) -> "DocFeatures":
        idx = list(np.asarray(idx, dtype=int))
        return DocFeatures([self.texts[i] for i in idx], [self.docs[i] for i in idx], self.embeddings[idx],
                           self.vader[idx], self.stats[idx],
                           self.context.subset(idx) if self.context is not None else None,
                           self.sentences.subset(idx) if self.sentences is not None else None,
                           self.split.subset(idx) if self.split is not None else None)


def _plain_features(texts: list[str], encoder: Encoder, nlp=None, tagger: Tagger | None = None) -> DocFeatures:
    if not texts:
        return DocFeatures([], [], np.zeros((0, 0), dtype=np.float32), np.zeros((0, 4), dtype=np.float32),
                           np.zeros((0, 8), dtype=np.float32))
    docs = parse(texts, nlp, tagger=tagger)
    emb = l2_normalise(np.asarray(encoder(texts), dtype=np.float32))
    split = SentenceSplit.of(docs)
    stats = sentence_stats(docs, split.vader[:, 3], split.owner, texts)
    return DocFeatures(list(texts), docs, emb, vader_scores(texts), stats, split=split)


def features_of_parsed(texts: Sequence[str], docs: Sequence[Doc], encoder: Encoder) -> DocFeatures:
    """Features of texts already parsed (``docs``, one per text): nothing is parsed again."""
    texts = [t or "" for t in texts]
    if not texts:
        return _plain_features([], encoder)
    emb = l2_normalise(np.asarray(encoder(texts), dtype=np.float32))
    return DocFeatures(list(texts), list(docs), emb, vader_scores(texts), sentence_stats(list(docs)))


def sentence_features(feats: DocFeatures, encoder: Encoder, split: SentenceSplit | None = None) -> DocFeatures:
    """Features of every sentence of ``feats``' texts (row i: ``feats.split.sentences[i]``),
    from the texts' one parse and their sentences' one VADER scoring: the same as
    ``features_of_parsed`` over ``text.sentence_doc`` of each sentence, without building
    those Docs (they are built only if read)."""
    if split is None:
        split = feats.split if feats.split is not None else SentenceSplit.of(feats.docs)
    texts = [x.text for x in split.sentences]
    if not texts:
        return _plain_features([], encoder)
    emb = l2_normalise(np.asarray(encoder(texts), dtype=np.float32))
    own = [sentence_doc_text(feats.docs[int(r)], x) for r, x in zip(split.owner, split.sentences)]
    stats = stats_of_compounds(split.vader[:, 3], np.arange(len(texts)), own)
    return DocFeatures(texts, SentenceDocs(feats.docs, split), emb, split.vader, stats)


def build_features(texts: Sequence[str], encoder: Encoder, nlp=None,
                   contexts: Sequence[str] | None = None, sentences: bool = False,
                   tagger: Tagger | None = None) -> DocFeatures:
    """Parse, embed and VADER-score ``texts``; with ``contexts`` (one per text: the
    thread's title and opening words, see ``context_text``) also each distinct context;
    with ``sentences`` also each text's sentences, embedded (``focus.SentenceSet``).
    ``tagger`` (``pipeline.nlp.reusing_tagger``) gives the parses when set: stored tags
    reused, the same Docs."""
    feats = _plain_features([t or "" for t in texts], encoder, nlp, tagger)
    if sentences:
        feats.sentences = sentence_set(feats.docs, encoder)
    if contexts is not None:
        if len(contexts) != len(texts):
            raise ValueError("one context per text is needed")
        distinct = sorted({c or "" for c in contexts})
        cf = _plain_features(distinct, encoder, nlp, tagger)
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
