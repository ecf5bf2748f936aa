"""``[ingest]`` settings: field names are the TOML keys (``pipeline/defaults.toml``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


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

    @property
    def max_bytes(self) -> int:
        return int(self.max_file_mb * 2**20)
