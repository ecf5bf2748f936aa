"""The HDBSCAN size guard (pipeline/topics/cluster.py): a small dense island must not turn
the rest of the corpus into one topic. Real HDBSCAN fits on points built here."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hdbscan import HDBSCAN

from pipeline.config import ConfigError
from pipeline.topics.cluster import SizeGuardedHDBSCAN, TreeMemo, largest_share, n_clusters
from pipeline.topics.model import cluster_models
from pipeline.topics.persist import card_markdown


def blobs_with_island(seed: int, sep: float) -> np.ndarray:
    """Six overlapping groups of 300 points in 5 dimensions, and 30 near-identical points
    far away (what a run of reposted texts looks like after UMAP)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, sep, (6, 5))
    groups = [c + rng.normal(0, 1.0, (300, 5)) for c in centers]
    groups.append(np.full(5, 40.0) + rng.normal(0, 0.05, (30, 5)))
    return np.vstack(groups)


def make(size: int, memory: TreeMemo | None = None) -> HDBSCAN:
    """HDBSCAN as the stage makes it; without ``memory``, plain (each fit builds its tree)."""
    return HDBSCAN(min_cluster_size=size, min_samples=5, core_dist_n_jobs=1, **({"memory": memory} if memory else {}))


def test_plain_hdbscan_collapses_on_these_points():
    """The premise: at size 10 the island makes the rest one topic (98% of the points)."""
    labels = make(10).fit(blobs_with_island(2, 2.0)).labels_
    assert n_clusters(labels) == 2 and largest_share(labels) > 0.95


def test_the_guard_doubles_the_size_until_no_topic_holds_half():
    X = blobs_with_island(2, 2.0)
    guard = SizeGuardedHDBSCAN(make, 10, 0.5, 6).fit(X)
    assert [a["min_cluster_size"] for a in guard.attempts_] == [10, 20, 40]
    assert guard.min_cluster_size_ == 40 and not guard.collapsed_
    assert n_clusters(guard.labels_) >= 3 and largest_share(guard.labels_) <= 0.5
    assert np.array_equal(guard.labels_, make(40).fit(X).labels_)  # the kept fit is that HDBSCAN's own
    assert len(guard.probabilities_) == len(X)


def test_the_refits_share_one_tree_and_give_what_plain_fits_give():
    """The guard's three fits build the spanning tree once (it does not depend on
    min_cluster_size); each fit's labels and probabilities equal a plain HDBSCAN's."""
    X = blobs_with_island(2, 2.0)
    seen = []

    def recording(size: int, memory: TreeMemo) -> HDBSCAN:
        seen.append(memory)
        return make(size, memory)

    guard = SizeGuardedHDBSCAN(recording, 10, 0.5, 6).fit(X)
    assert [a["min_cluster_size"] for a in guard.attempts_] == [10, 20, 40]
    assert guard.trees_built_ == 1 and len(seen) == 3 and all(m is seen[0] for m in seen)
    for size in (10, 20, 40):
        memo = seen[0]
        again, plain = make(size, memo).fit(X), make(size).fit(X)
        assert np.array_equal(again.labels_, plain.labels_) and np.array_equal(again.probabilities_, plain.probabilities_)
    assert seen[0].computed == 1
    fresh = TreeMemo()  # other vectors or another min_samples: a tree of their own
    make(10, fresh).fit(X)
    make(10, fresh).fit(X + 1e-3)
    HDBSCAN(min_cluster_size=10, min_samples=7, core_dist_n_jobs=1, memory=fresh).fit(X)
    assert fresh.computed == 3


def test_no_limit_or_one_try_is_plain_hdbscan():
    X = blobs_with_island(2, 2.0)
    plain = make(10).fit(X).labels_
    for guard in (SizeGuardedHDBSCAN(make, 10, 1.0, 6), SizeGuardedHDBSCAN(make, 10, 0.5, 1)):
        guard.fit(X)
        assert np.array_equal(guard.labels_, plain) and len(guard.attempts_) == 1


def test_when_no_fit_passes_the_smallest_largest_topic_is_kept_and_flagged():
    X = blobs_with_island(0, 2.5)  # 0.98, 0.98, 0.76, 0.76 at 10, 20, 40, 80
    guard = SizeGuardedHDBSCAN(make, 10, 0.5, 4).fit(X)
    shares = [a["largest_share"] for a in guard.attempts_]
    assert len(shares) == 4 and min(shares) > 0.5
    assert guard.collapsed_ and guard.min_cluster_size_ == guard.attempts_[shares.index(min(shares))]["min_cluster_size"]
    assert guard.summary()["largest_topic_share_over_limit"] is True


def test_the_size_never_exceeds_half_the_documents():
    X = blobs_with_island(0, 2.5)[:200]
    guard = SizeGuardedHDBSCAN(make, 40, 0.01, 10).fit(X)
    assert max(a["min_cluster_size"] for a in guard.attempts_) <= len(X) // 2


def test_cluster_models_wraps_hdbscan_with_the_settings(topic_settings):
    _, hdb = cluster_models(topic_settings, "cpu")
    assert isinstance(hdb, SizeGuardedHDBSCAN)
    assert (hdb.min_cluster_size, hdb.max_share, hdb.max_tries) == (
        topic_settings.hdbscan_min_cluster_size, topic_settings.max_topic_share, topic_settings.hdbscan_max_tries)
    inner = hdb.make(20, TreeMemo())
    assert isinstance(inner, HDBSCAN) and inner.min_cluster_size == 20
    assert inner.cluster_selection_method == topic_settings.hdbscan_selection


@pytest.mark.parametrize(("field", "value", "key"), [("max_topic_share", 0.0, "max_topic_share"),
                                                     ("max_topic_share", 1.5, "max_topic_share"),
                                                     ("hdbscan_max_tries", 0, "hdbscan_max_tries")])
def test_bad_guard_settings_are_refused(topic_settings, field, value, key):
    with pytest.raises(ConfigError, match=key):
        dataclasses.replace(topic_settings, **{field: value}).validate()


def test_the_model_card_lists_the_refits(topic_settings):
    guard = SizeGuardedHDBSCAN(make, 10, 0.5, 6).fit(blobs_with_island(2, 2.0))
    card = {"run_id": "r", "created_at": "t", "code_version": "v", "n_documents": 1830, "input_hash": "h",
            "embedding": {}, "vocabulary_size": 0, "params": dataclasses.asdict(topic_settings),
            "metrics": {"n_topics": 3, "npmi": 0.1, "diversity": 1.0, "outlier_share_before": 0.1,
                        "outlier_share_after": 0.0, **guard.summary()},
            "topics": [], "library_versions": {}}
    text = card_markdown(card)
    assert "HDBSCAN was refitted" in text and "| 20 |" in text and "Used: min_cluster_size 40" in text
    card["metrics"]["hdbscan_attempts"] = guard.attempts_[:1]
    assert "refitted" not in card_markdown(card)
