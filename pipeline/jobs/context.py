from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pipeline.config import Config

Progress = Callable[[str, int, int], None]  # (label, done, total)


def _no_progress(label: str, done: int, total: int) -> None:
    return None


# A shard mapper: ``mapper(fn, items)`` yields ``fn(item)`` for each item, in order;
# ``items`` may be a generator (it is read as the results are taken). The default runs
# them here, one at a time (lazily, so memory holds one shard and its result);
# the Dask runner (``pipeline.flows.dask``) runs them on a cluster's workers. ``fn``
# must be a pure, picklable function: workers never touch the database; the job that
# called the mapper writes what they return.
Mapper = Callable[[Callable[[Any], Any], Iterable[Any]], Iterator[Any]]


def serial_map(fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
    """Run ``fn`` over ``items`` in this process, in order."""
    for item in items:
        yield fn(item)


@dataclass(frozen=True)
class JobContext:
    """Everything a stage job needs. Plain values only (paths, not connections)."""

    db_path: str
    config: Config
    run_id: str
    paths: tuple[str, ...] = ()
    options: dict = field(default_factory=dict)
    progress: Progress = _no_progress
    mapper: Mapper = serial_map


# A stage job: read from the store, call the stage, write back; returns a small summary.
Job = Callable[[JobContext], dict]
