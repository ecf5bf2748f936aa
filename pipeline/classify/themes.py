"""Multi-label theme detection: seed terms, embedding similarity and a supervised model.

For a theme the supervised model was trained on, its probability decides (the model's
features include the seed-term counts and prototype similarities, so it combines all
three signals). A theme without training data (one a user added) is decided by rules:
present when its similarity to the theme prototype reaches ``similarity_threshold``
(method ``similarity``), or when a seed term matches and the similarity reaches
``seed_term_min_similarity`` (method ``seed_terms``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from pipeline.classify.errors import ClassifySettingError
from pipeline.classify.features import DocFeatures
from pipeline.classify.linear import SafeLogit, dense, fit_tfidf, make_tfidf, tfidf_block, tune_threshold
from pipeline.classify.phrases import SeedMatcher
from pipeline.classify.similarity import similarities
from pipeline.classify.taxonomy import Taxonomy, taxonomy_from_list
from pipeline.classify.text import load_nlp

SUPERVISED = "supervised"
SIMILARITY = "similarity"
SEED_TERMS = "seed_terms"
GLOBAL = "global"      # classify.theme_thresholds: one threshold (classify.theme_threshold) for every theme
INNER_CV = "inner_cv"  # one per theme, chosen on the training set's held-out calibrated probabilities
THRESHOLD_MODES = (GLOBAL, INNER_CV)
POOLING_MODES = ("none", "max")  # classify.theme_sentence_pooling


@dataclass(frozen=True)
class RuleParams:
    """Thresholds of the unsupervised detector (config ``classify``)."""

    similarity_threshold: float
    seed_term_min_similarity: float
    phrase_attr: str


def rule_detect(hits: np.ndarray, sims: np.ndarray, params: RuleParams) -> tuple[np.ndarray, np.ndarray]:
    """Present flags and the deciding method ('' when absent) per (document, theme)."""
    by_sim = sims >= params.similarity_threshold
    by_terms = (hits >= 1) & (sims >= params.seed_term_min_similarity)
    method = np.where(by_sim, SIMILARITY, np.where(by_terms, SEED_TERMS, ""))
    return by_sim | by_terms, method


class ThemeModel:
    """One balanced logistic regression per theme over [embedding, tf-idf, log seed-term
    counts, prototype similarities] of the own text and, with ``context_weight`` > 0,
    [embedding, log seed-term counts, prototype similarities] of the thread context
    scaled by that weight (a short reply is often about its thread's subject). Labels:
    1 present, 0 absent, -1 not coded.

    With ``threshold_mode`` 'inner_cv' (needs ``calibrate``) each theme gets its own
    decision threshold: the one with the best F1 (documents weighted as in training) on
    the held-out probabilities of the calibration folds, i.e. chosen inside the training
    data only; ``thresholds`` holds them (None: the caller's global threshold).

    With ``sentence_pooling`` 'max' (features built with ``sentences=True``) the own
    text's sentences add a multiple-instance view: per theme the highest similarity of
    any one sentence to its prototype, and the element-wise maximum of the sentence
    embeddings (a theme is present when some sentence is about it)."""

    kind = "theme"

    def __init__(self, taxonomy: Taxonomy, prototypes: np.ndarray, phrase_attr: str,
                 C: float, max_features: int, seed: int, context_weight: float = 0.0,
                 calibrate: bool = False, threshold_mode: str = GLOBAL, threshold: float = 0.5,
                 sentence_pooling: str = "none"):
        if sentence_pooling not in POOLING_MODES:
            raise ClassifySettingError(f"unknown sentence pooling {sentence_pooling!r}",
                                       f"set classify.theme_sentence_pooling to one of: {', '.join(POOLING_MODES)}")
        self.sentence_pooling = sentence_pooling
        if threshold_mode not in THRESHOLD_MODES:
            raise ClassifySettingError(f"unknown theme threshold mode {threshold_mode!r}",
                                       f"set classify.theme_thresholds to one of: {', '.join(THRESHOLD_MODES)}")
        self.threshold_mode = threshold_mode
        self.threshold = threshold
        self.thresholds: list[float] | None = None
        self.taxonomy_items = taxonomy.to_list()
        self.prototypes = np.asarray(prototypes, dtype=np.float32)
        self.phrase_attr = phrase_attr
        self.C = C
        self.max_features = max_features
        self.seed = seed
        self.context_weight = context_weight
        self.calibrate = calibrate
        self.vectorizer = None
        self.models: list[SafeLogit] = []
        self._matcher: SeedMatcher | None = None

    # spaCy objects are rebuilt after loading rather than pickled
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_matcher"] = None
        return state

    @property
    def taxonomy(self) -> Taxonomy:
        return taxonomy_from_list(self.taxonomy_items)

    @property
    def theme_names(self) -> list[str]:
        return [t["name"] for t in self.taxonomy_items]

    def matcher(self) -> SeedMatcher:
        if self._matcher is None:
            self._matcher = SeedMatcher(self.taxonomy, load_nlp(), self.phrase_attr)
        return self._matcher

    def signals(self, feats: DocFeatures) -> tuple[np.ndarray, np.ndarray]:
        """Seed-term counts and prototype similarities for this model's themes."""
        return self.matcher().counts(feats.docs), similarities(feats.embeddings, self.prototypes)

    @property
    def reads_sentences(self) -> bool:
        """The model's features include the own text's sentences (build them with sentences=True)."""
        return getattr(self, "sentence_pooling", "none") == "max"

    def _pooled(self, feats: DocFeatures, sims: np.ndarray) -> list[sparse.csr_matrix]:
        """Max over each row's sentences of their prototype similarities, and the
        element-wise max of their embeddings (the whole text's when it has none)."""
        ss = feats.sentences
        if ss is None:
            raise ValueError("this theme model reads sentences: build features with sentences=True")
        best = np.array(sims, dtype=np.float32, copy=True)
        emb = np.array(feats.embeddings, dtype=np.float32, copy=True)
        if len(ss.texts):
            ssims = ss.embeddings @ self.prototypes.T
            for r, mine in enumerate(ss.by_row):
                if mine:
                    best[r] = ssims[mine].max(axis=0)
                    emb[r] = ss.embeddings[mine].max(axis=0)
        return [dense(best), dense(emb)]

    def _matrix(self, feats: DocFeatures) -> sparse.csr_matrix:
        hits, sims = self.signals(feats)
        blocks = [dense(feats.embeddings), tfidf_block(self.vectorizer, feats.texts), dense(np.log1p(hits)),
                  dense(sims)]
        if self.reads_sentences:
            blocks += self._pooled(feats, sims)
        if self.context_weight > 0:
            if feats.context is None:
                raise ValueError("this theme model reads the thread context: build features with contexts")
            c_hits, c_sims = self.signals(feats.context)
            w = self.context_weight
            blocks += [dense(feats.context.embeddings * w), dense(np.log1p(c_hits) * w), dense(c_sims * w)]
        return sparse.hstack(blocks).tocsr()

    @property
    def calibrated(self) -> bool:
        """Every theme's probability is calibrated (a theme seen with one class only
        predicts that class and needs none)."""
        return bool(self.models) and any(getattr(m, "calibrated", False) for m in self.models) and all(
            getattr(m, "calibrated", False) or m.model is None for m in self.models)

    def fit(self, feats: DocFeatures, Y: np.ndarray, weights: np.ndarray | None = None,
            groups: list | None = None) -> "ThemeModel":
        """``weights``: per document (real text over synthetic); ``groups``: thread or
        page per document, for grouped calibration folds."""
        Y = np.asarray(Y)
        self.vectorizer = fit_tfidf(make_tfidf(self.max_features), feats.texts)
        X = self._matrix(feats)
        self.models = []
        tuned: list[float] = []
        inner = getattr(self, "threshold_mode", GLOBAL) == INNER_CV
        for j in range(Y.shape[1]):
            known = np.where(Y[:, j] >= 0)[0]
            w = None if weights is None else np.asarray(weights)[known]
            g = None if groups is None else [groups[i] for i in known]
            m = SafeLogit(self.C, self.seed, getattr(self, "calibrate", False)).fit(X[known], Y[known, j], w, g)
            oof = m.take_oof([1])
            tuned.append(tune_threshold(Y[known, j], oof[:, 0], w, self.threshold)
                         if inner and oof is not None else float(self.threshold))
            self.models.append(m)
        self.thresholds = tuned if inner else None
        return self

    def present(self, proba: np.ndarray, threshold: float) -> np.ndarray:
        """Present flags of ``predict_proba``'s output: each theme's own threshold when
        the model tuned them, else ``threshold``."""
        th = getattr(self, "thresholds", None)
        if th is None:
            return np.asarray(proba) >= threshold
        return np.asarray(proba) >= np.asarray(th)[None, :]

    def predict_proba(self, feats: DocFeatures) -> np.ndarray:
        """P(present) per (document, theme), shape (n, k)."""
        if len(feats) == 0:
            return np.zeros((0, len(self.models)))
        X = self._matrix(feats)
        return np.column_stack([m.proba_for(X, [1])[:, 0] for m in self.models])


def detect_themes(feats: DocFeatures, taxonomy: Taxonomy, prototypes: np.ndarray, model: ThemeModel | None,
                  params: RuleParams, threshold: float) -> pd.DataFrame:
    """Every (document row, theme) with its score, whether present and the deciding method.

    ``prototypes`` are the current taxonomy's theme prototypes (``theme_prototypes``),
    used for themes the model was not trained on. Columns: row, theme, score, present,
    method. The score is the supervised probability for trained themes, the prototype
    similarity otherwise.
    """
    names = taxonomy.names
    n = len(feats)
    if n == 0 or not names:
        return pd.DataFrame({"row": pd.Series(dtype=int), "theme": pd.Series(dtype=str),
                             "score": pd.Series(dtype=float), "present": pd.Series(dtype=bool),
                             "method": pd.Series(dtype=str)})
    k = len(names)
    scores = np.zeros((n, k), dtype=float)
    present = np.zeros((n, k), dtype=bool)
    methods = np.empty((n, k), dtype=object)
    trained = [t for t in names if model is not None and t in set(model.theme_names)]
    if trained:
        proba = model.predict_proba(feats)
        flags_sup = model.present(proba, threshold)
        col = {t: j for j, t in enumerate(model.theme_names)}
        at = [names.index(t) for t in trained]
        src = [col[t] for t in trained]
        scores[:, at] = proba[:, src]
        present[:, at] = flags_sup[:, src]
        methods[:, at] = SUPERVISED
    untrained = [t for t in names if t not in set(trained)]
    if untrained:
        sub = Taxonomy(tuple(taxonomy.get(t) for t in untrained))
        hits = SeedMatcher(sub, load_nlp(), params.phrase_attr).counts(feats.docs)
        sims = similarities(feats.embeddings, prototypes[[names.index(t) for t in untrained]])
        flags, how = rule_detect(hits, sims, params)
        at = [names.index(t) for t in untrained]
        scores[:, at] = sims
        present[:, at] = flags
        methods[:, at] = np.where(how == "", SIMILARITY, how)
    return pd.DataFrame({"row": np.repeat(np.arange(n), k), "theme": np.tile(np.asarray(names, dtype=object), n),
                         "score": scores.reshape(-1), "present": present.reshape(-1),
                         "method": methods.reshape(-1)})
