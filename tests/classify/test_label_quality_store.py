"""m0013: confidence columns on the label views and the label_quality table."""

from __future__ import annotations

import math

import pandas as pd

from pipeline.classify.cards import label_quality_frame
from pipeline.store import connect, transaction
from pipeline.store.classify import write_classification, write_label_quality


def test_confidence_reaches_the_views_and_missing_is_null(tmp_db):
    themes = pd.DataFrame({"doc_id": ["d1", "d1"], "theme": ["pay", "napo"], "score": [0.9, 0.3],
                           "present": [True, False], "method": ["supervised", "similarity"],
                           "stance": ["AGAINST", None], "stance_score": [0.8, float("nan")],
                           "stance_method": ["supervised", None], "confidence": [0.9, float("nan")],
                           "stance_confidence": [0.8, float("nan")]})
    sentiment = pd.DataFrame({"doc_id": ["d1", "d1"], "method": ["domain", "vader"], "label": ["NEGATIVE"] * 2,
                              "score": [0.7, 0.4], "is_default": [True, False], "confidence": [0.7, float("nan")]})
    sentences = pd.DataFrame(columns=["doc_id", "sentence_no", "start_char", "end_char", "text", "method", "label",
                                      "score", "is_default"])
    conn = connect(tmp_db)
    with transaction(conn):
        write_classification(conn, "r1", themes, sentiment, sentences, {"documents": 1})
    assert conn.execute("SELECT theme, confidence, stance_confidence FROM doc_themes").fetchall() == [("pay", 0.9, 0.8)]
    assert conn.execute("SELECT theme, confidence FROM doc_theme_scores WHERE theme = 'napo'").fetchall() == [
        ("napo", None)]
    assert conn.execute("SELECT label, confidence FROM doc_sentiment").fetchall() == [("NEGATIVE", 0.7)]
    # frames without the column (models before issue 12) write NULL
    with transaction(conn):
        write_classification(conn, "r2", themes.drop(columns=["confidence", "stance_confidence"]),
                             sentiment.drop(columns=["confidence"]), sentences, {"documents": 1})
    assert conn.execute("SELECT count(*) FROM doc_themes WHERE run_id = 'r2' AND confidence IS NULL").fetchone()[0] == 1


def test_label_quality_from_cards_replaces_a_model_runs_rows(tmp_db):
    card = {"run_id": "m1", "label_quality": [
        {"label_kind": "theme", "label": "pay", "value": "present", "precision": 0.86, "ci_low": 0.7, "ci_high": 0.95,
         "recall": 0.6, "n_predicted": 21, "support": 30, "evaluated_on": "real_dev"},
        {"label_kind": "theme", "label": "workload", "value": "present", "precision": None, "ci_low": None,
         "ci_high": None, "recall": 0.0, "n_predicted": 0, "support": 4, "evaluated_on": "real_dev"}]}
    frame = label_quality_frame({"theme": card, "sentiment": {"run_id": "old"}})
    assert list(frame["model_run_id"]) == ["m1", "m1"]
    conn = connect(tmp_db)
    for _ in range(2):  # idempotent
        with transaction(conn):
            write_label_quality(conn, frame)
    rows = conn.execute("SELECT label, precision FROM label_quality WHERE model_run_id = 'm1' "
                        "AND label_kind = 'theme' ORDER BY label").fetchall()
    assert rows[0] == ("pay", 0.86) and rows[1][1] is None
    # what quotes reads: labels good enough to quote at 0.8
    ok = conn.execute("SELECT label FROM label_quality WHERE precision >= 0.8").fetchall()
    assert ok == [("pay",)]
    assert not math.isnan(conn.execute("SELECT ci_low FROM label_quality WHERE label = 'pay'").fetchone()[0])
