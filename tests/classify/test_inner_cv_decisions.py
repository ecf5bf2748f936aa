"""Decision rules chosen by inner cross-validation (classify.theme_thresholds and
classify.class_bias = "inner_cv"), on invented data only."""

from __future__ import annotations

import pickle
from dataclasses import replace

import numpy as np
import pytest

from pipeline.classify.errors import ClassifySettingError
from pipeline.classify.labels import SENTIMENTS, STANCES
from pipeline.classify.metrics import multilabel_report
from pipeline.classify.linear import THRESHOLD_GRID, SafeLogit, biased_argmax, tune_bias, tune_threshold
from pipeline.classify.similarity import theme_prototypes
from pipeline.classify.stance import apply_min_confidence
from pipeline.classify.themes import detect_themes
from pipeline.classify.training import (
    TrainParams,
    cv_sentiment,
    cv_stance,
    cv_themes,
    fit_sentiment_model,
    fit_stance_model,
    fit_theme_model,
    labelled_set,
)
from pipeline.config import load_config
from tests.classify.fixture_data import fixture_frames, hash_encoder

THEMES = ["napo", "pay", "workload", "inspection"]


def _params(**change) -> TrainParams:
    return replace(TrainParams.from_config(load_config().section("classify")), **change)


def test_defaults_leave_the_decisions_as_before():
    p = _params()
    assert p.theme_thresholds == "global" and p.class_bias == "none" and p.theme_sentence_pooling == "none"


def test_an_unknown_mode_is_a_setting_error():
    section = dict(load_config().section("classify"))
    with pytest.raises(ClassifySettingError, match="theme_thresholds"):
        TrainParams.from_config({**section, "theme_thresholds": "per_theme"})
    with pytest.raises(ClassifySettingError, match="class_bias"):
        TrainParams.from_config({**section, "class_bias": "balanced"})


def test_calibrated_fit_keeps_held_out_probabilities_once_and_never_saves_them():
    rng = np.random.default_rng(1)
    n = 300
    y = (rng.random(n) < 0.3).astype(int)
    X = rng.normal(size=(n, 4)) + y[:, None] * 1.0
    groups = [f"g{i % 30}" for i in range(n)]
    m = SafeLogit(1.0, 0, calibrate=True).fit(X, y, groups=groups)
    oof = m.take_oof([1])
    assert oof.shape == (n, 1) and ((oof >= 0) & (oof <= 1)).all()
    # held out: each row judged by a model that did not see it, so not the in-sample fit
    assert not np.allclose(oof[:, 0], m.proba_for(X, [1])[:, 0])
    assert m.take_oof([1]) is None                       # taken once
    assert "oof_" not in pickle.loads(pickle.dumps(m)).__dict__ or pickle.loads(pickle.dumps(m)).oof_ is None
    assert SafeLogit(1.0, 0).fit(X, y).take_oof([1]) is None   # uncalibrated: none


def test_tune_threshold_by_hand():
    y = [1, 1, 1, 0, 0, 0]
    p = np.array([0.9, 0.7, 0.32, 0.27, 0.1, 0.05])
    assert tune_threshold(y, p, None, 0.5) == pytest.approx(0.3)   # all three positives, no false one
    # weight on the negatives: letting the 0.27 in costs more than missing 0.32 gains
    w = [1, 1, 1, 10, 1, 1]
    assert tune_threshold(y, p, w, 0.5) in THRESHOLD_GRID
    assert tune_threshold([0, 0, 0], p[:3], None, 0.35) == 0.35              # no positive: the default


def test_tune_bias_lets_an_under_predicted_class_win():
    # class 1 is always the runner-up when true: plain argmax never predicts it
    y = np.array([0, 0, 1, 1, 2, 2, 1, 0])
    p = np.array([[.7, .2, .1], [.6, .3, .1], [.55, .4, .05], [.5, .35, .15],
                  [.1, .2, .7], [.2, .1, .7], [.6, .38, .02], [.8, .1, .1]])
    plain = biased_argmax(p, None)
    assert 1 not in plain
    bias = tune_bias(y, p, None)
    assert bias[0] == 0 and bias[1] > 0
    assert (biased_argmax(p, bias) == y).mean() > (plain == y).mean()
    # nothing to gain: no offset
    assert np.all(tune_bias([0, 2], np.array([[.9, .05, .05], [.1, .1, .8]]), None) == 0)
    labels, scores = apply_min_confidence(p, 0.0, bias)
    assert labels[2] == STANCES[1] and scores[2] == pytest.approx(0.4)


@pytest.fixture(scope="module")
def data():
    docs, gold = fixture_frames()
    return labelled_set(gold, docs, THEMES, hash_encoder, sentences=False)


def test_theme_model_tunes_one_threshold_per_theme_inside_its_training_data(taxonomy, data):
    protos = theme_prototypes(taxonomy, hash_encoder)
    tuned = fit_theme_model(data, taxonomy, protos, _params(calibrate=True, theme_thresholds="inner_cv"))
    plain = fit_theme_model(data, taxonomy, protos, _params(calibrate=True))
    assert plain.thresholds is None
    assert len(tuned.thresholds) == len(THEMES) and all(t in THRESHOLD_GRID for t in tuned.thresholds)
    assert pickle.loads(pickle.dumps(tuned)).thresholds == tuned.thresholds
    feats = data.feats.subset(range(6))
    proba = tuned.predict_proba(feats)
    assert np.array_equal(tuned.present(proba, 0.99), proba >= np.array(tuned.thresholds)[None, :])
    assert np.array_equal(plain.present(proba, 0.99), proba >= 0.99)
    # detect_themes decides with the model's own thresholds
    tuned.thresholds = [0.0] * len(THEMES)
    out = detect_themes(feats, taxonomy, protos, tuned, _params().rules, 0.99)
    assert out[out.theme.isin(THEMES)]["present"].all()
    tuned.thresholds = [1.01] * len(THEMES)
    out = detect_themes(feats, taxonomy, protos, tuned, _params().rules, 0.0)
    assert not out[out.theme.isin(THEMES)]["present"].any()


def test_sentiment_and_stance_models_tune_class_offsets(taxonomy, targets, data):
    protos = theme_prototypes(taxonomy, hash_encoder)
    params = _params(calibrate=True, class_bias="inner_cv")
    sent = fit_sentiment_model(data, params)
    assert sent.bias is not None and sent.bias.shape == (3,) and sent.bias[0] == 0
    feats = data.feats.subset(range(8))
    labels, scores = sent.predict(feats)
    p = sent.predict_proba(feats)
    assert labels == [SENTIMENTS[i] for i in biased_argmax(p, sent.bias)]
    assert np.allclose(scores, [p[k, SENTIMENTS.index(lab)] for k, lab in enumerate(labels)])  # still calibrated
    stance = fit_stance_model(data, targets, params, taxonomy, protos)
    assert stance.bias is not None and stance.bias.shape == (3,)
    assert pickle.loads(pickle.dumps(stance)).bias.tolist() == stance.bias.tolist()
    assert fit_sentiment_model(data, _params(calibrate=True)).bias is None


def test_cross_validation_scores_each_folds_own_decisions(taxonomy, targets, data):
    protos = theme_prototypes(taxonomy, hash_encoder)
    params = _params(calibrate=True, theme_thresholds="inner_cv", class_bias="inner_cv", cv_folds=3)
    oof: dict = {}
    rep = cv_themes(data, taxonomy, protos, params, None, oof)
    assert oof["theme_pred"].shape == oof["theme_proba"].shape and oof["theme_pred"].dtype == bool
    assert rep["supervised"] == multilabel_report(oof["theme_gold"], oof["theme_pred"], THEMES)
    cv_sentiment(data, params, None, oof)
    assert len(oof["sentiment_pred"]) == len(oof["sentiment_gold"]) and set(oof["sentiment_pred"]) <= set(SENTIMENTS)
    cv_stance(data, targets, params, None, taxonomy, protos, None, oof)
    assert len(oof["stance_pred"]) == len(oof["stance_gold"]) and set(oof["stance_pred"]) <= set(STANCES)


def test_sentence_max_pooling_reads_the_sentence_most_about_a_theme(taxonomy, targets):
    """classify.theme_sentence_pooling = "max": a theme's best single sentence counts, and
    classify builds the sentences the model needs."""
    from pipeline.classify.apply import Models, classify_texts
    from pipeline.classify.features import build_features
    from tests.classify.conftest import config_apply_params

    docs, gold = fixture_frames()
    data = labelled_set(gold, docs, THEMES, hash_encoder, sentences=True)
    protos = theme_prototypes(taxonomy, hash_encoder)
    params = _params(calibrate=True, theme_sentence_pooling="max")
    assert params.needs_sentences
    model = fit_theme_model(data, taxonomy, protos, params)
    assert model.reads_sentences and not fit_theme_model(data, taxonomy, protos, _params()).reads_sentences
    text = "Nothing to say about most things today. The pay award is an insult and my salary is frozen."
    feats = build_features([text], hash_encoder, sentences=True)
    sims = feats.embeddings @ model.prototypes.T
    best, emb = model._pooled(feats, sims)
    per_sentence = feats.sentences.embeddings @ model.prototypes.T
    assert np.allclose(best.toarray()[0], per_sentence.max(axis=0), atol=1e-6)
    assert np.allclose(emb.toarray()[0], feats.sentences.embeddings.max(axis=0), atol=1e-6)
    with pytest.raises(ValueError, match="sentences=True"):
        model.predict_proba(build_features([text], hash_encoder))
    models = Models(model, fit_sentiment_model(data, params), fit_stance_model(data, targets, params, taxonomy, protos),
                    sentiment_default="domain")
    out = classify_texts(["a"], [text], taxonomy, hash_encoder, models, config_apply_params())
    assert set(THEMES) <= set(out["themes"]["theme"])
