"""``[ingest]`` settings: field names are the TOML keys (``pipeline/defaults.toml``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pipeline.settings import settings_from


@dataclass(frozen=True)
class IngestSettings:
    SECTION: ClassVar[str] = "ingest"
    timezone: str
    max_file_mb: float
    sniff_bytes: int
    quarantine_raw_max_bytes: int
    skip_hidden: bool
    ignore_names: tuple[str, ...]
    follow_symlinks: bool

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "IngestSettings":
        return settings_from(cls, section, "ingest")

    @property
    def max_bytes(self) -> int:
        return int(self.max_file_mb * 2**20)
