"""Typed ``[classify]`` settings: field names are the TOML keys, no defaults in code
(``pipeline/defaults.toml`` is the one source); a missing or unknown key is a ConfigError."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.config import ConfigError
from pipeline.settings import check_memory_mb, settings_from


@dataclass(frozen=True)
class ClassifySettings:
    """Every key of ``[classify]`` (see docs/config.md)."""

    theme_model: str
    sentiment_model: str
    stance_model: str
    sentiment_default: str
    theme_threshold: float
    similarity_threshold: float
    seed_term_min_similarity: float
    phrase_attr: str
    stance_backend: str
    stance_min_confidence: float
    nli_model_dir: str
    nli_entailment_label: str
    nli_contradiction_label: str
    nli_batch_size: int
    nli_max_length: int
    sentences: bool
    min_chars: int
    tfidf_max_features: int
    regularisation: float
    context_weight: float
    cv_folds: int
    random_seed: int
    disabled_themes: tuple[str, ...]
    extra_themes: tuple[Any, ...]
    calibrate: bool
    stance_scope: str
    stance_focus_similarity: float
    stance_focus_top: int
    real_weight: float
    synthetic_coders: tuple[str, ...]
    theme_backend: str
    batch_documents: int
    duckdb_memory_mb: int
    lookup_batches: int
    themes: tuple[Any, ...]
    theme_thresholds: str
    class_bias: str
    theme_sentence_pooling: str

    def __post_init__(self) -> None:
        if self.batch_documents < 1:
            raise ConfigError("classify.batch_documents must be at least 1")
        if self.lookup_batches < 1:
            raise ConfigError("classify.lookup_batches must be at least 1")
        check_memory_mb("classify.duckdb_memory_mb", self.duckdb_memory_mb)


def classify_settings(section: Mapping[str, Any] | ClassifySettings) -> ClassifySettings:
    """``ClassifySettings`` of the config section (returned as is when already typed)."""
    if isinstance(section, ClassifySettings):
        return section
    return settings_from(ClassifySettings, section, "classify")
