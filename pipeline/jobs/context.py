from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.util
import os
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any

from pipeline.config import Config
from pipeline.errors import UserError
from pipeline.sections import ScaleSettings
from pipeline.settings import typed
from pipeline.shards import Mapper, serial_map  # the mapper protocol (re-exported: jobs import it from here)

Progress = Callable[[str, int, int], None]  # (label, done, total)


def _no_progress(label: str, done: int, total: int) -> None:
    return None


Start = Callable[[Callable[[Any], Any], Any], Callable[[], Any]]
"""What :func:`apart` gives: ``start(fn, item)`` begins ``fn(item)`` away from this process
and returns a function that waits for its result."""


def largest_first(sizes: Sequence[int]) -> list[int]:
    """The indices of ``sizes`` from the largest size to the smallest (ties in index
    order): the order to hand shards out in, so that the last to finish are the quickest
    and the workers end together (a map hands out in order)."""
    return sorted(range(len(sizes)), key=lambda i: -sizes[i])


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


class WorkerStopped(UserError, RuntimeError):
    """A local worker process stopped without an answer (killed: most often out of memory)."""


def cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def exit_with_parent(stage: int, every_s: float = 1.0) -> None:
    """Worker initializer: a daemon thread that ends this worker process once the stage
    process that started it (pid ``stage``) is gone. A stage process killed outright
    (SIGKILL, the kernel's out-of-memory killer) cannot stop its workers, and a worker
    waiting on its queue then never learns of it: without this it would wait, holding its
    models in memory, for ever. A spawned worker's parent is the stage process; a worker
    forked by the forkserver (``scale.start_method``) is the forkserver's child, and the
    forkserver outlives the stage while any worker lives: so the worker watches both its
    own parent and the stage process itself (:func:`process_gone`)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(every_s)
            if os.getppid() != parent or process_gone(stage):
                os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def process_gone(pid: int) -> bool:
    """Whether process ``pid`` has ended: it no longer exists, or it is a zombie (ended,
    not yet waited for by its own parent)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # pragma: no cover - someone else's process: it exists
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rpartition(b")")[2].split()[0] == b"Z"
    except (OSError, IndexError):  # pragma: no cover - no /proc (not Linux), or it ended meanwhile
        return False


# What the forkserver imports once, before it forks any worker (``scale.start_method =
# "forkserver"``): the package's stages (every function a stage hands to its workers) and
# the libraries their workers import lazily (sentence-transformers with torch,
# transformers and scikit-learn; spaCy). A spawned worker imports them afresh: 5 s and
# more for each worker of each stage (docs/performance.md, thirty-fifth pass).
WORKER_PRELOAD = ("pipeline.jobs", "sentence_transformers", "spacy")


_SERVER = {"preload_set": False}  # worker_context set the forkserver's preload and its stop at exit


def worker_context(start_method: str) -> multiprocessing.context.BaseContext:
    """The multiprocessing context that starts a :class:`ProcessMap`'s workers.
    ``forkserver`` (where the platform has it, else ``spawn``) forks each worker from one
    server process per stage process that imported :data:`WORKER_PRELOAD` once: a worker
    starts in milliseconds, in the state of a fresh interpreter with those modules
    imported (never a copy of the stage process, whose other threads may hold locks).
    The server is started by the first map that needs workers and stopped when this
    process exits (:func:`stop_worker_server`). ``spawn`` starts each worker as a new
    interpreter that imports what its shards need. Where the server's socket cannot be
    made (:func:`forkserver_socket_fits`), ``spawn``, with a warning."""
    if start_method == "forkserver" and "forkserver" in multiprocessing.get_all_start_methods():
        if not forkserver_socket_fits():
            warnings.warn(f"scale.start_method = \"forkserver\": the temporary folder "
                          f"({multiprocessing.util.get_temp_dir()}) is too long a path for the "
                          "server's socket (AF_UNIX), so workers are spawned instead; set TMPDIR to "
                          "a shorter folder, or scale.start_method = \"spawn\"", RuntimeWarning, stacklevel=2)
            return multiprocessing.get_context("spawn")
        context = multiprocessing.get_context("forkserver")
        if not _SERVER["preload_set"]:
            context.set_forkserver_preload(list(WORKER_PRELOAD))
            atexit.register(stop_worker_server)
            _SERVER["preload_set"] = True
        return context
    return multiprocessing.get_context("spawn")


SOCKET_PATH_MAX = 103
"""The longest AF_UNIX socket path, in bytes, on every platform with a forkserver (Linux
allows 107, macOS 103)."""


def forkserver_socket_fits() -> bool:
    """Whether multiprocessing can bind the forkserver's socket: it names it
    ``listener-`` and 8 random characters in its temporary folder (under ``TMPDIR``, made
    at its first use and kept for the process's life), and a path longer than
    :data:`SOCKET_PATH_MAX` cannot be bound ("AF_UNIX path too long")."""
    path = os.path.join(multiprocessing.util.get_temp_dir(), "listener-xxxxxxxx")
    return len(os.fsencode(path)) <= SOCKET_PATH_MAX


def worker_server_pid() -> int | None:
    """The pid of this process's forkserver while it runs one, else None."""
    from multiprocessing import forkserver

    # the process's one server: multiprocessing has no public way to see or stop it
    return getattr(forkserver._forkserver, "_forkserver_pid", None)


def stop_worker_server() -> None:
    """Stop this process's forkserver, if it started one, and wait for it: it ends once
    its workers have ended, and its CPU time and theirs then count among this process's
    children (``RUSAGE_CHILDREN``). The next map that needs workers starts it again.
    Registered to run at exit."""
    from multiprocessing import forkserver

    if worker_server_pid() is not None:
        forkserver._forkserver._stop()


class ProcessMap:
    """A mapper that runs the shards in up to ``processes`` worker processes side by side
    (0: one per CPU core), for work that runs on one thread (spaCy's parse and tagger,
    dedupe's hashing, classify's batches).

    The results come back in order, as each is taken; at most two shards per process are
    handed out ahead of the one awaited. Fewer than two shards, or one process, run here
    (a worker costs time to start: it loads its models afresh, and when spawned it imports
    the package and its libraries too). The workers are started by ``start_method``
    (``scale.start_method``, :func:`worker_context`): forked from a forkserver, or spawned;
    never forked from the stage process itself, whose stages run in threads of a flow (a
    fork copies locks held by other threads). ``fn`` and the shards must pickle; an exception
    in a worker is raised here as it was raised there, and a worker that dies (out of memory)
    is a :class:`WorkerStopped`; a worker whose stage process is killed ends within a second
    (:func:`exit_with_parent`). Nothing of the stage is kept when that happens: the quotes
    and topics jobs write after the mapper has returned every shard, and dedupe and
    classify write inside the one transaction that the error rolls back. ``started``
    counts the worker processes its maps have handed shards to (a stage reports it)."""

    def __init__(self, processes: int, start_method: str) -> None:
        self.processes = processes if processes > 0 else cores()
        self.start_method = start_method
        self.started = 0

    def pool(self, processes: int) -> ProcessPoolExecutor:
        """``processes`` worker processes, started by ``start_method``, each ending with
        the stage process (:func:`exit_with_parent`)."""
        return ProcessPoolExecutor(processes, mp_context=worker_context(self.start_method),
                                   initializer=exit_with_parent, initargs=(os.getpid(),))

    def runs_here(self, n_items: int) -> bool:
        """Whether a map of ``n_items`` shards runs in this process (see the class)."""
        return self.processes < 2 or n_items < 2

    def __call__(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        source = iter(items)
        head = list(islice(source, 2))
        if self.runs_here(len(head)):
            for item in chain(head, source):
                yield fn(item)
            return
        pool = self.pool(self.processes)
        pending: deque = deque()
        submitted = 0
        try:
            for item in chain(head, source):
                pending.append(pool.submit(fn, item))
                submitted += 1
                if len(pending) >= 2 * self.processes:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except BrokenProcessPool as exc:
            raise worker_stopped(exc) from exc
        finally:
            self.started += min(self.processes, submitted)
            pool.shutdown(wait=True, cancel_futures=True)


def worker_stopped(exc: BaseException) -> WorkerStopped:
    """The error for a local worker process that stopped without an answer."""
    return WorkerStopped(
        f"a worker process stopped without an answer ({exc}); most often it ran out of memory: "
        "lower scale.processes (1 runs everything in the stage's own process) and run the stage again"
    )


@contextmanager
def apart(mapper: Mapper) -> Iterator[Start]:
    """A block in which ``start(fn, item)`` begins ``fn(item)`` away from this process at
    once and returns a function that waits for its result (raising what ``fn`` raised),
    for one piece of single-threaded work to run beside the stage's own. A
    :class:`ProcessMap` runs it in a worker process of its own, started as its shards'
    workers are (its map of a single item would run here); any other mapper (a Dask
    runner's) as a map of that one item, awaited in a thread. ``fn`` and ``item`` must
    pickle. On leaving the block, whatever is still running is awaited and its result
    dropped (the block is left early only by an error, which then goes on), so no worker
    outlives it."""
    pools: list[Executor] = []

    def start(fn: Callable[[Any], Any], item: Any) -> Callable[[], Any]:
        if isinstance(mapper, ProcessMap):
            pool: Executor = mapper.pool(1)
            pools.append(pool)
            future = pool.submit(fn, item)
            mapper.started += 1
        else:
            pool = ThreadPoolExecutor(1, thread_name_prefix="apart")
            pools.append(pool)
            future = pool.submit(lambda: next(iter(mapper(fn, [item]))))

        def wait() -> Any:
            try:
                return future.result()
            except BrokenProcessPool as exc:
                raise worker_stopped(exc) from exc

        return wait

    try:
        yield start
    finally:
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=True)


def shards_run_here(mapper: Any, n_items: int, shard_size: int) -> bool:
    """Whether ``mapper`` runs the shards of ``n_items`` items, ``shard_size`` a shard, in
    the stage's own process: a :class:`ProcessMap` that would not hand them to workers
    (``ProcessMap.runs_here``). Any other mapper (a Dask runner, a test's) runs them
    elsewhere."""
    return isinstance(mapper, ProcessMap) and mapper.runs_here(-(-n_items // shard_size))


def single_threaded_mapper(ctx: JobContext) -> Mapper:
    """The mapper for shards of single-threaded work: the run's own (a Dask cluster's) when
    it has one, else local worker processes (``scale.processes``)."""
    if ctx.mapper is not serial_map:
        return ctx.mapper
    scale = typed(ctx.config, ScaleSettings)
    return ProcessMap(scale.processes, scale.start_method)


# A stage job: read from the store, call the stage, write back; returns a small summary.
Job = Callable[[JobContext], dict]
