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


def calibration_splits(y: np.ndarray, groups: Sequence | None, k: int, seed: int) -> list | None:
    """Train/held-out splits for Platt calibration: grouped (by thread or page) and
    stratified when groups are given; None when a class has fewer than two examples."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    _, counts = np.unique(y, return_counts=True)
    k = int(min(k, counts.min()))
    if k < 2:
        return None
    if groups is not None and len(set(groups)) >= k:
        splits = list(StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
                      .split(np.zeros(len(y)), y, groups=list(groups)))
    else:
        splits = list(StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    if any(len(np.unique(y[tr])) < len(np.unique(y)) for tr, _ in splits):
        splits = list(StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    return splits


class SafeLogit:
    """A balanced logistic regression; a training set with one class predicts that class.

    With ``calibrate`` the probabilities are Platt-calibrated (sigmoid) on held-out
    folds (``CalibratedClassifierCV`` over ``calibration_splits``, grouped when
    ``groups`` are given): the balanced class weights skew raw probabilities toward rare
    classes, calibration maps them back to observed frequencies. ``sample_weight``
    weights documents (real text over synthetic)."""

    def __init__(self, C: float, seed: int, calibrate: bool = False, calibration_folds: int = 3):
        self.oof_: np.ndarray | None = None  # held-out calibrated probabilities of the last fit (not kept)
        self.C = C
        self.seed = seed
        self.calibrate = calibrate
        self.calibration_folds = calibration_folds
        self.calibrated = False
        self.model = None
        self.classes_: np.ndarray = np.array([])
        self.constant: int | None = None

    def fit(self, X, y: Sequence, sample_weight: Sequence[float] | None = None,
            groups: Sequence | None = None) -> "SafeLogit":
        from sklearn.calibration import CalibratedClassifierCV

        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            self.constant = 0
            self.model = None
            return self
        sw = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        base = LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000, random_state=self.seed)
        splits = calibration_splits(y, groups, self.calibration_folds, self.seed) if self.calibrate else None
        if splits is not None:
            self.model = CalibratedClassifierCV(base, method="sigmoid", cv=splits, ensemble=True)
            self.model.fit(X, y, sample_weight=sw)
            self.calibrated = True
            # each fold's calibrated model on the fold it did not see: honest (inner) held-out
            # probabilities of the training rows, for choosing decision thresholds
            oof = np.zeros((X.shape[0], len(self.model.classes_)), dtype=np.float64)
            for (_, test), part in zip(splits, self.model.calibrated_classifiers_):
                oof[test] = part.predict_proba(X[test])
            self.oof_ = oof
        else:
            self.model = base.fit(X, y, sample_weight=sw)
            self.calibrated = False
        self.classes_ = self.model.classes_
        return self

    def take_oof(self, labels: Sequence) -> np.ndarray | None:
        """The held-out probabilities of the last (calibrated) fit in the order of
        ``labels``, then forgotten (they are not saved with the model); None without."""
        oof, self.oof_ = getattr(self, "oof_", None), None
        if oof is None:
            return None
        out = np.zeros((oof.shape[0], len(labels)), dtype=np.float64)
        where = {c: i for i, c in enumerate(self.classes_)}
        for j, lab in enumerate(labels):
            if lab in where:
                out[:, j] = oof[:, where[lab]]
        return out

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


# ---- decision rules chosen by inner cross-validation ----------------------------------

THRESHOLD_GRID = np.round(np.arange(0.1, 0.81, 0.05), 2)
BIAS_GRID = np.round(np.arange(-1.5, 1.51, 0.25), 2)


def _weighted_f1(y: np.ndarray, pred: np.ndarray, w: np.ndarray) -> float:
    tp = float(np.sum(w * (y & pred)))
    fp = float(np.sum(w * (~y & pred)))
    fn = float(np.sum(w * (y & ~pred)))
    return 2 * tp / (2 * tp + fp + fn) if (tp + fp + fn) else 0.0


def tune_threshold(y: Sequence[int], proba: np.ndarray, weights: Sequence[float] | None, default: float) -> float:
    """The probability threshold with the best (weighted) F1 of the present class on
    held-out probabilities; ties go to the one nearest ``default``, which is also kept
    when there is no positive example."""
    y = np.asarray(y) == 1
    proba = np.asarray(proba, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    if not y.any() or y.all():
        return float(default)
    return float(max(THRESHOLD_GRID, key=lambda t: (round(_weighted_f1(y, proba >= t, w), 9), -abs(t - default))))


def biased_argmax(proba: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """Index of the best class after adding ``bias`` (per class) to the log-probabilities."""
    proba = np.asarray(proba, dtype=float)
    if bias is None or len(proba) == 0:
        return proba.argmax(axis=1) if len(proba) else np.zeros(0, dtype=int)
    return (np.log(np.clip(proba, 1e-9, 1.0)) + np.asarray(bias)[None, :]).argmax(axis=1)


def _weighted_macro_f1(y: np.ndarray, pred: np.ndarray, w: np.ndarray, k: int) -> float:
    return float(np.mean([_weighted_f1(y == c, pred == c, w) for c in range(k)]))


def tune_bias(y: Sequence[int], proba: np.ndarray, weights: Sequence[float] | None) -> np.ndarray:
    """Per-class offsets of the log-probabilities (the first class fixed at 0) with the
    best (weighted) macro-F1 on held-out probabilities, searched on a grid, one class at
    a time (twice round); zero where no offset does better. ``y`` holds class indices."""
    y = np.asarray(y, dtype=int)
    proba = np.asarray(proba, dtype=float)
    k = proba.shape[1]
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    logp = np.log(np.clip(proba, 1e-9, 1.0))
    bias = np.zeros(k)

    def f(b):
        return round(_weighted_macro_f1(y, (logp + b[None, :]).argmax(axis=1), w, k), 9)

    best = f(bias)
    for _ in range(2):
        for c in range(1, k):
            for v in BIAS_GRID:
                b = bias.copy()
                b[c] = v
                s = f(b)
                if s > best or (s == best and abs(v) < abs(bias[c])):
                    best, bias = s, b
    return bias
