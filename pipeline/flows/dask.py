"""Running the heavy stages' shards on Dask, through prefect-dask's ``DaskTaskRunner``.

With ``[scale] runner = "dask"`` the main flow starts (or connects to) a Dask cluster for
the run; each stage job gets a mapper (``JobContext.mapper``) that submits its shards to
that cluster through the runner's Dask client and yields their results in order. Workers
run pure functions (hash a chunk of texts, quote a shard of documents, encode a shard of
texts) and never open the database: the stage job in the flow's process writes what they
return, so DuckDB keeps its one writer. prefect-dask is an optional extra
(``probation-corpus[dask]``).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from pipeline.config import Config, ConfigError
from pipeline.jobs.context import Mapper, serial_map
from pipeline.sections import RUNNERS, ScaleSettings
from pipeline.settings import typed

_ACTIVE: dict[str, Any] = {}  # run_id -> started DaskTaskRunner
_LOCK = threading.Lock()


def runner_settings(config: Config) -> ScaleSettings:
    """The ``[scale]`` section, checked (``ScaleSettings``)."""
    return typed(config, ScaleSettings)


def task_runner(settings: ScaleSettings):
    """A ``DaskTaskRunner`` for the settings: the cluster at ``address``, or a local
    cluster of ``n_workers`` single-threaded worker processes."""
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:
        raise ConfigError("scale.runner = 'dask' needs prefect-dask: pip install 'probation-corpus[dask]'") from exc
    if settings.address:
        return DaskTaskRunner(address=settings.address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": settings.n_workers, "threads_per_worker": 1,
                                          "processes": True, "dashboard_address": None})


@contextmanager
def dask_for_run(run_id: str, config: Config) -> Iterator[bool]:
    """For the block, a started Dask task runner for ``run_id`` if ``scale.runner`` is
    ``dask`` (yields True), else nothing (yields False)."""
    settings = runner_settings(config)
    if settings.runner != "dask":
        yield False
        return
    runner = task_runner(settings)
    with runner:
        with _LOCK:
            _ACTIVE[run_id] = runner
        try:
            yield True
        finally:
            with _LOCK:
                _ACTIVE.pop(run_id, None)


def mapper_for(run_id: str):
    """The shard mapper of a run: on its Dask cluster if one is active, else ``None``."""
    with _LOCK:
        runner = _ACTIVE.get(run_id)
    if runner is None:
        return None

    def dask_map(fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        # Plain Dask functions through the runner's client (not Prefect task runs): a
        # worker then needs no Prefect API (on a busy machine, each worker starting its
        # own ephemeral API server timed out), only this package and its models. At most
        # ``window`` shards are sent ahead of the one awaited, so shards made lazily
        # (classify's carry their vectors) are never all held at once. ``fn`` (classify's
        # carries the models, megabytes) is sent to every worker once, not with each shard.
        client = runner.client
        window = max(2, 2 * _workers(client))
        shared = client.scatter(fn, broadcast=True, hash=False)
        pending: deque = deque()
        source = iter(items)
        try:
            for item in source:
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


def _call(fn: Callable[[Any], Any], item: Any) -> Any:
    """``fn(item)`` on a worker (``fn`` arrives as the scattered function's data)."""
    return fn(item)


def _workers(client: Any) -> int:
    """How many workers the cluster has now (at least 1)."""
    return max(1, len(client.scheduler_info().get("workers", {})))


__all__ = ["RUNNERS", "dask_for_run", "mapper_for", "run_mapper", "runner_settings", "task_runner"]
