"""The scikit-learn LDA baseline, on the same documents and terms as our topic model."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import LatentDirichletAllocation
from sklearn.feature_extraction.text import CountVectorizer

from pipeline.topics.errors import TopicsError
from pipeline.topics.text import TERM_PATTERN


@dataclass(frozen=True)
class LdaResult:
    topic_terms: list[list[str]]  # top terms per topic
    assignments: np.ndarray  # the most probable topic of each document
    fit_seconds: float


def lda_baseline(lemmas: Sequence[str], vocabulary: Sequence[str], n_topics: int, ngram_max: int, seed: int,
                 max_iter: int, top_n: int) -> LdaResult:
    """Fit batch LDA with ``n_topics`` on term counts over ``vocabulary``; every document gets a topic."""
    if n_topics < 1:
        raise TopicsError("the LDA baseline needs at least one topic", hint="set topics.lda_n_topics to 1 or more, or model more documents")
    start = time.perf_counter()
    cv = CountVectorizer(token_pattern=TERM_PATTERN, lowercase=False, ngram_range=(1, ngram_max),
                         vocabulary=list(vocabulary))
    counts = cv.transform(lemmas)
    lda = LatentDirichletAllocation(n_components=n_topics, random_state=seed, learning_method="batch",
                                    max_iter=max_iter, n_jobs=1)
    doc_topic = lda.fit_transform(counts)
    seconds = time.perf_counter() - start
    names = cv.get_feature_names_out()
    terms = [[str(names[j]) for j in np.argsort(-row, kind="stable")[:top_n]] for row in lda.components_]
    return LdaResult(terms, doc_topic.argmax(axis=1), seconds)
