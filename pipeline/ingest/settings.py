"""``[ingest]`` settings: field names are the TOML keys (``pipeline/defaults.toml``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pipeline.settings import check_memory_mb


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
    stream_min_mb: float
    batch_documents: int
    batch_mb: float
    stream_duckdb_mb: int

    def __post_init__(self) -> None:
        check_memory_mb("ingest.stream_duckdb_mb", self.stream_duckdb_mb)

    @property
    def max_bytes(self) -> int:
        return int(self.max_file_mb * 2**20)

    def read_limits(self) -> dict:
        """``read_input``'s keywords from these settings (time zone, size cap, sniff bytes)."""
        return {"timezone": self.timezone, "max_bytes": self.max_bytes, "sniff_bytes": self.sniff_bytes}

    @property
    def stream_min_bytes(self) -> int:
        return int(self.stream_min_mb * 2**20)

    @property
    def stream_batch(self) -> tuple[int, int]:
        """(documents, bytes of text) held at a time when a streamed input is written."""
        return int(self.batch_documents), int(self.batch_mb * 2**20)
