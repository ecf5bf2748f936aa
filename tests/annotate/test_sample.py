"""Choosing documents to code."""

from __future__ import annotations

import pandas as pd

from pipeline.annotate.sample import sample_stratified, sample_uncertain, strata, uncertainty


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
