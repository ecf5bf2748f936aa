"""``[sync]`` settings: field names are the TOML keys (``pipeline/defaults.toml``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class SyncSettings:
    SECTION: ClassVar[str] = "sync"
    blogs: tuple[str, ...]
    format: str
    user_agent: str
    delay_seconds: float
    timeout_seconds: float
    max_retries: int
    backoff_base_seconds: float
    backoff_cap_seconds: float
    retry_after_max_seconds: float
    max_results: int
    max_pages: int
    raw_dir: str
    respect_robots: bool
