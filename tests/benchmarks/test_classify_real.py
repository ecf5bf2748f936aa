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
