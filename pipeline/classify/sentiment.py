"""Sentiment (NEGATIVE / NEUTRAL / POSITIVE): VADER baseline and a domain model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from pipeline.classify.errors import ClassifySettingError
from pipeline.classify.features import DocFeatures
from pipeline.classify.labels import SENTIMENTS
from pipeline.classify.linear import SafeLogit, biased_argmax, dense, fit_tfidf, make_tfidf, tfidf_block, tune_bias

VADER = "vader"
DOMAIN = "domain"
STATS_WEIGHT = 3.0  # chosen by grouped cross-validation on the shipped training data
NO_BIAS = "none"       # classify.class_bias: the most probable class is the label
INNER_CV = "inner_cv"  # per-class log-probability offsets chosen on held-out calibrated probabilities
BIAS_MODES = (NO_BIAS, INNER_CV)


class SentimentModel:
    """A balanced multinomial logistic regression over [embedding, tf-idf, VADER scores,
    sentence-level VADER statistics x ``STATS_WEIGHT``], trained on coded documents of
    this blog. With ``bias_mode`` 'inner_cv' (needs ``calibrate``) the label is the best
    class after per-class offsets (``bias``) to the log-probabilities, chosen for the
    best macro-F1 on the calibration folds' held-out probabilities (inside the training
    data); the probabilities themselves stay calibrated."""

    kind = "sentiment"

    def __init__(self, C: float, max_features: int, seed: int, calibrate: bool = False,
                 bias_mode: str = NO_BIAS):
        if bias_mode not in BIAS_MODES:
            raise ClassifySettingError(f"unknown class bias mode {bias_mode!r}",
                                       f"set classify.class_bias to one of: {', '.join(BIAS_MODES)}")
        self.bias_mode = bias_mode
        self.bias: np.ndarray | None = None
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
        oof = self.model.take_oof(SENTIMENTS)
        self.bias = None
        if getattr(self, "bias_mode", NO_BIAS) == INNER_CV and oof is not None:
            self.bias = tune_bias([SENTIMENTS.index(x) for x in labels], oof, weights)
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
        idx = biased_argmax(p, getattr(self, "bias", None))
        return [SENTIMENTS[i] for i in idx], p[np.arange(len(p)), idx] if len(p) else np.zeros(0)
