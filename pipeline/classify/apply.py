"""Apply the models to documents' own text: themes with stance, document and sentence
sentiment. Pure: models and an encoder in, DataFrames out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline.classify.backends import label_backend, label_backends
from pipeline.classify.errors import ClassifySettingError
from pipeline.classify.features import SentenceSplit, build_features, sentence_features
from pipeline.classify.nli import NLIStance
from pipeline.classify.sentiment import DOMAIN, VADER, SentimentModel
from pipeline.classify.similarity import Encoder, theme_prototypes
from pipeline.classify.stance import SUPERVISED, StanceModel
from pipeline.classify.taxonomy import Taxonomy
from pipeline.classify.themes import RuleParams, ThemeModel
from pipeline.nlp import Tagger

NO_OWN_TEXT = "no_own_text"


@dataclass
class Models:
    """What classify uses. ``versions`` names each model (kind -> run id or name)."""

    theme: ThemeModel | None = None
    sentiment: SentimentModel | None = None
    stance: StanceModel | None = None
    nli: NLIStance | None = None
    sentiment_default: str = VADER
    versions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ApplyParams:
    """What classify_texts needs of ``[classify]`` (``models.apply_params`` builds it)."""

    theme_threshold: float
    rules: RuleParams
    theme_backend: str
    stance_backend: str
    min_chars: int
    sentences: bool


def choose_sentiment_default(setting: str, sentiment_card: dict[str, Any] | None) -> str:
    """'vader' or 'domain': as set, or for 'auto' the method with the higher cross-validated
    macro-F1 on the domain model's card (VADER when there is no domain model)."""
    setting = setting.lower()
    if setting not in (VADER, DOMAIN, "auto") and setting in label_backends("sentiment"):
        return setting  # a plugin's sentiment method
    if setting in (VADER, DOMAIN):
        if setting == DOMAIN and sentiment_card is None:
            raise ClassifySettingError("classify.sentiment_default = \"domain\" but no domain sentiment model was found",
                                       "train one (`probation-corpus train`) or set classify.sentiment_default = \"auto\"")
        return setting
    if setting != "auto":
        raise ClassifySettingError(f"classify.sentiment_default must be auto, vader or domain, got {setting!r}",
                                   "set one of those three")
    if sentiment_card is None:
        return VADER
    cv = sentiment_card.get("cv", {})
    dom = cv.get(DOMAIN, {}).get("macro_f1", -1.0)
    vad = cv.get(VADER, {}).get("macro_f1", -1.0)
    return DOMAIN if dom > vad else VADER


THEME_COLUMNS = ["doc_id", "theme", "score", "present", "method", "stance", "stance_score", "stance_method",
                 "confidence", "stance_confidence"]
SENT_COLUMNS = ["doc_id", "method", "label", "score", "is_default", "confidence"]


def cached(encoder: Encoder) -> Encoder:
    """``encoder`` that embeds each distinct text once per batch of calls (the sentences
    the stance model reads are the ones sentence sentiment reads)."""
    memo: dict[str, np.ndarray] = {}

    def enc(texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        todo = list(dict.fromkeys(t for t in texts if t not in memo))
        if todo:
            for t, v in zip(todo, np.asarray(encoder(todo), dtype=np.float32)):
                memo[t] = v
        if not texts:
            return np.asarray(encoder([]), dtype=np.float32)
        return np.stack([memo[t] for t in texts])

    return enc
SENTENCE_COLUMNS = ["doc_id", "sentence_no", "start_char", "end_char", "text", "method", "label", "score",
                    "is_default"]


def classify_texts(doc_ids: Sequence[str], texts: Sequence[str], taxonomy: Taxonomy, encoder: Encoder,
                   models: Models, params: ApplyParams,
                   contexts: Sequence[str] | None = None, tagger: Tagger | None = None) -> dict[str, pd.DataFrame]:
    """Themes (every theme's score, with stance for present ones), document sentiment by
    every available method, and sentence sentiment of each own text. ``contexts`` (one
    per text, ``features.context_text``) is the thread context the theme model may read;
    empty when not given. ``tagger`` (``pipeline.nlp.reusing_tagger``) tags the texts and
    contexts when set (stored tags reused: the same labels). Returns frames 'themes',
    'sentiment', 'sentences' with ``THEME_COLUMNS``, ``SENT_COLUMNS``, ``SENTENCE_COLUMNS``.

    Matrix products run on one BLAS thread: a product split over several threads may
    round differently, and the scores must not depend on the machine's cores or the
    runner (a Dask worker has one thread).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _classify_texts(doc_ids, texts, taxonomy, encoder, models, params, contexts, tagger)


def _classify_texts(doc_ids: Sequence[str], texts: Sequence[str], taxonomy: Taxonomy, encoder: Encoder,
                    models: Models, params: ApplyParams, contexts: Sequence[str] | None,
                    tagger: Tagger | None = None) -> dict[str, pd.DataFrame]:
    doc_ids, texts = list(doc_ids), [t or "" for t in texts]
    contexts = list(contexts) if contexts is not None else [""] * len(texts)
    usable = [i for i, t in enumerate(texts) if len(t.strip()) >= params.min_chars]
    usable_set = set(usable)
    short = [i for i in range(len(texts)) if i not in usable_set]
    encoder = cached(encoder)
    feats = build_features([texts[i] for i in usable], encoder, contexts=[contexts[i] for i in usable],
                           sentences=_reads_sentences(models, params), tagger=tagger)
    sentiment_backends = [b for b in label_backends("sentiment").values() if b.is_available(models)]
    methods = [b.name for b in sentiment_backends]
    default = models.sentiment_default if models.sentiment_default in methods else VADER
    usable_ids = [doc_ids[i] for i in usable]
    return {
        "themes": _themes_and_stance(feats, usable_ids, taxonomy, encoder, models, params),
        "sentiment": _document_sentiment(feats, usable_ids, [doc_ids[i] for i in short], sentiment_backends,
                                         default, models),
        "sentences": (_sentence_sentiment(feats, usable_ids, encoder, sentiment_backends, default, models)
                      if params.sentences and usable else pd.DataFrame(columns=SENTENCE_COLUMNS)),
    }


def _calibrated(model) -> bool:
    return bool(model is not None and getattr(model, "calibrated", False))


def _reads_sentences(models: Models, params: ApplyParams) -> bool:
    """Whether the features need each text's sentences (stance judged on the sentences
    about a target, or a theme model reading sentence features)."""
    focused = models.stance is not None and getattr(models.stance, "focused", False) \
        and params.stance_backend == SUPERVISED
    return focused or bool(models.theme is not None and getattr(models.theme, "reads_sentences", False))


def _themes_and_stance(feats, doc_ids: list[str], taxonomy: Taxonomy, encoder: Encoder, models: Models,
                       params: ApplyParams) -> pd.DataFrame:
    """Every theme's score per usable text (row r of ``feats`` is ``doc_ids[r]``), with the
    stance of each present theme."""
    if not doc_ids or not len(taxonomy):
        return pd.DataFrame(columns=THEME_COLUMNS)
    protos = theme_prototypes(taxonomy, encoder)
    det = label_backend("theme", params.theme_backend).run(feats, taxonomy, protos, models, params)
    det["doc_id"] = [doc_ids[r] for r in det["row"]]
    det["stance"] = None
    det["stance_score"] = np.nan
    det["stance_method"] = None
    det["confidence"] = np.where((det["method"] == "supervised") & _calibrated(models.theme), det["score"], np.nan)
    det["stance_confidence"] = np.nan
    on = det.index[det["present"]]
    if len(on):
        rows = det.loc[on, "row"].tolist()
        names = det.loc[on, "theme"].tolist()
        labels, scores, how = label_backend("stance", params.stance_backend).run(
            feats, rows, names, taxonomy, encoder, models)
        det.loc[on, "stance"] = labels
        det.loc[on, "stance_score"] = np.asarray(scores, dtype=float)
        det.loc[on, "stance_method"] = how
        if how == SUPERVISED and _calibrated(models.stance):
            det.loc[on, "stance_confidence"] = np.asarray(scores, dtype=float)
    return det[THEME_COLUMNS].reset_index(drop=True)


def _document_sentiment(feats, doc_ids: list[str], short_ids: list[str], backends: list, default: str,
                        models: Models) -> pd.DataFrame:
    """Each usable text's sentiment by every available backend; texts too short to judge
    are NEUTRAL by rule (``NO_OWN_TEXT``)."""
    sent_cal = _calibrated(models.sentiment)
    parts = []
    for b in backends:
        labels, scores = b.run(feats, models)
        sc = np.asarray(scores, dtype=float)
        parts.append(pd.DataFrame({"doc_id": doc_ids, "method": b.name, "label": labels,
                                   "score": sc, "is_default": b.name == default,
                                   "confidence": sc if (b.name == DOMAIN and sent_cal) else np.nan}))
    if short_ids:
        parts.append(pd.DataFrame({"doc_id": short_ids, "method": NO_OWN_TEXT,
                                   "label": "NEUTRAL", "score": 1.0, "is_default": True, "confidence": np.nan}))
    return pd.concat(parts, ignore_index=True)[SENT_COLUMNS] if parts else pd.DataFrame(columns=SENT_COLUMNS)


def _sentence_sentiment(feats, doc_ids: list[str], encoder: Encoder, backends: list, default: str,
                        models: Models) -> pd.DataFrame:
    """Sentiment of every sentence of each usable text (from the document's one parse and
    its sentences' one VADER scoring)."""
    split = feats.split if feats.split is not None else SentenceSplit.of(feats.docs)
    sfeats = sentence_features(feats, encoder, split)
    if not len(sfeats):
        return pd.DataFrame(columns=SENTENCE_COLUMNS)
    spans, owner = split.sentences, split.owner
    ids = np.asarray(doc_ids, dtype=object)[np.asarray(owner, dtype=int)]
    base = {"doc_id": ids, "sentence_no": [x.index for x in spans], "start_char": [x.start for x in spans],
            "end_char": [x.end for x in spans], "text": sfeats.texts}
    parts = []
    for b in backends:
        labels, scores = b.run(sfeats, models)
        parts.append(pd.DataFrame({**base, "method": b.name, "label": labels,
                                   "score": np.asarray(scores, dtype=float), "is_default": b.name == default}))
    return pd.concat(parts, ignore_index=True)[SENTENCE_COLUMNS]
