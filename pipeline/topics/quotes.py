"""Representative quotes per topic, chosen by us (not BERTopic's fixed three).

Documents are picked by maximal marginal relevance (MMR): close to the topic's
centroid, unlike the documents already picked. From each picked document we quote
the run of whole sentences (at most ``max_chars`` long) that carries most of the
topic's top terms, verbatim from the document's own text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.sentences import sentence_spans


@dataclass(frozen=True)
class Quote:
    topic_id: int
    rank: int
    doc_id: str
    quote: str
    similarity: float  # cosine similarity of the document to the topic centroid


def mmr_select(vectors: np.ndarray, centroid: np.ndarray, k: int, diversity: float) -> list[int]:
    """Indices of up to ``k`` rows of ``vectors`` (L2-normalised) by MMR.

    score = (1 - diversity) * sim(doc, centroid) - diversity * max sim(doc, picked).
    ``diversity`` 0 gives the ``k`` nearest to the centroid. Ties go to the lower index.
    """
    if len(vectors) == 0 or k <= 0:
        return []
    c = centroid / (np.linalg.norm(centroid) or 1.0)
    rel = vectors @ c
    chosen: list[int] = []
    redundancy = np.full(len(vectors), -np.inf)
    for _ in range(min(k, len(vectors))):
        red = np.where(np.isfinite(redundancy), redundancy, 0.0) if chosen else np.zeros(len(vectors))
        score = (1.0 - diversity) * rel - diversity * red
        score[chosen] = -np.inf
        best = int(np.argmax(score))
        chosen.append(best)
        redundancy = np.maximum(redundancy, vectors @ vectors[best])
    return chosen


def best_passage(text: str, term_weights: Mapping[str, float], lemmas: Sequence[str], max_chars: int,
                 min_chars: int = 0) -> str:
    """The run of consecutive sentences of ``text`` (≤ ``max_chars``) with most topic-term weight.

    ``lemmas`` are the sentences' lemmatized forms (one per sentence, in order). A
    passage scores the summed weight of the distinct topic terms it contains; ties go to
    a passage of at least ``min_chars``, then the shorter, then the earlier one (the
    tightest passage that says it). A single sentence longer than
    ``max_chars`` is cut at a word boundary and ends with an ellipsis.
    """
    spans = sentence_spans(text)
    if not spans:
        return ""
    terms_per_sentence = [_terms_in(lem, term_weights) for lem in lemmas]
    best: tuple[float, bool, int, int] | None = None
    best_span = spans[0]
    for i in range(len(spans)):
        found: set[str] = set()
        for j in range(i, len(spans)):
            if j > i and spans[j][1] - spans[i][0] > max_chars:
                break
            found |= terms_per_sentence[j]
            length = min(spans[j][1] - spans[i][0], max_chars)
            key = (round(sum(term_weights[t] for t in found), 9), length >= min_chars, -length, -i)
            if best is None or key > best:
                best, best_span = key, (spans[i][0], spans[j][1])
    quote = text[best_span[0]:best_span[1]]
    if len(quote) > max_chars:
        cut = quote[:max_chars].rsplit(" ", 1)[0].rstrip(",;:")
        quote = cut + "…"
    return quote


def _terms_in(lemmatized: str, weights: Mapping[str, float]) -> set[str]:
    toks = lemmatized.split()
    grams = set(toks) | {" ".join(toks[i:i + 2]) for i in range(len(toks) - 1)}
    grams |= {" ".join(toks[i:i + 3]) for i in range(len(toks) - 2)}
    return {g for g in grams if g in weights}


def representative_quotes(
    topics: np.ndarray,
    doc_ids: Sequence[str],
    texts: Sequence[str],
    embeddings: np.ndarray,
    centroids: Mapping[int, np.ndarray],
    topic_terms: Mapping[int, Sequence[tuple[str, float]]],
    lemmatize: Callable[[list[str]], list[str]],
    n: int,
    min_chars: int,
    max_chars: int,
    diversity: float,
) -> list[Quote]:
    """Up to ``n`` quotes for every topic except the outlier topic -1.

    Documents shorter than ``min_chars`` are used only when a topic has too few longer
    ones.
    """
    picks: list[tuple[int, int, int, float]] = []  # topic, rank, doc index, similarity
    for topic in sorted(t for t in centroids if t != -1):
        members = np.flatnonzero(topics == topic)
        long_enough = [i for i in members if len(texts[i].strip()) >= min_chars]
        pool = np.array(long_enough if len(long_enough) >= n else list(members), dtype=int)
        if len(pool) == 0:
            continue
        c = centroids[topic]
        order = mmr_select(embeddings[pool], c, n, diversity)
        for rank, j in enumerate(order, 1):
            i = int(pool[j])
            sim = float(embeddings[i] @ (c / (np.linalg.norm(c) or 1.0)))
            picks.append((topic, rank, i, sim))
    # Lemmatize the sentences of all picked documents in one batch.
    sentences: list[str] = []
    bounds: list[tuple[int, int]] = []
    for _, _, i, _ in picks:
        spans = sentence_spans(texts[i])
        bounds.append((len(sentences), len(sentences) + len(spans)))
        sentences.extend(texts[i][a:b] for a, b in spans)
    lemmas = lemmatize(sentences) if sentences else []
    quotes = []
    for (topic, rank, i, sim), (a, b) in zip(picks, bounds):
        weights = {term: float(w) for term, w in topic_terms.get(topic, ())}
        quotes.append(Quote(topic, rank, doc_ids[i], best_passage(texts[i], weights, lemmas[a:b], max_chars, min_chars),
                            sim))
    return quotes
