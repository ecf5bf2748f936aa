"""Sentiment (NEGATIVE / NEUTRAL / POSITIVE): VADER baseline and a domain model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from pipeline.classify.features import DocFeatures
from pipeline.classify.labels import SENTIMENTS
from pipeline.classify.linear import SafeLogit, dense, fit_tfidf, make_tfidf, tfidf_block

VADER = "vader"
DOMAIN = "domain"
STATS_WEIGHT = 3.0  # chosen by grouped cross-validation on the shipped training data


class SentimentModel:
    """A balanced multinomial logistic regression over [embedding, tf-idf, VADER scores,
    sentence-level VADER statistics x ``STATS_WEIGHT``], trained on coded documents of
    this blog."""

    kind = "sentiment"

    def __init__(self, C: float, max_features: int, seed: int, calibrate: bool = False):
        self.C = C
        self.calibrate = calibrate
        self.max_features = max_features
        self.seed = seed
        self.vectorizer = None
        self.model: SafeLogit | None = None

    def _matrix(self, feats: DocFeatures) -> sparse.csr_matrix:
        return sparse.hstack([dense(feats.embeddings), tfidf_block(self.vectorizer, feats.texts),
                              dense(feats.vader), dense(feats.stats * STATS_WEIGHT)]).tocsr()

    @property
    def calibrated(self) -> bool:
        return bool(self.model is not None and getattr(self.model, "calibrated", False))

    def fit(self, feats: DocFeatures, labels: Sequence[str], weights: Sequence[float] | None = None,
            groups: Sequence | None = None) -> "SentimentModel":
        self.vectorizer = fit_tfidf(make_tfidf(self.max_features), feats.texts)
        self.model = SafeLogit(self.C, self.seed, getattr(self, "calibrate", False)).fit(
            self._matrix(feats), list(labels), weights, groups)
        return self

    def predict_proba(self, feats: DocFeatures) -> np.ndarray:
        """Probabilities in ``SENTIMENTS`` order, shape (n, 3)."""
        if len(feats) == 0:
            return np.zeros((0, len(SENTIMENTS)))
        X = self._matrix(feats)
        if self.model is not None and self.model.model is None:  # one class seen in training
            out = np.zeros((len(feats), len(SENTIMENTS)))
            out[:, SENTIMENTS.index(self.model.classes_[0])] = 1.0
            return out
        return self.model.proba_for(X, SENTIMENTS)

    def predict(self, feats: DocFeatures) -> tuple[list[str], np.ndarray]:
        p = self.predict_proba(feats)
        idx = p.argmax(axis=1) if len(p) else np.zeros(0, dtype=int)
        return [SENTIMENTS[i] for i in idx], p.max(axis=1) if len(p) else np.zeros(0)
