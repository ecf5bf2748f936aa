"""Stance toward each detected theme's target statement (FAVOR / AGAINST / NONE).

The supervised model is conditioned on the target: its features for a (document, theme)
pair are the document embedding, the target embedding, their element-wise product and
absolute difference, a one-hot of the theme (zero for themes it never saw), tf-idf of
the text, VADER scores and sentence-level VADER statistics. A prediction whose probability is below
``min_confidence`` becomes NONE.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from pipeline.classify.errors import ClassifySettingError
from pipeline.classify.features import DocFeatures
from pipeline.classify.labels import STANCES
from pipeline.classify.focus import select, sentence_hits
from pipeline.classify.linear import SafeLogit, biased_argmax, dense, fit_tfidf, make_tfidf, tfidf_block, tune_bias
from pipeline.classify.taxonomy import Taxonomy
from pipeline.classify.vader import vader_scores

SUPERVISED = "supervised"
NLI = "nli"


def apply_min_confidence(proba: np.ndarray, min_confidence: float,
                         bias: np.ndarray | None = None) -> tuple[list[str], np.ndarray]:
    """Argmax label per row of ``proba`` (STANCES order; after per-class log-probability
    offsets ``bias`` when given); below the threshold it is NONE."""
    if len(proba) == 0:
        return [], np.zeros(0)
    idx = biased_argmax(proba, bias)
    conf = proba[np.arange(len(proba)), idx]
    labels = [STANCES[i] if c >= min_confidence else "NONE" for i, c in zip(idx, conf)]
    scores = np.array([c if lab == STANCES[i] else proba[r, STANCES.index("NONE")]
                       for r, (i, c, lab) in enumerate(zip(idx, conf, labels))])
    return labels, scores


@dataclass(frozen=True)
class FocusParams:
    """How the stance model picks the sentences about a target (``focus.select``);
    ``scope`` 'document' judges the whole text (the model before issue 12)."""

    scope: str
    min_similarity: float
    top: int


class StanceModel:
    """Target-conditioned balanced multinomial logistic regression.

    With ``focus.scope == 'sentences'`` (needs the taxonomy and its prototypes, and
    features built with ``sentences=True``) the text features of a (document, theme)
    pair are those of the sentences that speak about the theme (``pipeline.classify.focus``):
    their mean embedding, tf-idf and VADER scores, beside the whole document's VADER
    statistics. With ``calibrate`` the probabilities are Platt-calibrated; with
    ``bias_mode`` 'inner_cv' as well, the label is the best class after per-class offsets
    (``bias``) chosen on the calibration folds' held-out probabilities (best macro-F1)."""

    kind = "stance"

    def __init__(self, theme_names: Sequence[str], C: float, max_features: int, seed: int,
                 min_confidence: float, focus: FocusParams | None = None,
                 taxonomy: Taxonomy | None = None, prototypes: np.ndarray | None = None,
                 phrase_attr: str = "LEMMA", calibrate: bool = False, bias_mode: str = "none"):
        if bias_mode not in ("none", "inner_cv"):
            raise ClassifySettingError(f"unknown class bias mode {bias_mode!r}",
                                       "set classify.class_bias to one of: none, inner_cv")
        self.bias_mode = bias_mode
        self.bias: np.ndarray | None = None
        self.theme_names = list(theme_names)
        self.C = C
        self.max_features = max_features
        self.seed = seed
        self.min_confidence = min_confidence
        self.focus = focus  # None: the whole document
        self.taxonomy_items = taxonomy.to_list() if taxonomy is not None else None
        self.prototypes = None if prototypes is None else np.asarray(prototypes, dtype=np.float32)
        self.phrase_attr = phrase_attr
        self.calibrate = calibrate
        self.vectorizer = None
        self.model: SafeLogit | None = None
        self._matcher = None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_matcher"] = None
        return state

    @property
    def calibrated(self) -> bool:
        return bool(self.model is not None and getattr(self.model, "calibrated", False))

    @property
    def focused(self) -> bool:
        return getattr(self, "focus", None) is not None and self.focus.scope == "sentences"

    def _focus_texts(self, feats: DocFeatures, rows: Sequence[int], themes: Sequence[str]
                     ) -> tuple[list[str], np.ndarray]:
        """The focus text and mean focus embedding of each (row, theme) pair."""
        if not self.focused:
            return [feats.texts[i] for i in rows], feats.embeddings[np.asarray(rows, dtype=int)]
        if feats.sentences is None:
            raise ValueError("this stance model reads sentences: build features with sentences=True")
        from pipeline.classify.phrases import SeedMatcher
        from pipeline.classify.taxonomy import taxonomy_from_list
        from pipeline.classify.text import load_nlp

        if getattr(self, "_matcher", None) is None:
            self._matcher = SeedMatcher(taxonomy_from_list(self.taxonomy_items), load_nlp(), self.phrase_attr)
        names = [t["name"] for t in self.taxonomy_items]
        ss = feats.sentences
        spans_cache: dict[int, dict] = {}
        texts, embs = [], []
        for r, th in zip(rows, themes):
            mine = ss.by_row[r]
            if not mine or th not in names:
                texts.append(feats.texts[r])
                embs.append(feats.embeddings[r])
                continue
            if r not in spans_cache:
                spans_cache[r] = self._matcher.spans(feats.docs[r])
            sims = ss.embeddings[mine] @ self.prototypes[names.index(th)]
            hits = sentence_hits(feats.docs[r], spans_cache[r].get(th, []), [ss.bounds[i] for i in mine])
            pick = [mine[i] for i in select(sims, hits, self.focus.min_similarity, self.focus.top)]
            texts.append(" ".join(ss.texts[i] for i in pick))
            v = ss.embeddings[pick].mean(axis=0)
            embs.append(v / (np.linalg.norm(v) or 1.0))
        return texts, np.vstack(embs).astype(np.float32) if embs else feats.embeddings[:0]

    def _matrix(self, feats: DocFeatures, rows: Sequence[int], themes: Sequence[str],
                targets: Mapping[str, np.ndarray]) -> sparse.csr_matrix:
        rows = np.asarray(rows, dtype=int)
        missing = sorted({t for t in themes if t not in targets})
        if missing:
            raise ValueError(f"no target statement embedding for theme(s) {', '.join(missing)}")
        texts, e = self._focus_texts(feats, rows, themes)
        t = np.vstack([targets[th] for th in themes]) if len(themes) else np.zeros((0, e.shape[1]))
        onehot = np.zeros((len(rows), len(self.theme_names)), dtype=np.float32)
        for r, th in enumerate(themes):
            if th in self.theme_names:
                onehot[r, self.theme_names.index(th)] = 1.0
        blocks = [dense(e), dense(t), dense(e * t), dense(np.abs(e - t)), dense(onehot),
                  tfidf_block(self.vectorizer, texts), dense(feats.vader[rows]), dense(feats.stats[rows])]
        if self.focused:
            blocks.append(dense(vader_scores(texts)))
        return sparse.hstack(blocks).tocsr()

    def fit(self, feats: DocFeatures, rows: Sequence[int], themes: Sequence[str], labels: Sequence[str],
            targets: Mapping[str, np.ndarray], weights: Sequence[float] | None = None,
            groups: Sequence | None = None) -> "StanceModel":
        self.vectorizer = fit_tfidf(make_tfidf(self.max_features), [feats.texts[i] for i in sorted(set(rows))])
        self.model = SafeLogit(self.C, self.seed, getattr(self, "calibrate", False)).fit(
            self._matrix(feats, rows, themes, targets), list(labels), weights, groups)
        oof = self.model.take_oof(STANCES)
        self.bias = None
        if getattr(self, "bias_mode", "none") == "inner_cv" and oof is not None:
            self.bias = tune_bias([STANCES.index(x) for x in labels], oof, weights)
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
        return apply_min_confidence(self.predict_proba(feats, rows, themes, targets), self.min_confidence,
                                    getattr(self, "bias", None))
