"""``[report]`` settings: field names are the TOML keys (``pipeline/defaults.toml``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class ReportSettings:
    SECTION: ClassVar[str] = "report"
    out: str
    in_flow: bool
    title: str
    time_bin: str
    top_topics: int
    quotes_per_theme: int
    quote_min_chars: int
    quote_max_chars: int
    runs_shown: int
