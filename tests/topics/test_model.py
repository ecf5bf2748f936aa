from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from pipeline.topics import TopicSettings, TopicsError, assign_to_centroids, cluster_embeddings, fit_topics
from pipeline.topics.persist import build_card, load_card, load_centroids, save_fit
from tests.topics.synthetic import THEMES, synthetic_corpus


def _theme_of_topic(fit, themes_by_doc):
    out = {}
    for topic, group in fit.assignments.groupby("topic_id"):
        out[int(topic)] = Counter(themes_by_doc[d] for d in group.doc_id).most_common(1)[0][0]
    return out


def test_fit_recovers_the_themes(synthetic, synthetic_fit):
    ids, texts, _, themes = synthetic
    fit = synthetic_fit
    by_doc = dict(zip(ids, themes))
    real = fit.topics[fit.topics.topic_id != -1]
    assert len(real) == len(THEMES)
    assert fit.topics["size"].sum() == len(ids)
    # every topic is one theme, and its label speaks of that theme
    for topic, group in fit.assignments[fit.assignments.topic_id != -1].groupby("topic_id"):
        assert len({by_doc[d] for d in group.doc_id}) == 1
        theme = by_doc[group.doc_id.iloc[0]]
        label = real.set_index("topic_id").label[topic]
        assert set(label.replace(" / ", " ").split()) & set(THEMES[theme]), (label, theme)
    assert set(fit.assignments.method) <= {"cluster", "reduced", "outlier"}
    assert fit.assignments.probability.between(0, 1).all()
    m = fit.metrics
    assert 0 <= m["outlier_share_after"] <= m["outlier_share_before"] <= 1
    assert -1 <= m["npmi"] <= 1 and 0 < m["diversity"] <= 1
    assert m["lda_baseline"]["n_topics"] == len(real)


def test_quotes_are_verbatim_from_the_topic(synthetic, synthetic_fit, topic_settings):
    ids, texts, _, _ = synthetic
    text_of = dict(zip(ids, texts))
    topic_of = dict(zip(synthetic_fit.assignments.doc_id, synthetic_fit.assignments.topic_id))
    per_topic = Counter(q.topic_id for q in synthetic_fit.quotes)
    assert set(per_topic.values()) == {topic_settings.representative_quotes}
    for q in synthetic_fit.quotes:
        assert q.quote and q.quote in text_of[q.doc_id]
        assert topic_of[q.doc_id] == q.topic_id
        assert len(q.quote) <= topic_settings.quote_max_chars
    ranks = {}
    for q in synthetic_fit.quotes:
        ranks.setdefault(q.topic_id, []).append(q.rank)
    assert all(r == list(range(1, len(r) + 1)) for r in ranks.values())
    assert len({q.doc_id for q in synthetic_fit.quotes}) == len(synthetic_fit.quotes)


def test_quote_count_is_configurable(synthetic, topic_settings):
    ids, texts, emb, _ = synthetic
    fit = fit_topics(ids, texts, emb, replace(topic_settings, representative_quotes=8, lda_baseline=False))
    assert set(Counter(q.topic_id for q in fit.quotes).values()) == {8}


@pytest.mark.slow
def test_two_fits_give_identical_assignments(synthetic, synthetic_fit, topic_settings):
    ids, texts, emb, _ = synthetic
    # a shuffled input order must not matter either
    perm = np.random.default_rng(3).permutation(len(ids))
    again = fit_topics([ids[i] for i in perm], [texts[i] for i in perm], emb[perm], topic_settings)
    assert again.assignments.equals(synthetic_fit.assignments)
    assert again.topics.equals(synthetic_fit.topics)
    assert [(q.topic_id, q.doc_id, q.quote) for q in again.quotes] == \
           [(q.topic_id, q.doc_id, q.quote) for q in synthetic_fit.quotes]


def test_a_clustering_made_beforehand_gives_the_same_fit(synthetic, synthetic_fit, topic_settings):
    """``cluster_embeddings`` run apart (the topics job runs it while the terms are made,
    on the documents in any order) gives ``fit_topics`` the fit it makes by itself; a
    clustering of other documents is refused."""
    ids, texts, emb, _ = synthetic
    perm = np.random.default_rng(5).permutation(len(ids))
    clustering = cluster_embeddings([ids[i] for i in perm], emb[perm], topic_settings)
    fit = fit_topics(ids, texts, emb, topic_settings, clustering=clustering)
    assert fit.assignments.equals(synthetic_fit.assignments)
    assert fit.topics.equals(synthetic_fit.topics)
    assert fit.metrics["hdbscan_attempts"] == synthetic_fit.metrics["hdbscan_attempts"]
    with pytest.raises(TopicsError, match="other documents"):
        fit_topics(ids[1:], texts[1:], emb[1:], topic_settings, clustering=clustering)


def test_new_documents_are_assigned_without_refit(synthetic, synthetic_fit, topic_settings, tmp_path):
    ids, _, _, themes = synthetic
    theme_of_topic = _theme_of_topic(synthetic_fit, dict(zip(ids, themes)))
    new_ids, _, new_emb, new_themes = synthetic_corpus(per_theme=4, seed=99, prefix="n")
    model = synthetic_fit.model
    in_memory, sims = assign_to_centroids(model.topic_embeddings_, model._outliers, new_emb)
    assert [theme_of_topic[t] for t in in_memory] == new_themes
    assert ((sims > 0) & (sims <= 1.0001)).all()

    card = build_card(synthetic_fit, "r1", topic_settings, {"model_id": "m@abc"}, "0" * 64, "v", "2026-01-01")
    folder = save_fit(synthetic_fit, tmp_path / "topics" / "r1", card)
    vectors, outliers = load_centroids(folder)
    from_disk, sims_disk = assign_to_centroids(vectors, outliers, new_emb)
    assert list(from_disk) == list(in_memory)
    np.testing.assert_allclose(sims_disk, sims, atol=1e-5)
    # what BERTopic's own loader and transform give for the saved model, to the bit
    from bertopic import BERTopic

    loaded = BERTopic.load(str(folder / "bertopic"))
    assert outliers == loaded._outliers and np.array_equal(vectors, loaded.topic_embeddings_)
    ref_topics, ref_sims = loaded.transform([""] * len(new_emb), embeddings=new_emb)
    assert list(from_disk) == list(ref_topics)
    np.testing.assert_array_equal(sims_disk, ref_sims)
    assert assign_to_centroids(vectors, outliers, new_emb[:0])[0].shape == (0,)
    with pytest.raises(TopicsError, match="no saved topic model"):
        load_centroids(tmp_path / "nowhere")
    (folder / "bertopic" / "topic_embeddings.safetensors").write_bytes(b"not a tensor file")
    with pytest.raises(TopicsError, match="cannot be read .*header"):
        load_centroids(folder)
    assert load_card(folder)["run_id"] == "r1"
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size < 1_000_000  # small enough to commit: no UMAP state, no embedding weights
    with pytest.raises(TopicsError, match="already holds"):
        save_fit(synthetic_fit, folder, card)


def test_model_card_records_what_a_reader_needs(synthetic_fit, topic_settings, tmp_path):
    card = build_card(synthetic_fit, "r2", topic_settings, {"model": "m", "model_id": "m@abc", "device": "cpu"},
                      "f" * 64, "0.1.0+gabc", "2026-01-01T00:00:00")
    folder = save_fit(synthetic_fit, tmp_path / "r2", card)
    data = json.loads((folder / "card.json").read_text())
    for key in ("input_hash", "params", "code_version", "library_versions", "metrics", "embedding", "topics"):
        assert data[key]
    assert data["library_versions"]["bertopic"] != "absent"
    text = (folder / "MODEL_CARD.md").read_text()
    assert "NPMI" in text and "LDA baseline" in text and synthetic_fit.topics.label.iloc[0] in text


def test_too_few_documents_is_a_clear_error(topic_settings):
    with pytest.raises(TopicsError, match="too few documents"):
        fit_topics(["a", "b"], ["x y", "z w"], np.eye(2, dtype=np.float32), topic_settings)


def test_bad_settings_are_refused(topic_settings):
    from dataclasses import asdict

    bad = {**asdict(topic_settings), "outlier_strategy": "magic"}
    with pytest.raises(ValueError, match="outlier_strategy"):
        TopicSettings.from_config(bad)
    bad = {**asdict(topic_settings), "exact_knn_max_docs": -1}
    with pytest.raises(ValueError, match="exact_knn_max_docs"):
        TopicSettings.from_config(bad)


def test_centroids_with_an_outlier_topic_count_from_minus_one():
    """With an outlier topic its embedding is the first row, and topic ids start at -1 (as
    BERTopic numbers them)."""
    centroids = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    docs = np.array([[0.9, 0.1, 0.0], [0.0, 0.2, 0.9], [0.1, 2.0, 0.0]], dtype=np.float32)
    topics, sims = assign_to_centroids(centroids, 1, docs)
    assert list(topics) == [-1, 1, 0]
    topics, _ = assign_to_centroids(centroids, 0, docs)
    assert list(topics) == [0, 2, 1]
    np.testing.assert_allclose(sims, [0.9 / np.hypot(0.9, 0.1), 0.9 / np.hypot(0.2, 0.9), 2.0 / np.hypot(0.1, 2.0)],
                               rtol=1e-6)
