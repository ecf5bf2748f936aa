"""``[search]`` settings: field names are the TOML keys (``pipeline/defaults.toml``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


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
