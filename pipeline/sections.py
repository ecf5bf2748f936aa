"""Typed settings of the config sections that belong to the shell, not to one stage:
``[paths]``, ``[schedule]``, ``[store]``, ``[flows]``, ``[progress]``, ``[serve]``,
``[scale]`` and ``[prune]``. Field names are the TOML keys of ``pipeline/defaults.toml`` (their one
source); read them with ``pipeline.settings.typed(config, PathsSettings)``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pipeline.config import ConfigError
from pipeline.settings import check_memory_mb

RUNNERS = ("default", "dask")
START_METHODS = ("forkserver", "spawn")  # scale.start_method (pipeline.jobs.context.worker_context)


@dataclass(frozen=True)
class PathsSettings:
    SECTION: ClassVar[str] = "paths"
    db: str
    sample_corpus: str
    models_dir: str
    reports_dir: str
    compiled_dir: str


@dataclass(frozen=True)
class ScheduleSettings:
    SECTION: ClassVar[str] = "schedule"
    sync_paths: tuple[str, ...]
    sync_stages: tuple[str, ...]
    after_refit: tuple[str, ...]
    compact_after_refit: bool


@dataclass(frozen=True)
class StoreSettings:
    SECTION: ClassVar[str] = "store"
    lock_wait_s: float
    reader_retry_s: float
    compact_memory_mb: int

    def __post_init__(self) -> None:
        check_memory_mb("store.compact_memory_mb", self.compact_memory_mb)


@dataclass(frozen=True)
class FlowsSettings:
    SECTION: ClassVar[str] = "flows"
    local_startup_timeout_s: float


@dataclass(frozen=True)
class ProgressSettings:
    SECTION: ClassVar[str] = "progress"
    log_interval: float


@dataclass(frozen=True)
class ServeSettings:
    SECTION: ClassVar[str] = "serve"
    host: str
    port: int
    page_size: int
    sql_max_rows: int


@dataclass(frozen=True)
class ScaleSettings:
    SECTION: ClassVar[str] = "scale"
    runner: str
    address: str
    n_workers: int
    shard_size: int
    quotes_shard_size: int
    parse_batch_tokens: int
    processes: int
    start_method: str

    def __post_init__(self) -> None:
        if self.runner not in RUNNERS:
            raise ConfigError(f"scale.runner must be one of {', '.join(RUNNERS)}, got {self.runner!r}")
        if min(self.n_workers, self.shard_size, self.quotes_shard_size, self.parse_batch_tokens) < 1:
            raise ConfigError("scale.n_workers, scale.shard_size, scale.quotes_shard_size and scale.parse_batch_tokens "
                              "must be at least 1")
        if self.processes < 0:
            raise ConfigError(f"scale.processes must be 0 (one per CPU core) or a number of processes, got {self.processes!r}")
        if self.start_method not in START_METHODS:
            raise ConfigError(f"scale.start_method must be one of {', '.join(START_METHODS)}, got {self.start_method!r}")


@dataclass(frozen=True)
class PruneSettings:
    SECTION: ClassVar[str] = "prune"
    keep_classify_runs: int
    keep_topic_models: int

    def __post_init__(self) -> None:
        if self.keep_classify_runs < 1 or self.keep_topic_models < 1:
            raise ConfigError("prune.keep_classify_runs and prune.keep_topic_models must be at least 1 "
                              "(the latest classify run and the current topic model are always kept)")
