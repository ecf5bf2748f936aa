"""``[search]`` settings: field names are the TOML keys (``pipeline/defaults.toml``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from pipeline.config import ConfigError

STOPWORD_LISTS = ("english", "none")
"""``search.fts_stopwords``: DuckDB fts's English list, or none."""


@dataclass(frozen=True)
class SearchSettings:
    SECTION: ClassVar[str] = "search"
    fts_stemmer: str
    fts_stopwords: str
    limit: int
    rrf_k: int
    hybrid_candidates: int
    snippet_chars: int
    kwic_window: int

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z_]+", self.fts_stemmer):
            raise ConfigError(f"search.fts_stemmer must be a plain name such as 'porter', got {self.fts_stemmer!r}")
        if self.fts_stopwords not in STOPWORD_LISTS:
            raise ConfigError(f"search.fts_stopwords must be one of {', '.join(STOPWORD_LISTS)}, "
                              f"got {self.fts_stopwords!r}")
