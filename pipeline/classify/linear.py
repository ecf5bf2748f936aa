"""Shared pieces of the supervised models: tf-idf text features and a logistic regression
that copes with a training set holding a single class."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression


def make_tfidf(max_features: int) -> TfidfVectorizer:
    """Words and bigrams, sublinear counts; rare terms (one document) are dropped."""
    return TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=max_features, sublinear_tf=True,
                           strip_accents="unicode", lowercase=True)


def fit_tfidf(vec: TfidfVectorizer, texts: Sequence[str]) -> TfidfVectorizer | None:
    """Fit the vectoriser; None when the texts share too few words to make a vocabulary."""
    try:
        vec.fit(texts)
    except ValueError:
        return None
    return vec


def tfidf_block(vec: TfidfVectorizer | None, texts: Sequence[str]) -> sparse.csr_matrix:
    if vec is None:
        return sparse.csr_matrix((len(texts), 0), dtype=np.float32)
    return vec.transform(texts).astype(np.float32)


def dense(x: np.ndarray) -> sparse.csr_matrix:
    return sparse.csr_matrix(np.asarray(x, dtype=np.float32))


class SafeLogit:
    """A balanced logistic regression; a training set with one class predicts that class."""

    def __init__(self, C: float, seed: int):
        self.C = C
        self.seed = seed
        self.model: LogisticRegression | None = None
        self.classes_: np.ndarray = np.array([])
        self.constant: int | None = None

    def fit(self, X, y: Sequence) -> "SafeLogit":
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            self.constant = 0
            self.model = None
            return self
        self.model = LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000,
                                        random_state=self.seed)
        self.model.fit(X, y)
        self.classes_ = self.model.classes_
        return self

    def predict_proba(self, X) -> np.ndarray:
        if self.model is None:
            return np.ones((X.shape[0], 1), dtype=np.float64)
        return self.model.predict_proba(X)

    def proba_for(self, X, labels: Sequence) -> np.ndarray:
        """Probabilities in the order of ``labels`` (0 for a label never seen in training)."""
        p = self.predict_proba(X)
        out = np.zeros((X.shape[0], len(labels)), dtype=np.float64)
        where = {c: i for i, c in enumerate(self.classes_)}
        for j, lab in enumerate(labels):
            if lab in where:
                out[:, j] = p[:, where[lab]]
        return out
