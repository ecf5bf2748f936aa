"""The shard mapper protocol, shared by the stage libraries that take a mapper
(``pipeline.clean.clean_frame``, ``pipeline.segment.segment_frame``) and the jobs that give
them one (``pipeline.jobs.context``: local worker processes; ``pipeline.flows.dask``: a
Dask cluster). Pure, stdlib only."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

# A shard mapper: ``mapper(fn, items)`` yields ``fn(item)`` for each item, in order;
# ``items`` may be a generator (it is read as the results are taken). The default runs
# them here, one at a time (lazily, so memory holds one shard and its result);
# ``ProcessMap`` runs them in local worker processes (the single-threaded stages' shards,
# ``single_threaded_mapper``); the Dask runner (``pipeline.flows.dask``) runs them on a
# cluster's workers. ``fn`` must be a pure, picklable function: workers never touch the
# database; the job that called the mapper writes what they return.
Mapper = Callable[[Callable[[Any], Any], Iterable[Any]], Iterator[Any]]


def serial_map(fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
    """Run ``fn`` over ``items`` in this process, in order."""
    for item in items:
        yield fn(item)


__all__ = ["Mapper", "serial_map"]
