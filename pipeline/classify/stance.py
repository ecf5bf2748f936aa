"""Stance toward each detected theme's target statement (FAVOR / AGAINST / NONE).

The supervised model is conditioned on the target: its features for a (document, theme)
pair are the document embedding, the target embedding, their element-wise product and
absolute difference, a one-hot of the theme (zero for themes it never saw), tf-idf of
the text, VADER scores and sentence-level VADER statistics. A prediction whose probability is below
``min_confidence`` becomes NONE.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import sparse

from pipeline.classify.features import DocFeatures
from pipeline.classify.labels import STANCES
from pipeline.classify.linear import SafeLogit, dense, fit_tfidf, make_tfidf, tfidf_block

SUPERVISED = "supervised"
NLI = "nli"


def apply_min_confidence(proba: np.ndarray, min_confidence: float) -> tuple[list[str], np.ndarray]:
    """Argmax label per row of ``proba`` (STANCES order); below the threshold it is NONE."""
    if len(proba) == 0:
        return [], np.zeros(0)
    idx = proba.argmax(axis=1)
    conf = proba.max(axis=1)
    labels = [STANCES[i] if c >= min_confidence else "NONE" for i, c in zip(idx, conf)]
    scores = np.array([c if lab == STANCES[i] else proba[r, STANCES.index("NONE")]
                       for r, (i, c, lab) in enumerate(zip(idx, conf, labels))])
    return labels, scores


class StanceModel:
    """Target-conditioned balanced multinomial logistic regression."""

    kind = "stance"

    def __init__(self, theme_names: Sequence[str], C: float = 1.0, max_features: int = 4000, seed: int = 13,
                 min_confidence: float = 0.45):
        self.theme_names = list(theme_names)
        self.C = C
        self.max_features = max_features
        self.seed = seed
        self.min_confidence = min_confidence
        self.vectorizer = None
        self.model: SafeLogit | None = None

    def _matrix(self, feats: DocFeatures, rows: Sequence[int], themes: Sequence[str],
                targets: Mapping[str, np.ndarray]) -> sparse.csr_matrix:
        rows = np.asarray(rows, dtype=int)
        missing = sorted({t for t in themes if t not in targets})
        if missing:
            raise ValueError(f"no target statement embedding for theme(s) {', '.join(missing)}")
        e = feats.embeddings[rows]
        t = np.vstack([targets[th] for th in themes]) if len(themes) else np.zeros((0, e.shape[1]))
        onehot = np.zeros((len(rows), len(self.theme_names)), dtype=np.float32)
        for r, th in enumerate(themes):
            if th in self.theme_names:
                onehot[r, self.theme_names.index(th)] = 1.0
        texts = [feats.texts[i] for i in rows]
        return sparse.hstack([dense(e), dense(t), dense(e * t), dense(np.abs(e - t)), dense(onehot),
                              tfidf_block(self.vectorizer, texts), dense(feats.vader[rows]),
                              dense(feats.stats[rows])]).tocsr()

    def fit(self, feats: DocFeatures, rows: Sequence[int], themes: Sequence[str], labels: Sequence[str],
            targets: Mapping[str, np.ndarray]) -> "StanceModel":
        self.vectorizer = fit_tfidf(make_tfidf(self.max_features), [feats.texts[i] for i in sorted(set(rows))])
        self.model = SafeLogit(self.C, self.seed).fit(self._matrix(feats, rows, themes, targets), list(labels))
        return self

    def predict_proba(self, feats: DocFeatures, rows: Sequence[int], themes: Sequence[str],
                      targets: Mapping[str, np.ndarray]) -> np.ndarray:
        """Probabilities in ``STANCES`` order, one row per (document row, theme) pair."""
        if len(rows) == 0:
            return np.zeros((0, len(STANCES)))
        X = self._matrix(feats, rows, themes, targets)
        if self.model.model is None:
            out = np.zeros((len(rows), len(STANCES)))
            out[:, STANCES.index(self.model.classes_[0])] = 1.0
            return out
        return self.model.proba_for(X, STANCES)

    def predict(self, feats: DocFeatures, rows: Sequence[int], themes: Sequence[str],
                targets: Mapping[str, np.ndarray]) -> tuple[list[str], np.ndarray]:
        return apply_min_confidence(self.predict_proba(feats, rows, themes, targets), self.min_confidence)
