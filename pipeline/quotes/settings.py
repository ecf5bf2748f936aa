"""``[quotes]`` settings: field names are the TOML keys (``pipeline/defaults.toml``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class QuoteSettings:
    SECTION: ClassVar[str] = "quotes"
    min_words: int
    sentences: str
    min_confidence: float
    citable_only: bool
    pseudonym_key_file: str
