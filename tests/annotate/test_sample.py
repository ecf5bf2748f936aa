"""Choosing documents to code."""

from __future__ import annotations

import pandas as pd

import pytest

from pipeline.annotate.sample import pick_documents, sample_stratified, sample_uncertain, strata, uncertainty
from pipeline.errors import UserError


def _cands():
    rows = []
    for i in range(60):
        theme = "pay" if i < 40 else ("napo" if i < 55 else None)
        year = 2019 if i % 2 else 2023
        rows.append({"doc_id": f"d{i:02d}", "top_theme": theme, "published_at": pd.Timestamp(f"{year}-05-01")})
    return pd.DataFrame(rows)


def test_stratified_covers_every_stratum_proportionally():
    cands = _cands()
    chosen = sample_stratified(cands, 12, seed=1)
    assert len(chosen) == 12 and len(set(chosen)) == 12
    st = strata(cands.set_index("doc_id").loc[chosen].reset_index())
    assert set(st) == set(strata(cands))  # all 6 strata present
    assert (st.str.startswith("pay")).sum() == 8  # 40/60 of 12
    assert sample_stratified(cands, 12, seed=1) == chosen  # reproducible


def test_stratified_small_and_large_requests():
    cands = _cands()
    assert len(sample_stratified(cands, 3, seed=0)) == 3
    assert sorted(sample_stratified(cands, 500, seed=0)) == sorted(cands.doc_id)
    assert sample_stratified(cands, 0, seed=0) == []


def test_uncertain_prefers_scores_near_the_threshold():
    scores = pd.DataFrame({"doc_id": ["a", "a", "b", "c"], "theme": ["pay", "napo", "pay", "pay"],
                           "score": [0.02, 0.97, 0.48, 0.80], "method": "supervised"})
    sent = pd.DataFrame({"doc_id": ["a", "b", "c"], "score": [0.99, 0.95, 0.40]})
    u = uncertainty(scores, sent, threshold=0.5)
    assert u["b"] > u["c"] > u["a"]
    assert sample_uncertain(u, ["a", "b", "c"], 2) == ["b", "c"]


def _picking_inputs():
    """Synthetic: six documents, one too short, one already coded; a classify run's scores."""
    docs = pd.DataFrame({"doc_id": [f"d{i}" for i in range(6)],
                         "own_text": ["long enough own words"] * 4 + ["hi", "also long enough"],
                         "published_at": [pd.Timestamp("2020-01-01")] * 6})
    locs = pd.DataFrame({"doc_id": ["d0", "d0", "d1"], "source": ["a.txt", "b.txt", "a.txt"],
                         "doc": ["p1", "p9", "p2"], "parent": [None, None, "p1"]})
    scores = pd.DataFrame({"doc_id": ["d0", "d1", "d2", "d3", "d5"], "theme": ["pay"] * 5,
                           "score": [0.9, 0.51, 0.2, 0.49, 0.8], "present": [True, True, False, False, True],
                           "method": ["supervised"] * 5})
    sent = pd.DataFrame(columns=["doc_id", "label", "score", "method"])
    return docs, locs, scores, sent


def test_pick_documents_leaves_out_short_and_coded_and_attaches_first_locators():
    docs, locs, scores, sent = _picking_inputs()
    picked = pick_documents(docs, locs, {"d5"}, scores, sent, "run1", strategy="stratified", n=10,
                            min_chars=5, theme_threshold=0.5, seed=1)
    assert sorted(picked["doc_id"]) == ["d0", "d1", "d2", "d3"]
    by = picked.set_index("doc_id")
    assert by.loc["d0", "source"] == "a.txt" and by.loc["d0", "doc"] == "p1"
    assert by.loc["d2", "source"] is None and by.loc["d1", "parent"] == "p1"
    assert by.loc["d0", "top_theme"] == "pay" and by.loc["d2", "top_theme"] == "none"


def test_pick_documents_uncertain_needs_a_run_and_prefers_the_threshold():
    docs, locs, scores, sent = _picking_inputs()
    with pytest.raises(UserError, match="needs a classify run"):
        pick_documents(docs, locs, set(), scores, sent, None, strategy="uncertain", n=2, min_chars=5,
                       theme_threshold=0.5, seed=1)
    picked = pick_documents(docs, locs, set(), scores, sent, "run1", strategy="uncertain", n=2, min_chars=5,
                            theme_threshold=0.5, seed=1)
    assert sorted(picked["doc_id"]) == ["d1", "d3"]
