"""Running the heavy stages' shards on Dask, through prefect-dask's ``DaskTaskRunner``.

With ``[scale] runner = "dask"`` a run (the main flow, or one stage through
``Corpus.run_stage``) starts (or connects to) a Dask cluster when a stage first hands out a
shard, and stops it at the run's end; each stage job gets a mapper (``JobContext.mapper``)
that submits its shards to that cluster through the runner's Dask client and yields their
results in order. Workers run pure functions (hash a chunk of texts, quote a shard of
documents, encode a shard of texts) and never open the database: the stage job in the
flow's process writes what they return, so DuckDB keeps its one writer. prefect-dask is an
optional extra (``probation-corpus[dask]``).
"""

from __future__ import annotations

import importlib.util
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from itertools import chain
from typing import Any

from pipeline.config import Config, ConfigError
from pipeline.jobs.context import Mapper, serial_map
from pipeline.sections import RUNNERS, ScaleSettings
from pipeline.settings import typed

_ACTIVE: dict[str, "_RunCluster"] = {}  # run_id -> its cluster, started on first use
_LOCK = threading.Lock()


def runner_settings(config: Config) -> ScaleSettings:
    """The ``[scale]`` section, checked (``ScaleSettings``)."""
    return typed(config, ScaleSettings)


NEEDS_PREFECT_DASK = "scale.runner = 'dask' needs prefect-dask: pip install 'probation-corpus[dask]'"


def task_runner(settings: ScaleSettings):
    """A ``DaskTaskRunner`` for the settings: the cluster at ``address``, or a local
    cluster of ``n_workers`` single-threaded worker processes."""
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:
        raise ConfigError(NEEDS_PREFECT_DASK) from exc
    if settings.address:
        return DaskTaskRunner(address=settings.address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": settings.n_workers, "threads_per_worker": 1,
                                          "processes": True, "dashboard_address": None})


class _RunCluster:
    """A run's Dask task runner, made and started only when a stage first hands out a
    shard: a stage that hands out none (ingest, index, any stage with nothing to do) never
    imports prefect-dask (about 2 s) nor starts or connects to a cluster. Stopped when
    the run's block ends (``dask_for_run``)."""

    def __init__(self, make: Callable[[], Any]):
        self._make = make
        self._runner: Any = None
        self._stack = ExitStack()
        self._lock = threading.Lock()

    def client(self) -> Any:
        """The runner's Dask client (the runner made and entered on the first call)."""
        with self._lock:
            if self._runner is None:
                self._runner = self._stack.enter_context(self._make())
            return self._runner.client

    def __enter__(self) -> "_RunCluster":
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._stack.__exit__(*exc)


@contextmanager
def dask_for_run(run_id: str, config: Config) -> Iterator[bool]:
    """For the block, ``run_id``'s Dask task runner if ``scale.runner`` is ``dask``
    (yields True; the runner is made and started when a stage first hands out a shard),
    else nothing (yields False). Without prefect-dask installed, a ConfigError at once."""
    settings = runner_settings(config)
    if settings.runner != "dask":
        yield False
        return
    if importlib.util.find_spec("prefect_dask") is None:
        raise ConfigError(NEEDS_PREFECT_DASK)
    with _RunCluster(lambda: task_runner(settings)) as cluster:
        with _LOCK:
            _ACTIVE[run_id] = cluster
        try:
            yield True
        finally:
            with _LOCK:
                _ACTIVE.pop(run_id, None)


def mapper_for(run_id: str):
    """The shard mapper of a run: on its Dask cluster if one is active, else ``None``."""
    with _LOCK:
        cluster = _ACTIVE.get(run_id)
    if cluster is None:
        return None

    def dask_map(fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        # Plain Dask functions through the runner's client (not Prefect task runs): a
        # worker then needs no Prefect API (on a busy machine, each worker starting its
        # own ephemeral API server timed out), only this package and its models. At most
        # ``window`` shards are sent ahead of the one awaited, so shards made lazily
        # (classify's carry their vectors) are never all held at once. ``fn`` (classify's
        # carries the models, megabytes) is sent to every worker once, not with each shard.
        source = iter(items)
        first = next(source, _NOTHING)
        if first is _NOTHING:
            return
        client = cluster.client()
        window = max(2, 2 * _workers(client))
        shared = client.scatter(fn, broadcast=True, hash=False)
        pending: deque = deque()
        try:
            for item in chain((first,), source):
                pending.append(client.submit(_call, shared, item, pure=False))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            client.cancel([*pending, shared])

    return dask_map


def run_mapper(run_id: str) -> Mapper:
    """The mapper a stage job of ``run_id`` gets: its Dask cluster's when one is active
    (``dask_for_run``), else the default runner's (``serial_map``, in the job's process)."""
    return mapper_for(run_id) or serial_map


_NOTHING = object()


def _call(fn: Callable[[Any], Any], item: Any) -> Any:
    """``fn(item)`` on a worker (``fn`` arrives as the scattered function's data)."""
    return fn(item)


def _workers(client: Any) -> int:
    """How many workers the cluster has now (at least 1)."""
    return max(1, len(client.scheduler_info().get("workers", {})))


__all__ = ["RUNNERS", "dask_for_run", "mapper_for", "run_mapper", "runner_settings", "task_runner"]
