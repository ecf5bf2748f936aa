"""The real-text benchmark's readers: units and adjudicated codes, the coders' agreement,
and the page bootstrap. Invented (synthetic) units: no real text in the repository."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.classify_real import agreement_summary, bootstrap, real_units

UNITS = [
    {"unit_id": "u1", "url": "http://invented.example/p1.html", "page": "invented.example/p1.html",
     "title": "Pay again", "kind": "post",
     "text": "Intro from me:-\nDear colleague, the pay award is 2%.\nThis is an insult to every officer.",
     "paragraphs": [{"i": 0, "start": 0, "end": 15}, {"i": 1, "start": 16, "end": 52}, {"i": 2, "start": 53, "end": 88}]},
    {"unit_id": "u2", "url": "http://invented.example/p1.html#c1", "page": "invented.example/p1.html",
     "title": None, "kind": "comment", "text": "Napo should ballot now. Fair pay they said.",
     "paragraphs": [{"i": 0, "start": 0, "end": 43}]},
]
GOLD = [
    {"unit_id": "u1", "themes": {"pay": "AGAINST"}, "sentiment": "NEGATIVE",
     "paragraphs": [{"i": 0, "label": "own"}, {"i": 1, "label": "not_own"}, {"i": 2, "label": "own"}]},
    {"unit_id": "u2", "themes": {"napo": "FAVOUR", "pay": "AGAINST"}, "sentiment": "NEGATIVE",
     "paragraphs": [{"i": 0, "label": "mixed", "not_own_spans": ["Fair pay they said."]}]},
]
CODER_B = [
    {"unit_id": "u1", "themes": {"pay": "AGAINST", "workload": "NONE"}, "sentiment": "NEGATIVE",
     "paragraphs": [{"i": 0, "label": "own"}, {"i": 1, "label": "not_own"}, {"i": 2, "label": "own"}]},
    {"unit_id": "u2", "themes": {"napo": "NONE"}, "sentiment": "NEUTRAL", "paragraphs": [{"i": 0, "label": "own"}]},
]


def _write(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_real_units_keep_own_words_only_and_give_comments_their_post(tmp_path):
    gold, docs = real_units(_write(tmp_path / "g.jsonl", GOLD), _write(tmp_path / "u.jsonl", UNITS),
                            ["napo", "pay", "workload"])
    d = docs.set_index("doc_id")
    assert "pay award" not in d.loc["real:u1", "own_text"]          # the pasted circular is left out
    assert "insult" in d.loc["real:u1", "own_text"]
    assert d.loc["real:u2", "own_text"].strip() == "Napo should ballot now."
    assert d.loc["real:u2", "context"].startswith("Pay again")      # the comment's post
    assert d.loc["real:u1", "post_id"] == d.loc["real:u2", "post_id"]
    g = {(r.doc_id, r.label_kind, r.label): r.value for r in gold.itertuples()}
    assert g[("real:u2", "stance", "napo")] == "FAVOR" and g[("real:u1", "theme", "napo")] == "absent"
    assert g[("real:u1", "sentiment", "sentiment")] == "NEGATIVE"


def test_agreement_summary_by_hand(tmp_path):
    a = agreement_summary(_write(tmp_path / "a.jsonl", GOLD), _write(tmp_path / "b.jsonl", CODER_B),
                          ["napo", "pay", "workload"])
    # theme decisions: A present {u1 pay, u2 napo, u2 pay}, B {u1 pay, u1 workload, u2 napo}: tp 2, fp 1, fn 1
    assert a["theme_micro_f1_A_vs_B"] == pytest.approx(2 / 3)
    assert a["stance_pairs_both"] == 2 and a["stance_agreement"] == 0.5
    assert a["sentiment_agreement"] == 0.5 and a["paragraphs"] == 4
    assert {r["statistic"] for r in a["per_label"]} == {"cohen_kappa", "krippendorff_alpha"}


def test_bootstrap_interval_is_by_page_and_brackets_the_estimate():
    values = np.array([1.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    groups = ["a", "a", "b", "b", "c", "d"]
    lo, hi = bootstrap(lambda i: float(values[i].mean()), groups, n=400)
    assert 0.0 <= lo <= values.mean() <= hi <= 1.0 and hi > lo


def test_every_method_is_a_valid_setting_of_the_config():
    from benchmarks.classify_real import METHODS, params_for
    from pipeline.classify.training import TrainParams
    from pipeline.config import load_config

    base = TrainParams.from_config(load_config().section("classify"))
    for name, (_, change) in METHODS.items():
        p = params_for(base, change)
        assert p.theme_thresholds in ("global", "inner_cv") and p.class_bias in ("none", "inner_cv"), name
    p = params_for(base, METHODS["calibrated, real x10, inner-CV thresholds + class bias"][1])
    assert (p.theme_thresholds, p.class_bias, p.real_weight, p.calibrate) == ("inner_cv", "inner_cv", 10.0, True)


def test_cv_predictions_use_each_folds_own_decisions():
    """The harness scores what each fold's model decides (tuned thresholds and offsets)."""
    from dataclasses import replace

    from benchmarks.classify_real import METHODS, cv_predictions, params_for
    from pipeline.classify.taxonomy import taxonomy_from_config
    from pipeline.classify.training import TrainParams, labelled_set
    from pipeline.config import load_config
    from tests.classify.fixture_data import fixture_frames, hash_encoder

    section = load_config().section("classify")
    taxonomy = taxonomy_from_config(section)
    docs, gold = fixture_frames(n_threads=8, per_thread=5)
    real = set(docs["doc_id"][docs["post_id"].isin(["p_00", "p_01", "p_02", "p_03"])])
    names = ["napo", "pay", "workload", "inspection"]
    data = labelled_set(gold, docs, names, hash_encoder, real_docs=real, real_weight=10.0, sentences=True)
    params = replace(params_for(TrainParams.from_config(section),
                                METHODS["calibrated, real x10, inner-CV thresholds + class bias"][1]), cv_folds=2)
    pred = cv_predictions(data, taxonomy, hash_encoder, params, data.real.copy())
    assert pred["theme_pred"].shape == pred["theme_proba"].shape == (20, 4)
    assert len(pred["sent_pred"]) == len(pred["sent_gold"]) and len(pred["stance_pred"]) == len(pred["stance_gold"])
