from __future__ import annotations

import numpy as np

from pipeline.topics import topic_label
from pipeline.topics.quotes import best_passage, mmr_select
from pipeline.sentences import sentence_spans


def test_labels_are_readable_and_skip_repeats():
    assert topic_label(["inspection", "hmip", "report", "rating"], 3) == "inspection / hmip / report"
    assert topic_label(["union", "rep", "union rep", "strike"], 3) == "union / rep / strike"
    assert topic_label(["pay award", "pay", "award", "pension"], 2) == "pay award / pension"
    assert topic_label([], 3) == ""


def test_sentence_spans():
    text = 'It was bad. "Really bad," she said! Then\n\nnext part. end'
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "It was bad.", '"Really bad," she said!', "Then", "next part. end"]


def test_mmr_picks_nearest_then_diverse():
    c = np.array([1.0, 0.0])
    v = np.array([[0.95, 0.31], [0.94, 0.34], [0.9, -0.43], [0.0, 1.0]])
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    assert mmr_select(v, c, 2, diversity=0.0) == [0, 1]
    # With diversity the near-copy of the first pick loses to a different document.
    assert mmr_select(v, c, 2, diversity=0.3) == [0, 2]
    assert mmr_select(v, c, 10, 0.3)[:1] == [0] and len(mmr_select(v, c, 10, 0.3)) == 4
    assert mmr_select(v[:0], c, 3, 0.3) == []


def test_best_passage_prefers_topic_terms_and_respects_length():
    text = ("I went to the office today. The union rep told us the strike ballot opens on Monday. "
            "Lunch was late. Napo says the ballot matters.")
    lemmas = ["office today", "union rep strike ballot open monday", "lunch late", "napo ballot matter"]
    weights = {"strike": 1.0, "ballot": 0.8, "napo": 0.7, "union rep": 0.5}
    q = best_passage(text, weights, lemmas, max_chars=70)
    assert q == "The union rep told us the strike ballot opens on Monday."
    # Room for both: the tightest run of sentences holding every term.
    q_long = best_passage(text, weights, lemmas, max_chars=200)
    assert q_long.startswith("The union rep") and q_long.endswith("ballot matters.")
    # Without topic terms: the shortest run of sentences that is long enough.
    assert best_passage(text, {}, lemmas, max_chars=200, min_chars=40) == (
        "Lunch was late. Napo says the ballot matters.")
    assert text.find(q_long) >= 0  # verbatim


def test_best_passage_cuts_an_overlong_sentence_at_a_word():
    text = "word " * 100
    q = best_passage(text.strip(), {}, ["word"], max_chars=50)
    assert len(q) <= 51 and q.endswith("…") and " wor…" not in q
