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
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, KFold

from pipeline.classify.errors import ClassifySettingError, TrainingDataError
from pipeline.classify.features import DocFeatures, build_features
from pipeline.classify.labels import PRESENT, SENTIMENT, SENTIMENTS, STANCE, STANCES, THEME
from pipeline.classify.metrics import multilabel_report, single_label_report
from pipeline.classify.phrases import SeedMatcher
from pipeline.classify.sentiment import SentimentModel
from pipeline.classify.settings import ClassifySettings, classify_settings
from pipeline.classify.similarity import Encoder, similarities
from pipeline.classify.stance import FocusParams, StanceModel, apply_min_confidence
from pipeline.classify.taxonomy import Taxonomy
from pipeline.classify.text import load_nlp
from pipeline.classify.themes import RuleParams, ThemeModel, rule_detect
from pipeline.classify.vader import vader_predict

VADER_AS_STANCE = {"NEGATIVE": "AGAINST", "POSITIVE": "FAVOR", "NEUTRAL": "NONE"}


@dataclass(frozen=True)
class TrainParams:
    """Hyper-parameters and thresholds of training, from ``[classify]``: the fields are
    its keys (``rules`` and ``focus`` group the rule and stance-focus keys); no defaults
    here, ``pipeline/defaults.toml`` is the one source."""

    regularisation: float
    tfidf_max_features: int
    random_seed: int
    cv_folds: int
    theme_threshold: float
    stance_min_confidence: float
    context_weight: float
    rules: RuleParams
    calibrate: bool
    focus: FocusParams
    real_weight: float
    synthetic_coders: tuple[str, ...]
    theme_thresholds: str
    class_bias: str
    theme_sentence_pooling: str

    @property
    def needs_sentences(self) -> bool:
        """Training features must hold the own text's sentences (stance focus or pooling)."""
        return self.focus.scope == "sentences" or self.theme_sentence_pooling != "none"

    @classmethod
    def from_settings(cls, s: ClassifySettings) -> "TrainParams":
        for key, value, allowed in (("theme_thresholds", s.theme_thresholds, ("global", "inner_cv")),
                                    ("class_bias", s.class_bias, ("none", "inner_cv")),
                                    ("theme_sentence_pooling", s.theme_sentence_pooling, ("none", "max"))):
            if value not in allowed:
                raise ClassifySettingError(f"classify.{key} = {value!r} is not a known mode",
                                           f"set it to one of: {', '.join(allowed)}")
        return cls(regularisation=s.regularisation, tfidf_max_features=s.tfidf_max_features,
                   random_seed=s.random_seed, cv_folds=s.cv_folds, theme_threshold=s.theme_threshold,
                   stance_min_confidence=s.stance_min_confidence, context_weight=s.context_weight,
                   rules=rule_params(s), calibrate=s.calibrate,
                   focus=FocusParams(s.stance_scope, s.stance_focus_similarity, s.stance_focus_top),
                   real_weight=s.real_weight, synthetic_coders=s.synthetic_coders,
                   theme_thresholds=s.theme_thresholds, class_bias=s.class_bias,
                   theme_sentence_pooling=s.theme_sentence_pooling)

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | ClassifySettings) -> "TrainParams":
        return cls.from_settings(classify_settings(section))


def rule_params(s: ClassifySettings) -> RuleParams:
    """The unsupervised detector's thresholds."""
    return RuleParams(s.similarity_threshold, s.seed_term_min_similarity, s.phrase_attr)


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
    weights: np.ndarray | None = None   # per document (real text over synthetic); None = all 1
    real: np.ndarray | None = None      # per document: coded by a coder of real text

    def w(self, idx) -> np.ndarray | None:
        return None if self.weights is None else np.asarray(self.weights)[np.asarray(idx, dtype=int)]

    def counts(self) -> dict[str, Any]:
        return {
            "documents": len(self.doc_ids),
            "threads": len(set(self.groups)),
            "theme_coded_documents": int(np.sum((self.Y >= 0).any(axis=1))) if self.Y.size else 0,
            "themes_present": {t: int(np.sum(self.Y[:, j] == 1)) for j, t in enumerate(self.theme_names)},
            "sentiment": dict(Counter(s for s in self.sentiment if s)),
            "stance": dict(Counter(lab for _, _, lab in self.stance)),
            "real_documents": int(np.sum(self.real)) if self.real is not None else 0,
            "synthetic_documents": int(len(self.doc_ids) - (np.sum(self.real) if self.real is not None else 0)),
        }


def folds_for(groups: Sequence[str], n_items: int, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train/test index pairs: grouped by thread when there are at least two threads."""
    if n_items < 2:
        raise TrainingDataError("cross-validation needs at least two coded documents", "import more codes (`probation-corpus annotate import FILE --coder NAME`)")
    n_groups = len(set(groups))
    if n_groups >= 2:
        k = max(2, min(folds, n_groups))
        splitter = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(n_items), groups=list(groups)))
    k = max(2, min(folds, n_items))
    return list(KFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(n_items)))


def eval_folds(groups: Sequence[str], eval_mask: np.ndarray | None, folds: int, seed: int
               ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds whose test parts hold only ``eval_mask`` rows (grouped); every other row is
    always in training. Without a mask (or a full one) it is ``folds_for``."""
    n = len(groups)
    if eval_mask is None or bool(np.all(eval_mask)):
        return folds_for(groups, n, folds, seed)
    ev = np.where(eval_mask)[0]
    rest = np.where(~np.asarray(eval_mask))[0]
    out = []
    for tr, te in folds_for([groups[i] for i in ev], len(ev), folds, seed):
        out.append((np.sort(np.concatenate([rest, ev[tr]])), ev[te]))
    return out


def _theme_rows(data: LabelledSet) -> np.ndarray:
    return np.where((data.Y >= 0).any(axis=1))[0]


def cv_themes(data: LabelledSet, taxonomy: Taxonomy, prototypes: np.ndarray, params: TrainParams,
              eval_mask: np.ndarray | None = None, oof: dict | None = None) -> dict[str, dict]:
    """Cross-validated reports per method: keyword, similarity, rules, supervised.
    With ``eval_mask`` (per document) only those documents are tested, the others always
    train; ``oof`` receives the out-of-fold probabilities ('theme_proba', 'theme_gold')."""
    rows = _theme_rows(data)
    names = data.theme_names
    tax = Taxonomy(tuple(taxonomy.get(t) for t in names))
    protos = prototypes[[taxonomy.names.index(t) for t in names]]
    feats = data.feats.subset(rows)
    Y = data.Y[rows]
    hits = SeedMatcher(tax, load_nlp(), params.rules.phrase_attr).counts(feats.docs)
    sims = similarities(feats.embeddings, protos)
    rules, _ = rule_detect(hits, sims, params.rules)
    em = None if eval_mask is None else np.asarray(eval_mask)[rows]
    ev = np.arange(len(rows)) if em is None else np.where(em)[0]
    out = {
        "keyword": multilabel_report(Y[ev], (hits >= 1)[ev], names),
        "similarity": multilabel_report(Y[ev], (sims >= params.rules.similarity_threshold)[ev], names),
        "rules": multilabel_report(Y[ev], rules[ev], names),
    }
    proba = np.zeros(Y.shape, dtype=float)
    flags = np.zeros(Y.shape, dtype=bool)
    groups = [data.groups[i] for i in rows]
    weights = data.w(rows)
    for train, test in eval_folds(groups, em, params.cv_folds, params.random_seed):
        model = make_theme_model(tax, protos, params)
        model.fit(feats.subset(train), Y[train], None if weights is None else weights[train],
                  [groups[i] for i in train])
        proba[test] = model.predict_proba(feats.subset(test))
        flags[test] = model.present(proba[test], params.theme_threshold)
    out["supervised"] = multilabel_report(Y[ev], flags[ev], names)
    if oof is not None:
        oof.update(theme_proba=proba[ev], theme_pred=flags[ev], theme_gold=Y[ev], theme_rows=rows[ev])
    return out


def _sentiment_rows(data: LabelledSet) -> np.ndarray:
    return np.array([i for i, s in enumerate(data.sentiment) if s], dtype=int)


def cv_sentiment(data: LabelledSet, params: TrainParams, eval_mask: np.ndarray | None = None,
                 oof: dict | None = None) -> dict[str, dict]:
    """Cross-validated reports: vader (no training) and domain (see ``cv_themes`` for
    ``eval_mask`` and ``oof``)."""
    rows = _sentiment_rows(data)
    feats = data.feats.subset(rows)
    y = [data.sentiment[i] for i in rows]
    em = None if eval_mask is None else np.asarray(eval_mask)[rows]
    ev = np.arange(len(rows)) if em is None else np.where(em)[0]
    vader_labels, _ = vader_predict(feats.vader)
    out = {"vader": single_label_report([y[i] for i in ev], [vader_labels[i] for i in ev], SENTIMENTS)}
    proba = np.zeros((len(rows), len(SENTIMENTS)))
    pred = [""] * len(rows)
    groups = [data.groups[i] for i in rows]
    weights = data.w(rows)
    for train, test in eval_folds(groups, em, params.cv_folds, params.random_seed):
        model = SentimentModel(params.regularisation, params.tfidf_max_features, params.random_seed, params.calibrate,
                               params.class_bias)
        model.fit(feats.subset(train), [y[i] for i in train], None if weights is None else weights[train],
                  [groups[i] for i in train])
        proba[test] = model.predict_proba(feats.subset(test))
        for i, lab in zip(test, model.predict(feats.subset(test))[0]):
            pred[i] = lab
    out["domain"] = single_label_report([y[i] for i in ev], [pred[i] for i in ev], SENTIMENTS)
    if oof is not None:
        oof.update(sentiment_proba=proba[ev], sentiment_pred=[pred[i] for i in ev], sentiment_gold=[y[i] for i in ev],
                   sentiment_rows=rows[ev])
    return out


def cv_stance(data: LabelledSet, targets: Mapping[str, np.ndarray], params: TrainParams,
              nli=None, taxonomy: Taxonomy | None = None, prototypes: np.ndarray | None = None,
              eval_mask: np.ndarray | None = None, oof: dict | None = None) -> dict[str, dict]:
    """Cross-validated reports on coded (document, theme present) pairs: majority,
    vader_as_stance, supervised, and nli when a zero-shot backend is given. A focused
    model (``params.focus.scope == 'sentences'``) needs ``taxonomy`` and ``prototypes``."""
    pairs = data.stance
    if len(pairs) < 2:
        raise TrainingDataError("stance needs at least two coded (document, theme) pairs", "import more codes (`probation-corpus annotate import FILE --coder NAME`)")
    y = [lab for _, _, lab in pairs]
    rows = [r for r, _, _ in pairs]
    themes = [t for _, t, _ in pairs]
    out: dict[str, dict] = {}
    pm = None if eval_mask is None else np.asarray(eval_mask)[rows]
    ev = np.arange(len(pairs)) if pm is None else np.where(pm)[0]
    yv = [y[i] for i in ev]
    vlabels, _ = vader_predict(data.feats.vader[rows])
    out["vader_as_stance"] = single_label_report(yv, [VADER_AS_STANCE[vlabels[i]] for i in ev], STANCES)
    groups = [data.groups[r] for r in rows]
    weights = data.w(rows)
    maj = [""] * len(pairs)
    sup = [""] * len(pairs)
    proba = np.zeros((len(pairs), len(STANCES)))
    for train, test in eval_folds(groups, pm, params.cv_folds, params.random_seed):
        common = Counter(y[i] for i in train).most_common(1)[0][0]
        model = make_stance_model(data.theme_names, params, taxonomy, prototypes)
        model.fit(data.feats, [rows[i] for i in train], [themes[i] for i in train], [y[i] for i in train],
                  targets, None if weights is None else weights[train], [groups[i] for i in train])
        proba[test] = model.predict_proba(data.feats, [rows[i] for i in test], [themes[i] for i in test], targets)
        for i, lab in zip(test, apply_min_confidence(proba[test], params.stance_min_confidence, model.bias)[0]):
            maj[i] = common
            sup[i] = lab
    out["majority"] = single_label_report(yv, [maj[i] for i in ev], STANCES)
    out["supervised"] = single_label_report(yv, [sup[i] for i in ev], STANCES)
    if oof is not None:
        oof.update(stance_proba=proba[ev], stance_pred=[sup[i] for i in ev], stance_gold=yv,
                   stance_pairs=[pairs[i] for i in ev])
    if nli is not None and taxonomy is not None:
        labels, _ = nli.predict([data.feats.texts[rows[i]] for i in ev], [taxonomy.get(themes[i]).target for i in ev])
        out["nli"] = single_label_report(yv, labels, STANCES)
    return out


def make_theme_model(taxonomy: Taxonomy, prototypes: np.ndarray, params: TrainParams) -> ThemeModel:
    """A theme model for ``taxonomy`` (its themes in order) and their ``prototypes``."""
    return ThemeModel(taxonomy, prototypes, params.rules.phrase_attr, params.regularisation, params.tfidf_max_features,
                      params.random_seed, params.context_weight, params.calibrate, params.theme_thresholds,
                      params.theme_threshold, params.theme_sentence_pooling)


def make_stance_model(theme_names: Sequence[str], params: TrainParams, taxonomy: Taxonomy | None = None,
                      prototypes: np.ndarray | None = None) -> StanceModel:
    focus = params.focus
    if focus.scope == "sentences":
        if taxonomy is None or prototypes is None:
            raise ValueError("stance on sentences needs the taxonomy and its prototypes")
        tax = Taxonomy(tuple(taxonomy.get(t) for t in taxonomy.names))
        return StanceModel(theme_names, params.regularisation, params.tfidf_max_features, params.random_seed, params.stance_min_confidence,
                           focus, tax, prototypes, params.rules.phrase_attr, params.calibrate, params.class_bias)
    return StanceModel(theme_names, params.regularisation, params.tfidf_max_features, params.random_seed, params.stance_min_confidence,
                       focus, calibrate=params.calibrate, bias_mode=params.class_bias)


def labelled_set(gold: pd.DataFrame, docs: pd.DataFrame, theme_names: Sequence[str], encoder: Encoder,
                 min_chars: int = 3, nlp=None, real_docs: set[str] | None = None, real_weight: float = 1.0,
                 sentences: bool = False) -> LabelledSet:
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
    feats = build_features([texts[d] for d in coded], encoder, nlp, contexts, sentences=sentences)
    real = np.array([d in real_docs for d in coded], dtype=bool) if real_docs is not None else None
    weights = np.where(real, float(real_weight), 1.0) if real is not None else None
    return LabelledSet(coded, [posts[d] for d in coded], feats, names, Y, sentiment, stance, weights, real)


def fit_theme_model(data: LabelledSet, taxonomy: Taxonomy, prototypes: np.ndarray, params: TrainParams) -> ThemeModel:
    """Fit on every theme-coded document."""
    rows = _theme_rows(data)
    if len(rows) < 2:
        raise TrainingDataError("the theme model needs at least two theme-coded documents", "import more codes (`probation-corpus annotate import FILE --coder NAME`)")
    names = data.theme_names
    tax = Taxonomy(tuple(taxonomy.get(t) for t in names))
    protos = prototypes[[taxonomy.names.index(t) for t in names]]
    model = make_theme_model(tax, protos, params)
    return model.fit(data.feats.subset(rows), data.Y[rows], data.w(rows), [data.groups[i] for i in rows])


def fit_sentiment_model(data: LabelledSet, params: TrainParams) -> SentimentModel:
    rows = _sentiment_rows(data)
    if len(rows) < 2:
        raise TrainingDataError("the sentiment model needs at least two sentiment-coded documents", "import more codes (`probation-corpus annotate import FILE --coder NAME`)")
    return SentimentModel(params.regularisation, params.tfidf_max_features, params.random_seed, params.calibrate,
                               params.class_bias).fit(
        data.feats.subset(rows), [data.sentiment[i] for i in rows], data.w(rows), [data.groups[i] for i in rows])


def fit_stance_model(data: LabelledSet, targets: Mapping[str, np.ndarray], params: TrainParams,
                     taxonomy: Taxonomy | None = None, prototypes: np.ndarray | None = None) -> StanceModel:
    if len(data.stance) < 2:
        raise TrainingDataError("the stance model needs at least two coded (document, theme) pairs", "import more codes (`probation-corpus annotate import FILE --coder NAME`)")
    model = make_stance_model(data.theme_names, params, taxonomy, prototypes)
    rows = [r for r, _, _ in data.stance]
    return model.fit(data.feats, rows, [t for _, t, _ in data.stance], [lab for _, _, lab in data.stance], targets,
                     data.w(rows), [data.groups[r] for r in rows])


__all__ = ["TrainParams", "LabelledSet", "folds_for", "cv_themes", "cv_sentiment", "cv_stance",
           "fit_theme_model", "fit_sentiment_model", "fit_stance_model", "labelled_set", "eval_folds",
           "make_stance_model", "make_theme_model",
           "VADER_AS_STANCE"]
