"""Train and evaluate on a small labelled fixture."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.classify.apply import Models, classify_texts
from tests.classify.conftest import config_apply_params
from pipeline.classify.persist import list_models, load_model, resolve_model_dir, save_model
from pipeline.classify.report import evaluation_rows, markdown_report
from pipeline.classify.similarity import theme_prototypes
from pipeline.classify.training import cv_sentiment, cv_stance, cv_themes, folds_for
from tests.classify.fixture_data import hash_encoder


def test_labelled_set_shapes(fixture_set):
    assert len(fixture_set.doc_ids) == 60
    assert fixture_set.Y.shape == (60, 4)
    assert set(fixture_set.Y.ravel()) == {0, 1}
    counts = fixture_set.counts()
    assert counts["threads"] == 12
    assert counts["stance"]["FAVOR"] > 0 and counts["stance"]["AGAINST"] > 0


def test_folds_never_split_a_thread(fixture_set):
    for train, test in folds_for(fixture_set.groups, len(fixture_set.groups), 5, 13):
        assert not {fixture_set.groups[i] for i in train} & {fixture_set.groups[i] for i in test}


def test_cross_validation_reports(fixture_set, taxonomy, params, targets):
    themes = cv_themes(fixture_set, taxonomy, theme_prototypes(taxonomy, hash_encoder), params)
    assert set(themes) == {"keyword", "similarity", "rules", "supervised"}
    sup = themes["supervised"]
    assert set(sup["classes"]) == {"napo", "pay", "workload", "inspection"}
    assert sup["micro"]["f1"] >= 0.9  # the fixture's themes are easy to learn
    sent = cv_sentiment(fixture_set, params)
    assert set(sent) == {"vader", "domain"}
    assert sent["domain"]["macro_f1"] >= 0.8
    assert np.array(sent["domain"]["confusion"]["matrix"]).sum() == 60
    stance = cv_stance(fixture_set, targets, params)
    assert set(stance) == {"vader_as_stance", "majority", "supervised"}
    assert stance["supervised"]["macro_f1"] > stance["majority"]["macro_f1"]
    rows = evaluation_rows("theme", themes, params.cv_folds)
    assert set(rows["class"]) == {"napo", "pay", "workload", "inspection", "_overall"}
    md = markdown_report({"theme": themes, "sentiment": sent, "stance": stance}, params.cv_folds, {"documents": 60})
    assert "| theme | supervised |" in md and "Confusion matrix" in md


def test_save_load_roundtrip_predicts_the_same(tmp_path, fitted, fixture_set):
    card = {"kind": "theme", "run_id": "r1", "created_at": "2025-01-01T00:00:00", "method": "supervised",
            "cv": {}, "training_data": {}}
    folder = save_model(fitted["theme"], "theme", "r1", tmp_path, card)
    assert (folder / "MODEL_CARD.md").exists() and (folder / "card.json").exists()
    model, loaded_card = load_model(folder)
    assert loaded_card["run_id"] == "r1"
    np.testing.assert_allclose(model.predict_proba(fixture_set.feats), fitted["theme"].predict_proba(fixture_set.feats))
    save_model(fitted["theme"], "theme", "r2", tmp_path, {**card, "run_id": "r2", "created_at": "2025-02-01"})
    assert resolve_model_dir(tmp_path, "theme", "latest").name == "r2"
    assert resolve_model_dir(tmp_path, "theme", "r1").name == "r1"
    assert resolve_model_dir(tmp_path, "theme", "none") is None
    assert [p.name for p, _ in list_models(tmp_path, "theme")] == ["r2", "r1"]
    with pytest.raises(ValueError, match="no theme model"):
        resolve_model_dir(tmp_path, "theme", "r9")


def test_classify_texts_outputs(fitted, taxonomy):
    models = Models(fitted["theme"], fitted["sentiment"], fitted["stance"], sentiment_default="domain")
    out = classify_texts(["a", "b", "c"], ["The union rep saved my job. Join the union!", "",
                                           "My caseload is impossible and the pay award is an insult."],
                         taxonomy, hash_encoder, models, config_apply_params())
    th = out["themes"]
    assert set(th["doc_id"]) == {"a", "c"}  # b has no own text
    present = th[th.present]
    assert ("a", "napo") in set(zip(present.doc_id, present.theme))
    assert set(present[present.doc_id == "c"].theme) >= {"workload"}
    assert set(present.stance) <= {"FAVOR", "AGAINST", "NONE"}
    sent = out["sentiment"]
    assert set(sent[sent.doc_id == "b"].method) == {"no_own_text"}
    assert set(sent[sent.doc_id == "a"].method) == {"vader", "domain"}
    assert sent.groupby("doc_id").is_default.sum().eq(1).all()
    s = out["sentences"]
    assert set(s[s.doc_id == "a"].sentence_no) == {0, 1}
