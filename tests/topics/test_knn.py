"""Exact neighbours for UMAP (``pipeline/topics/knn.py``) and their use in a fit."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sklearn.metrics import pairwise_distances

import pipeline.topics.model as topic_model
from pipeline.topics.knn import exact_knn


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_exact_neighbours_match_all_pairwise_distances(metric):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(700, 12)).astype(np.float32)
    idx, dist = exact_knn(x, 15, metric, block=128)  # several blocks, the last one short
    full = pairwise_distances(x, metric=metric)
    assert idx.shape == dist.shape == (700, 15)
    assert (idx[:, 0] == np.arange(700)).all() and (dist[:, 0] == 0).all()
    assert np.allclose(dist, np.take_along_axis(full, idx, 1), atol=1e-4)
    assert np.allclose(np.sort(full, axis=1)[:, :15], dist, atol=1e-4)  # the nearest, nearest first
    assert (np.diff(dist, axis=1) >= -1e-6).all()


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_threads_give_the_same_neighbours_and_distances_bit_for_bit(metric):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(650, 12)).astype(np.float32)
    x[100:140] = x[:40]  # exact duplicates: ties, broken by the lower index
    one = exact_knn(x, 15, metric, block=128)
    for threads in (2, 3, 200):  # shares of every block's rows; more threads than a block has rows
        many = exact_knn(x, 15, metric, block=128, threads=threads)
        assert np.array_equal(many[0], one[0])
        assert np.array_equal(many[1].view(np.int32), one[1].view(np.int32))
    assert (one[0][100:140, 1] == np.arange(40)).all()  # a duplicate's twin comes straight after itself
    assert (one[0][:40, 1] == np.arange(100, 140)).all()


def test_exact_knn_refuses_other_metrics():
    with pytest.raises(ValueError):
        exact_knn(np.ones((3, 2)), 2, "manhattan")


def test_fit_gives_umap_the_exact_neighbours_up_to_the_limit(monkeypatch, synthetic, synthetic_fit, topic_settings):
    calls = []
    real = topic_model.exact_knn
    monkeypatch.setattr(topic_model, "exact_knn", lambda *a, **k: calls.append(len(a[0])) or real(*a, **k))
    ids, texts, emb, _ = synthetic
    assert len(ids) <= topic_settings.exact_knn_max_docs
    fit = topic_model.fit_topics(ids, texts, emb, replace(topic_settings, lda_baseline=False))
    assert calls == [len(ids)]
    assert fit.assignments.equals(synthetic_fit.assignments)  # same input, same topics
    calls.clear()
    approx = topic_model.fit_topics(ids, texts, emb, replace(topic_settings, exact_knn_max_docs=len(ids) - 1,
                                                             lda_baseline=False))
    assert calls == [] and len(approx.topics) > 1
