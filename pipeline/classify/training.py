"""Labelled data, cross-validation and fitting of the theme, sentiment and stance models.

Cross-validation is grouped by thread (``groups``: the post a document belongs to), so a
comment is never judged by a model that saw other comments of its thread. Baselines are
scored on the same documents: seed-term keywords, prototype similarity and the rules
that combine them for themes; VADER for sentiment; the majority class and
VADER-as-stance for stance.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, KFold

from pipeline.classify.features import DocFeatures, build_features
from pipeline.classify.labels import PRESENT, SENTIMENT, SENTIMENTS, STANCE, STANCES, THEME
from pipeline.classify.metrics import multilabel_report, single_label_report
from pipeline.classify.phrases import SeedMatcher
from pipeline.classify.sentiment import SentimentModel
from pipeline.classify.similarity import Encoder, similarities
from pipeline.classify.stance import StanceModel
from pipeline.classify.taxonomy import Taxonomy
from pipeline.classify.text import load_nlp
from pipeline.classify.themes import RuleParams, ThemeModel, rule_detect
from pipeline.classify.vader import vader_predict

VADER_AS_STANCE = {"NEGATIVE": "AGAINST", "POSITIVE": "FAVOR", "NEUTRAL": "NONE"}


@dataclass(frozen=True)
class TrainParams:
    """Hyper-parameters and thresholds (config ``classify``)."""

    C: float = 1.0
    max_features: int = 4000
    seed: int = 13
    folds: int = 5
    theme_threshold: float = 0.5
    stance_min_confidence: float = 0.45
    context_weight: float = 0.5
    rules: RuleParams = field(default_factory=RuleParams)

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "TrainParams":
        return cls(C=float(section["regularisation"]), max_features=int(section["tfidf_max_features"]),
                   seed=int(section["random_seed"]), folds=int(section["cv_folds"]),
                   theme_threshold=float(section["theme_threshold"]),
                   stance_min_confidence=float(section["stance_min_confidence"]),
                   context_weight=float(section["context_weight"]),
                   rules=RuleParams(float(section["similarity_threshold"]),
                                    float(section["seed_term_min_similarity"]), str(section["phrase_attr"])))


@dataclass
class LabelledSet:
    """Coded documents, row-aligned with their features.

    ``Y`` is (n, themes): 1 present, 0 absent, -1 not coded. ``sentiment`` has None
    where not coded. ``stance`` lists (row, theme, label) for coded themes present.
    """

    doc_ids: list[str]
    groups: list[str]
    feats: DocFeatures
    theme_names: list[str]
    Y: np.ndarray
    sentiment: list[str | None]
    stance: list[tuple[int, str, str]]

    def counts(self) -> dict[str, Any]:
        return {
            "documents": len(self.doc_ids),
            "threads": len(set(self.groups)),
            "theme_coded_documents": int(np.sum((self.Y >= 0).any(axis=1))) if self.Y.size else 0,
            "themes_present": {t: int(np.sum(self.Y[:, j] == 1)) for j, t in enumerate(self.theme_names)},
            "sentiment": dict(Counter(s for s in self.sentiment if s)),
            "stance": dict(Counter(lab for _, _, lab in self.stance)),
        }


def folds_for(groups: Sequence[str], n_items: int, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train/test index pairs: grouped by thread when there are at least two threads."""
    if n_items < 2:
        raise ValueError("cross-validation needs at least two coded documents")
    n_groups = len(set(groups))
    if n_groups >= 2:
        k = max(2, min(folds, n_groups))
        splitter = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(n_items), groups=list(groups)))
    k = max(2, min(folds, n_items))
    return list(KFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(n_items)))


def _theme_rows(data: LabelledSet) -> np.ndarray:
    return np.where((data.Y >= 0).any(axis=1))[0]


def cv_themes(data: LabelledSet, taxonomy: Taxonomy, prototypes: np.ndarray, params: TrainParams) -> dict[str, dict]:
    """Cross-validated reports per method: keyword, similarity, rules, supervised."""
    rows = _theme_rows(data)
    names = data.theme_names
    tax = Taxonomy(tuple(taxonomy.get(t) for t in names))
    protos = prototypes[[taxonomy.names.index(t) for t in names]]
    feats = data.feats.subset(rows)
    Y = data.Y[rows]
    hits = SeedMatcher(tax, load_nlp(), params.rules.phrase_attr).counts(feats.docs)
    sims = similarities(feats.embeddings, protos)
    rules, _ = rule_detect(hits, sims, params.rules)
    out = {
        "keyword": multilabel_report(Y, hits >= 1, names),
        "similarity": multilabel_report(Y, sims >= params.rules.similarity_threshold, names),
        "rules": multilabel_report(Y, rules, names),
    }
    pred = np.zeros(Y.shape, dtype=bool)
    groups = [data.groups[i] for i in rows]
    for train, test in folds_for(groups, len(rows), params.folds, params.seed):
        model = ThemeModel(tax, protos, params.rules.phrase_attr, params.C, params.max_features, params.seed,
                           params.context_weight)
        model.fit(feats.subset(train), Y[train])
        pred[test] = model.predict_proba(feats.subset(test)) >= params.theme_threshold
    out["supervised"] = multilabel_report(Y, pred, names)
    return out


def _sentiment_rows(data: LabelledSet) -> np.ndarray:
    return np.array([i for i, s in enumerate(data.sentiment) if s], dtype=int)


def cv_sentiment(data: LabelledSet, params: TrainParams) -> dict[str, dict]:
    """Cross-validated reports: vader (no training) and domain."""
    rows = _sentiment_rows(data)
    feats = data.feats.subset(rows)
    y = [data.sentiment[i] for i in rows]
    vader_labels, _ = vader_predict(feats.vader)
    out = {"vader": single_label_report(y, vader_labels, SENTIMENTS)}
    pred = [""] * len(rows)
    groups = [data.groups[i] for i in rows]
    for train, test in folds_for(groups, len(rows), params.folds, params.seed):
        model = SentimentModel(params.C, params.max_features, params.seed)
        model.fit(feats.subset(train), [y[i] for i in train])
        labels, _ = model.predict(feats.subset(test))
        for i, lab in zip(test, labels):
            pred[i] = lab
    out["domain"] = single_label_report(y, pred, SENTIMENTS)
    return out


def cv_stance(data: LabelledSet, targets: Mapping[str, np.ndarray], params: TrainParams,
              nli=None, taxonomy: Taxonomy | None = None) -> dict[str, dict]:
    """Cross-validated reports on coded (document, theme present) pairs: majority,
    vader_as_stance, supervised, and nli when a zero-shot backend is given."""
    pairs = data.stance
    if len(pairs) < 2:
        raise ValueError("stance needs at least two coded (document, theme) pairs")
    y = [lab for _, _, lab in pairs]
    rows = [r for r, _, _ in pairs]
    themes = [t for _, t, _ in pairs]
    out: dict[str, dict] = {}
    vlabels, _ = vader_predict(data.feats.vader[rows])
    out["vader_as_stance"] = single_label_report(y, [VADER_AS_STANCE[v] for v in vlabels], STANCES)
    groups = [data.groups[r] for r in rows]
    maj = [""] * len(pairs)
    sup = [""] * len(pairs)
    for train, test in folds_for(groups, len(pairs), params.folds, params.seed):
        common = Counter(y[i] for i in train).most_common(1)[0][0]
        model = StanceModel(data.theme_names, params.C, params.max_features, params.seed,
                            params.stance_min_confidence)
        model.fit(data.feats, [rows[i] for i in train], [themes[i] for i in train], [y[i] for i in train],
                  targets)
        labels, _ = model.predict(data.feats, [rows[i] for i in test], [themes[i] for i in test], targets)
        for i, lab in zip(test, labels):
            sup[i] = lab
            maj[i] = common
    out["majority"] = single_label_report(y, maj, STANCES)
    out["supervised"] = single_label_report(y, sup, STANCES)
    if nli is not None and taxonomy is not None:
        labels, _ = nli.predict([data.feats.texts[r] for r in rows], [taxonomy.get(t).target for t in themes])
        out["nli"] = single_label_report(y, labels, STANCES)
    return out


def labelled_set(gold: pd.DataFrame, docs: pd.DataFrame, theme_names: Sequence[str], encoder: Encoder,
                 min_chars: int = 3, nlp=None) -> LabelledSet:
    """Row-align consolidated codes with their documents' own text and features.

    ``gold``: doc_id, label_kind ('theme' | 'stance' | 'sentiment'), label, value (one
    value per doc and label, see ``pipeline.annotate.gold.consolidate``). ``docs``:
    doc_id, post_id, own_text and optionally context (``features.context_text``). Documents whose own text is shorter than ``min_chars``
    are left out (they carry no words to learn from; classify gives them no themes and
    NEUTRAL). Theme codes for names outside ``theme_names`` are ignored.
    """
    texts = {r.doc_id: (r.own_text or "") for r in docs.itertuples()}
    posts = {r.doc_id: r.post_id for r in docs.itertuples()}
    coded = [d for d in dict.fromkeys(gold["doc_id"]) if d in texts and len(texts[d].strip()) >= min_chars]
    index = {d: i for i, d in enumerate(coded)}
    names = list(theme_names)
    Y = np.full((len(coded), len(names)), -1, dtype=int)
    sentiment: list[str | None] = [None] * len(coded)
    stance_codes: dict[tuple[int, str], str] = {}
    for r in gold.itertuples():
        i = index.get(r.doc_id)
        if i is None:
            continue
        if r.label_kind == THEME and r.label in names:
            Y[i, names.index(r.label)] = 1 if r.value == PRESENT else 0
        elif r.label_kind == SENTIMENT:
            sentiment[i] = r.value
        elif r.label_kind == STANCE and r.label in names:
            stance_codes[(i, r.label)] = r.value
    stance = [(i, t, lab) for (i, t), lab in sorted(stance_codes.items()) if Y[i, names.index(t)] == 1]
    ctx = {r.doc_id: (r.context or "") for r in docs.itertuples()} if "context" in docs.columns else {}
    contexts = [ctx.get(d, "") for d in coded]
    feats = build_features([texts[d] for d in coded], encoder, nlp, contexts)
    return LabelledSet(coded, [posts[d] for d in coded], feats, names, Y, sentiment, stance)


def fit_theme_model(data: LabelledSet, taxonomy: Taxonomy, prototypes: np.ndarray, params: TrainParams) -> ThemeModel:
    """Fit on every theme-coded document."""
    rows = _theme_rows(data)
    if len(rows) < 2:
        raise ValueError("the theme model needs at least two theme-coded documents")
    names = data.theme_names
    tax = Taxonomy(tuple(taxonomy.get(t) for t in names))
    protos = prototypes[[taxonomy.names.index(t) for t in names]]
    model = ThemeModel(tax, protos, params.rules.phrase_attr, params.C, params.max_features, params.seed,
                           params.context_weight)
    return model.fit(data.feats.subset(rows), data.Y[rows])


def fit_sentiment_model(data: LabelledSet, params: TrainParams) -> SentimentModel:
    rows = _sentiment_rows(data)
    if len(rows) < 2:
        raise ValueError("the sentiment model needs at least two sentiment-coded documents")
    return SentimentModel(params.C, params.max_features, params.seed).fit(
        data.feats.subset(rows), [data.sentiment[i] for i in rows])


def fit_stance_model(data: LabelledSet, targets: Mapping[str, np.ndarray], params: TrainParams) -> StanceModel:
    if len(data.stance) < 2:
        raise ValueError("the stance model needs at least two coded (document, theme) pairs")
    model = StanceModel(data.theme_names, params.C, params.max_features, params.seed, params.stance_min_confidence)
    return model.fit(data.feats, [r for r, _, _ in data.stance], [t for _, t, _ in data.stance],
                     [lab for _, _, lab in data.stance], targets)


__all__ = ["TrainParams", "LabelledSet", "folds_for", "cv_themes", "cv_sentiment", "cv_stance",
           "fit_theme_model", "fit_sentiment_model", "fit_stance_model", "labelled_set",
           "VADER_AS_STANCE"]
