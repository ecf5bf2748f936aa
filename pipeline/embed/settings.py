"""Typed ``[embed]`` settings: field names are the TOML keys, no defaults in code
(``pipeline/defaults.toml`` is the one source); a missing or unknown key is a ConfigError."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.embed.chunking import chunking_key
from pipeline.embed.encode import check_unit
from pipeline.embed.registry import check_precision, resolve_precision
from pipeline.settings import check_memory_mb, settings_from


@dataclass(frozen=True)
class EmbedSettings:
    """Every key of ``[embed]`` (see docs/config.md)."""

    model: str
    device: str
    batch_size: int
    chunk_tokens: int
    chunk_overlap: int
    on_model_change: str
    cache_dir: str
    cuda_batch_size: int
    cuda_fp16: bool
    cpu_precision: str
    unit: str
    batch_tokens: int
    duckdb_memory_mb: int

    def precision(self, device: str, flags: Collection[str]) -> str:
        """The precision the model runs in on the resolved ``device``, this processor's
        ``flags`` given (``pipeline.embed.registry.cpu_flags``): see ``resolve_precision``."""
        return resolve_precision(device, self.cuda_fp16, self.cpu_precision, flags)

    @property
    def chunking(self) -> str:
        """The chunking key stored with each vector."""
        return chunking_key(self.chunk_tokens, self.chunk_overlap, self.unit)


def embed_settings(section: Mapping[str, Any]) -> EmbedSettings:
    s = settings_from(EmbedSettings, section, "embed")
    check_unit(s.unit)
    check_precision(s.cpu_precision)
    check_memory_mb("embed.duckdb_memory_mb", s.duckdb_memory_mb)
    return s
