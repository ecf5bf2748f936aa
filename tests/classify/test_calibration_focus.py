"""Issue 12's methods on invented data: calibrated probabilities, stance on the sentences
about each theme, real-text weighting, and calibrated confidence on every label."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from pipeline.classify.apply import Models, classify_texts
from tests.classify.conftest import config_apply_params
from pipeline.classify.features import build_features
from pipeline.classify.focus import select
from pipeline.classify.linear import SafeLogit
from pipeline.classify.similarity import theme_prototypes
from pipeline.classify.stance import FocusParams
from pipeline.classify.training import (
    cv_sentiment,
    cv_stance,
    cv_themes,
    eval_folds,
    fit_sentiment_model,
    fit_stance_model,
    fit_theme_model,
    labelled_set,
    make_stance_model,
)
from tests.classify.fixture_data import fixture_frames, hash_encoder

THEMES = ["napo", "pay", "workload", "inspection"]


def test_calibration_brings_balanced_probabilities_back_to_the_base_rate():
    rng = np.random.default_rng(0)
    n = 1200
    y = (rng.random(n) < 0.1).astype(int)           # 10% positives
    X = rng.normal(size=(n, 5)) + y[:, None] * 0.8  # weakly separable
    groups = [f"g{i % 60}" for i in range(n)]
    raw = SafeLogit(1.0, 0).fit(X, y)
    cal = SafeLogit(1.0, 0, calibrate=True).fit(X, y, groups=groups)
    assert cal.calibrated and not raw.calibrated
    p_raw, p_cal = raw.proba_for(X, [1])[:, 0], cal.proba_for(X, [1])[:, 0]
    # balanced class weights push P(positive) far above the 10% base rate; calibration does not
    assert abs(p_cal.mean() - y.mean()) < 0.03 < abs(p_raw.mean() - y.mean())
    brier = lambda p: float(np.mean((p - y) ** 2))  # noqa: E731
    assert brier(p_cal) < brier(p_raw)


def test_calibration_needs_two_examples_per_class():
    X = np.eye(5)
    y = [0, 0, 0, 0, 1]
    m = SafeLogit(1.0, 0, calibrate=True).fit(X, y)
    assert not m.calibrated and m.proba_for(X, [0, 1]).shape == (5, 2)


def test_focus_selection():
    sims = np.array([0.1, 0.5, 0.2, 0.05])
    assert select(sims, np.zeros(4), 0.4, 2) == [1]
    assert select(sims, np.array([0, 0, 0, 1.0]), 0.4, 2) == [1, 3]       # a seed term counts
    assert select(sims, np.zeros(4), 0.9, 2) == [1, 2]                    # none qualifies: the top 2
    assert select(sims[:2], np.zeros(2), 0.9, 2) == [0, 1]                # short text: whole


def test_focused_stance_reads_the_sentences_about_the_theme(taxonomy, targets):
    docs, gold = fixture_frames()
    data = labelled_set(gold, docs, THEMES, hash_encoder, sentences=True)
    protos = theme_prototypes(taxonomy, hash_encoder)
    model = make_stance_model(THEMES, replace(_params(), calibrate=True, focus=FocusParams("sentences", 0.3, 1)),
                              taxonomy, protos)
    text = "The union rep was brilliant and saved my job. The pay award is an insult and my salary is frozen."
    feats = build_features([text], hash_encoder, sentences=True)
    focus, _ = model._focus_texts(feats, [0, 0], ["pay", "napo"])
    assert "pay award" in focus[0] and "union" not in focus[0]
    assert "union" in focus[1] and "pay award" not in focus[1]
    # it trains and predicts with sentence features, calibrated
    model.fit(data.feats, [r for r, _, _ in data.stance], [t for _, t, _ in data.stance],
              [lab for _, _, lab in data.stance], targets, groups=[data.groups[r] for r, _, _ in data.stance])
    assert model.focused and model.calibrated
    p = model.predict_proba(feats, [0, 0], ["pay", "napo"], targets)
    assert p.shape == (2, 3) and np.allclose(p.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="sentences=True"):
        model.predict_proba(build_features([text], hash_encoder), [0], ["pay"], targets)


def _params():
    from pipeline.classify.training import TrainParams
    from pipeline.config import load_config

    return TrainParams.from_config(load_config().section("classify"))


def test_real_documents_are_weighted_and_only_they_are_tested(taxonomy, targets):
    docs, gold = fixture_frames(n_threads=8, per_thread=5)
    real = set(docs["doc_id"][docs["post_id"].isin(["p_00", "p_01", "p_02", "p_03"])])
    data = labelled_set(gold, docs, THEMES, hash_encoder, real_docs=real, real_weight=3.0, sentences=True)
    assert data.counts()["real_documents"] == len(real) == 20
    assert set(data.weights[data.real]) == {3.0} and set(data.weights[~data.real]) == {1.0}
    folds = eval_folds(data.groups, data.real, 2, 13)
    for train, test in folds:
        assert data.real[test].all() and (~data.real[train]).sum() == (~data.real).sum()
        assert not set(np.array(data.groups)[test]) & set(np.array(data.groups)[train])
    params = replace(_params(), calibrate=True, focus=FocusParams("sentences", 0.3, 2), cv_folds=2)
    protos = theme_prototypes(taxonomy, hash_encoder)
    oof: dict = {}
    rep = cv_themes(data, taxonomy, protos, params, data.real, oof)
    assert rep["supervised"]["n"] == 20 and oof["theme_proba"].shape == (20, 4)
    assert cv_sentiment(data, params, data.real, oof)["domain"]["n"] == 20
    st = cv_stance(data, targets, params, None, taxonomy, protos, data.real, oof)
    assert st["supervised"]["n"] == sum(1 for r, _, _ in data.stance if data.real[r])


def test_every_label_from_a_calibrated_model_carries_a_confidence(taxonomy, targets):
    docs, gold = fixture_frames()
    data = labelled_set(gold, docs, THEMES, hash_encoder, sentences=True)
    protos = theme_prototypes(taxonomy, hash_encoder)
    params = replace(_params(), calibrate=True, focus=FocusParams("sentences", 0.3, 2))
    models = Models(fit_theme_model(data, taxonomy, protos, params), fit_sentiment_model(data, params),
                    fit_stance_model(data, targets, params, taxonomy, protos), sentiment_default="domain")
    assert models.theme.calibrated and models.sentiment.calibrated and models.stance.calibrated
    out = classify_texts(["a", "b"], ["Join the union, my rep saved my job. My caseload is impossible.", ""],
                         taxonomy, hash_encoder, models, config_apply_params(theme_threshold=0.2))
    th = out["themes"]
    sup = th[th.method == "supervised"]
    assert sup["confidence"].notna().all() and np.allclose(sup["confidence"], sup["score"])
    present = th[th.present]
    assert len(present) and present["stance_confidence"].notna().all()
    assert th[th.method != "supervised"]["confidence"].isna().all()     # rule-detected themes: no calibration
    s = out["sentiment"]
    assert s[(s.method == "domain")]["confidence"].notna().all()
    assert s[s.method.isin(["vader", "no_own_text"])]["confidence"].isna().all()
