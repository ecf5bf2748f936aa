"""The ``[topics]`` config section as a typed record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.config import ConfigError
from pipeline.settings import settings_from

OUTLIER_STRATEGIES = ("embeddings", "c-tf-idf", "distributions", "none")


CLUSTER_BACKENDS = ("auto", "cpu", "cuml")


@dataclass(frozen=True)
class TopicSettings:
    """Every knob of the topic model; documented in docs/config.md ([topics])."""

    seed: int
    min_doc_chars: int
    umap_n_neighbors: int
    umap_n_components: int
    umap_min_dist: float
    umap_metric: str
    hdbscan_min_cluster_size: int
    hdbscan_min_samples: int
    hdbscan_selection: str
    max_topic_share: float
    hdbscan_max_tries: int
    nr_topics: int
    top_n_words: int
    ctfidf_bm25: bool
    ctfidf_reduce_frequent: bool
    label_terms: int
    ngram_max: int
    min_df: int
    max_df: float
    keep_pos: tuple[str, ...]
    min_term_chars: int
    domain_stop_words: tuple[str, ...]
    outlier_strategy: str
    outlier_threshold: float
    representative_quotes: int
    quote_min_chars: int
    quote_max_chars: int
    quote_diversity: float
    npmi_top_n: int
    lda_baseline: bool
    lda_n_topics: int
    lda_max_iter: int
    lda_max_topics: int
    lda_max_docs: int
    cluster_backend: str
    exact_knn_max_docs: int

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "TopicSettings":
        """From ``config.section("topics")``; unknown or missing keys are errors."""
        settings = settings_from(cls, section, "topics")
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse values that cannot work, with a one-line reason."""
        if self.outlier_strategy not in OUTLIER_STRATEGIES:
            raise ConfigError(f"topics.outlier_strategy must be one of {', '.join(OUTLIER_STRATEGIES)}, "
                             f"got {self.outlier_strategy!r}")
        if self.hdbscan_selection not in ("eom", "leaf"):
            raise ConfigError(f"topics.hdbscan_selection must be 'eom' or 'leaf', got {self.hdbscan_selection!r}")
        if self.hdbscan_min_cluster_size < 2:
            raise ConfigError("topics.hdbscan_min_cluster_size must be at least 2")
        if not 0.0 < self.max_topic_share <= 1.0:
            raise ConfigError("topics.max_topic_share must be a share in (0, 1] (1 = no limit)")
        if self.hdbscan_max_tries < 1:
            raise ConfigError("topics.hdbscan_max_tries must be at least 1 (1 = one fit, no guard)")
        if self.umap_n_neighbors < 2 or self.umap_n_components < 1:
            raise ConfigError("topics.umap_n_neighbors must be >= 2 and topics.umap_n_components >= 1")
        if not 0.0 < self.max_df <= 1.0:
            raise ConfigError("topics.max_df must be a share in (0, 1]")
        if not 0.0 <= self.quote_diversity <= 1.0:
            raise ConfigError("topics.quote_diversity must be in [0, 1]")
        if self.cluster_backend not in CLUSTER_BACKENDS:
            raise ConfigError(f"topics.cluster_backend must be one of {', '.join(CLUSTER_BACKENDS)}, "
                              f"got {self.cluster_backend!r}")
        if self.exact_knn_max_docs < 0:
            raise ConfigError("topics.exact_knn_max_docs must be 0 (always pynndescent) or more")
        if self.lda_max_topics < 1:
            raise ConfigError("topics.lda_max_topics must be at least 1")
        if self.lda_max_docs < 0:
            raise ConfigError("topics.lda_max_docs must be 0 (every document) or a number of documents")
        if self.ngram_max < 1 or self.top_n_words < 1 or self.label_terms < 1:
            raise ConfigError("topics.ngram_max, top_n_words and label_terms must be at least 1")

    def min_documents(self) -> int:
        """The fewest documents a fit is attempted on."""
        return max(self.umap_n_neighbors + 1, 2 * self.hdbscan_min_cluster_size, self.umap_n_components + 2)
