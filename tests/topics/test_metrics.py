from __future__ import annotations

import math

import pytest

from pipeline.topics import doc_term_sets, npmi_coherence, npmi_pair, topic_diversity

DOCS = [{"a", "b"}, {"a", "b"}, {"a"}, {"c"}]


def test_npmi_pair_by_hand():
    # P(a)=3/4, P(b)=1/2, P(a,b)=1/2: log(4/3) / log(2)
    assert npmi_pair(0.75, 0.5, 0.5) == pytest.approx(math.log(4 / 3) / math.log(2))
    assert npmi_pair(0.75, 0.25, 0.0) == -1.0
    assert npmi_pair(1.0, 1.0, 1.0) == 1.0
    # independent terms score 0
    assert npmi_pair(0.5, 0.5, 0.25) == pytest.approx(0.0)


def test_npmi_coherence_by_hand():
    ab = math.log(4 / 3) / math.log(2)  # 0.41504
    mean, per_topic = npmi_coherence([["a", "b", "c"], ["a", "b"]], DOCS)
    assert per_topic[0] == pytest.approx((ab - 1 - 1) / 3)
    assert per_topic[1] == pytest.approx(ab)
    assert mean == pytest.approx(((ab - 2) / 3 + ab) / 2)


def test_npmi_uses_only_top_n_terms_and_skips_single_term_topics():
    mean, per_topic = npmi_coherence([["a", "b", "c"], ["c"]], DOCS, top_n=2)
    assert per_topic[0] == pytest.approx(math.log(4 / 3) / math.log(2))
    assert math.isnan(per_topic[1])
    assert mean == pytest.approx(per_topic[0])


def test_term_absent_from_corpus_scores_minus_one():
    _, per_topic = npmi_coherence([["a", "zzz"]], DOCS)
    assert per_topic == [-1.0]


def test_doc_term_sets_include_phrases():
    sets = doc_term_sets(["union rep strike", "pay"], ngram_max=2)
    assert sets[0] == {"union", "rep", "strike", "union rep", "rep strike"}
    assert sets[1] == {"pay"}


def test_topic_diversity_by_hand():
    assert topic_diversity([["a", "b", "c"], ["a", "d", "e"]], top_n=3) == pytest.approx(5 / 6)
    assert topic_diversity([["a", "b"], ["c", "d"]], top_n=2) == 1.0
    assert topic_diversity([["a", "b", "x"], ["a", "b", "y"]], top_n=2) == 0.5
    assert math.isnan(topic_diversity([], top_n=10))
