"""Model cards: the text and fields saved with every fitted model (``card.json`` and
``MODEL_CARD.md``), and the label-quality rows a card carries. Pure: values in, dicts out."""

from __future__ import annotations

import platform
from collections.abc import Mapping
from typing import Any

CARD_TEXT = {
    "theme": ("Multi-label theme detection on a document's own words (the author's text, pasted and quoted "
              "text removed): one balanced logistic regression per theme.",
              "embedding (chunk-pooled sentence embedding) + tf-idf words/bigrams + log seed-term counts + "
              "cosine similarity to each theme prototype (description and examples), of the own text; "
              "embedding, seed-term counts and prototype similarities of the thread context (post title and "
              "the post's own words), weighted by classify.context_weight", "supervised"),
    "sentiment": ("Document sentiment (NEGATIVE/NEUTRAL/POSITIVE) of a document's own words: balanced "
                  "multinomial logistic regression; VADER is the baseline stored beside it.",
                  "embedding + tf-idf words/bigrams + VADER neg/neu/pos/compound", "domain"),
    "stance": ("Stance (FAVOR/AGAINST/NONE) toward each detected theme's target statement: balanced "
               "multinomial logistic regression conditioned on the target; low confidence gives NONE.",
               "document embedding, target embedding, their product and absolute difference, theme one-hot, "
               "tf-idf, VADER", "supervised"),
}
LIMITS = ("Trained on a few hundred coded documents of one blog (the guidelines' labels; the synthetic "
          "sample corpus coded by its author and the three real seed pages coded by one coder). Figures "
          "are cross-validated, grouped by thread; expect lower accuracy on other blogs, on themes added "
          "later (they use seed terms and similarity until coded) and on rare classes (few FAVOR "
          "stances). Read by a single coder: agreement with other coders is not yet measured.")
RETRAIN = ("Import codes (`probation-corpus annotate import FILE --coder NAME`), then `probation-corpus "
           "train` (all three kinds, or `--kind theme|sentiment|stance`). New models are saved under "
           "`models/<kind>/<run_id>/` and become the default (`classify.<kind>_model = \"latest\"`).")

LABEL_QUALITY_COLUMNS = ["model_run_id", "label_kind", "label", "value", "precision", "ci_low", "ci_high", "recall",
                         "n_predicted", "support", "confidence_for_precision_80", "evaluated_on"]


def library_versions(pipeline_version: str) -> dict[str, str]:
    """The versions a card records (the pipeline's code version is given by the caller)."""
    import numpy as np
    import sklearn

    return {"pipeline": pipeline_version, "scikit-learn": sklearn.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


def card_params(params: Any, synthetic_coders: bool = True) -> dict[str, Any]:
    """The hyper-parameters a card records (``training.TrainParams``), under the card's
    historical names (``C``, ``seed``: the shipped cards use them)."""
    out = {"C": params.regularisation, "tfidf_max_features": params.tfidf_max_features, "seed": params.random_seed,
           "theme_threshold": params.theme_threshold, "stance_min_confidence": params.stance_min_confidence,
           "phrase_attr": params.rules.phrase_attr, "context_weight": params.context_weight,
           "calibrate": params.calibrate, "stance_scope": params.focus.scope,
           "stance_focus_similarity": params.focus.min_similarity, "stance_focus_top": params.focus.top,
           "real_weight": params.real_weight}
    if synthetic_coders:
        out["synthetic_coders"] = list(params.synthetic_coders)
    return out


def model_card(kind: str, model: Any, *, run_id: str, created_at: str, embedding_model: str, embedding_unit: str, params: Any,
               taxonomy: list | None, info: Mapping[str, Any], cv: Mapping[str, Any], versions: Mapping[str, str]
               ) -> dict[str, Any]:
    """The card of a model fitted by ``train`` on the stored codes."""
    summary, features, method = CARD_TEXT[kind]
    card = {"kind": kind, "run_id": run_id, "created_at": created_at, "summary": summary,
            "method": method, "features": features, "embedding_model": embedding_model,
            "embedding_unit": embedding_unit,
            "params": card_params(params),
            "calibrated": bool(getattr(model, "calibrated", False)),
            "taxonomy": taxonomy if kind != "sentiment" else None,
            "training_data": {**info, "gold": "stored codes (annotations view), consolidated"},
            "cv": dict(cv), "cv_folds": params.cv_folds, "versions": dict(versions),
            "limits": LIMITS, "retrain": RETRAIN}
    card["training_data"]["labels"] = {k: info[k] for k in ("themes_present", "sentiment", "stance")}
    return card


def label_quality_frame(cards: Mapping[str, Mapping]) -> "pd.DataFrame":
    """The ``label_quality`` rows the models' cards carry (measured on real text)."""
    import pandas as pd

    rows = []
    for card in cards.values():
        for r in card.get("label_quality", []) or []:
            rows.append({"model_run_id": card.get("run_id"), **{k: r.get(k) for k in LABEL_QUALITY_COLUMNS[1:]}})
    return pd.DataFrame(rows, columns=LABEL_QUALITY_COLUMNS)
