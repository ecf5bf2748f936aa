"""The shard mapper protocol, shared by the stage libraries that take a mapper
(``pipeline.clean.clean_frame``, ``pipeline.segment.segment_frame``) and the jobs that give
them one (``pipeline.jobs.context``: local worker processes; ``pipeline.flows.dask``: a
Dask cluster); and how a sequence is cut into shards, batches or chunks (:func:`spans`,
:func:`slices`), the one definition every stage uses. Pure, stdlib only."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

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


def spans(n: int, size: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of the consecutive slices of at most ``size`` items that cover
    ``n`` items, in order (none for ``n == 0``; a ``size`` under 1 counts as 1)."""
    size = max(1, int(size))
    for start in range(0, n, size):
        yield start, min(start + size, n)


def slices(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size`` (each of at least one item; a
    ``size`` under 1 counts as 1), lazily, in order: ``items[start:stop]`` for each of
    :func:`spans`, so a list gives lists and a string strings."""
    for start, stop in spans(len(items), size):
        yield items[start:stop]


__all__ = ["Mapper", "serial_map", "slices", "spans"]
