"""Topics at scale: the cluster backend choice (cuML on a GPU, CPU fallback), the capped
LDA baseline, vectorised similarities, and a run with no new input writing nothing."""

from __future__ import annotations

import dataclasses

import pytest

from pipeline.config import ConfigError
from pipeline.topics import TopicsError, fit_topics
from pipeline.topics.cluster import TreeMemo
from pipeline.topics.model import backend_for, choose_backend, cluster_models, lda_metrics


@pytest.mark.parametrize(("requested", "cuml", "gpu", "want"), [
    ("auto", True, True, "cuml"), ("auto", True, False, "cpu"), ("auto", False, True, "cpu"),
    ("auto", False, False, "cpu"), ("cpu", True, True, "cpu"), ("cuml", True, True, "cuml"),
])
def test_backend_choice(requested, cuml, gpu, want):
    assert choose_backend(requested, cuml, gpu) == want


@pytest.mark.parametrize(("cuml", "gpu", "why"), [(False, True, "cuML is not installed"),
                                                  (True, False, "no CUDA GPU")])
def test_explicit_cuml_without_it_is_a_clear_error(cuml, gpu, why):
    with pytest.raises(TopicsError, match=why):
        choose_backend("cuml", cuml, gpu)


def test_this_machine_falls_back_to_the_cpu_libraries(topic_settings):
    """No GPU (and no cuML) here: ``auto`` gives umap-learn and hdbscan."""
    from hdbscan import HDBSCAN
    from umap import UMAP

    assert topic_settings.cluster_backend == "auto"
    backend = backend_for(topic_settings)
    assert backend == "cpu"
    umap_model, hdb = cluster_models(topic_settings, backend)
    assert isinstance(umap_model, UMAP) and isinstance(hdb.make(hdb.min_cluster_size, TreeMemo()), HDBSCAN)
    assert umap_model.random_state == topic_settings.seed and hdb.min_cluster_size == topic_settings.hdbscan_min_cluster_size


def test_bad_backend_is_refused(topic_settings):
    with pytest.raises(ConfigError, match="cluster_backend"):
        dataclasses.replace(topic_settings, cluster_backend="gpu").validate()
    with pytest.raises(ConfigError, match="lda_max_topics"):
        dataclasses.replace(topic_settings, lda_max_topics=0).validate()
    with pytest.raises(ConfigError, match="lda_max_docs"):
        dataclasses.replace(topic_settings, lda_max_docs=-1).validate()


def test_lda_topic_count_is_capped(topic_settings):
    lemmas = ["rota office caseload", "pay award napo", "court report deadline", "rota caseload office"] * 5
    vocab = sorted({w for t in lemmas for w in t.split()})
    s = dataclasses.replace(topic_settings, lda_max_topics=3, lda_n_topics=0, lda_max_iter=2)
    assert lda_metrics(lemmas, vocab, s, n_topics=40)["n_topics"] == 3
    assert lda_metrics(lemmas, vocab, s, n_topics=2)["n_topics"] == 2
    s = dataclasses.replace(s, lda_n_topics=8)
    assert lda_metrics(lemmas, vocab, s, n_topics=2)["n_topics"] == 3


def test_lda_baseline_is_fitted_on_a_seeded_sample_of_at_most_lda_max_docs():
    from pipeline.topics.model import lda_sample

    rows = lda_sample(100, 30, seed=7)
    assert len(rows) == 30 == len(set(rows.tolist())) and list(rows) == sorted(rows) and rows.max() < 100
    assert list(lda_sample(100, 30, seed=7)) == list(rows) and list(lda_sample(100, 30, seed=8)) != list(rows)
    assert list(lda_sample(20, 30, seed=7)) == list(range(20)) == list(lda_sample(20, 0, seed=7))


def test_lda_metrics_fit_on_the_sample_and_measure_every_document(topic_settings):
    lemmas = ["rota office caseload", "pay award napo", "court report deadline", "rota caseload office"] * 5
    vocab = sorted({w for t in lemmas for w in t.split()})
    s = dataclasses.replace(topic_settings, lda_max_topics=3, lda_n_topics=0, lda_max_iter=2, lda_max_docs=8)
    m = lda_metrics(lemmas, vocab, s, n_topics=2)
    assert m["n_documents_fitted"] == 8 and m["n_documents"] == 20 and m["npmi"] is not None
    whole = lda_metrics(lemmas, vocab, dataclasses.replace(s, lda_max_docs=0), n_topics=2)
    assert whole["n_documents_fitted"] == 20


def test_fit_records_backend_and_vectorised_similarities(synthetic, synthetic_fit):
    import numpy as np

    assert synthetic_fit.metrics["cluster_backend"] == "cpu"
    a = synthetic_fit.assignments
    reduced = a[a.method == "reduced"]
    assert ((reduced.probability >= 0) & (reduced.probability <= 1)).all()
    assert np.isfinite(a.probability).all()


@pytest.fixture(scope="module")
def synthetic_clustering(synthetic, topic_settings):
    from pipeline.topics import cluster_embeddings

    ids, _, emb, _ = synthetic
    return cluster_embeddings(ids, emb, topic_settings)


def _without_time(lda: dict) -> dict:
    return {k: v for k, v in lda.items() if k != "fit_seconds"}


def test_a_baseline_started_elsewhere_is_the_one_the_fit_keeps(synthetic, synthetic_fit, synthetic_clustering,
                                                              topic_settings):
    """``fit_topics``' ``baseline`` is started once, before BERTopic's steps, with the
    topic count the clustering gives, which is the fit's; what it hands back is the fit's
    LDA baseline, and it is the one fitted in process."""
    from pipeline.topics.model import expected_topics, lda_topic_count

    ids, texts, emb, _ = synthetic
    started: list[int] = []
    handed: list[dict] = []

    def baseline(lemmas, vocabulary, k):
        started.append(k)
        handed.append(lda_metrics(lemmas, vocabulary, topic_settings, k))
        return lambda: handed[0]

    fit = fit_topics(ids, texts, emb, topic_settings, clustering=synthetic_clustering, baseline=baseline)
    n = fit.metrics["n_topics"]
    assert expected_topics(synthetic_clustering, topic_settings) == n == synthetic_fit.metrics["n_topics"] > 1
    assert started == [lda_topic_count(topic_settings, n)]
    assert fit.metrics["lda_baseline"] is handed[0]
    assert _without_time(handed[0]) == _without_time(synthetic_fit.metrics["lda_baseline"])


def test_a_baseline_started_with_another_topic_count_is_fitted_again_here(synthetic, synthetic_fit,
                                                                         synthetic_clustering, topic_settings,
                                                                         monkeypatch):
    """Were the fit to find another topic count than the clustering promised, the started
    baseline is dropped and the right one fitted here; with ``topics.nr_topics`` (which
    merges topics after clustering) the count is not known beforehand, so none is started."""
    import pipeline.topics.model as topic_model

    ids, texts, emb, _ = synthetic
    n = synthetic_fit.metrics["n_topics"]
    monkeypatch.setattr(topic_model, "expected_topics", lambda clustering, settings: n - 1)
    started: list[int] = []
    fit = fit_topics(ids, texts, emb, topic_settings, clustering=synthetic_clustering,
                     baseline=lambda lemmas, vocabulary, k: started.append(k) or (lambda: {"wrong": k}))
    assert started == [n - 1]
    assert _without_time(fit.metrics["lda_baseline"]) == _without_time(synthetic_fit.metrics["lda_baseline"])
    monkeypatch.undo()
    assert topic_model.expected_topics(synthetic_clustering, dataclasses.replace(topic_settings, nr_topics=3)) is None
