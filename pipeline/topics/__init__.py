"""Topic modelling on precomputed embeddings: BERTopic with fixed seeds, spaCy lemma
terms, outlier reduction, readable labels, our representative quotes, NPMI coherence
and topic diversity, and a scikit-learn LDA baseline. No database code here."""

from pipeline.topics.labels import OUTLIER_LABEL, topic_label
from pipeline.topics.metrics import doc_term_sets, npmi_coherence, npmi_pair, topic_diversity
from pipeline.topics.model import (
    Clustering,
    LemmaShard,
    TopicFit,
    TopicsError,
    assign_to_centroids,
    centroids,
    cluster_embeddings,
    fit_topics,
    lda_metrics,
    lemmatize_shard,
    lemmatizer,
)
from pipeline.topics.settings import TopicSettings

__all__ = [
    "OUTLIER_LABEL", "Clustering", "LemmaShard", "TopicFit", "TopicSettings", "TopicsError", "assign_to_centroids", "centroids",
    "cluster_embeddings", "doc_term_sets", "fit_topics", "lda_metrics", "lemmatize_shard", "lemmatizer", "npmi_coherence", "npmi_pair", "topic_diversity",
    "topic_label",
]
