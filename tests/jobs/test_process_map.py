"""Local worker processes for shards of single-threaded work (``scale.processes``): the
same results in the same order as in process, errors raised as they were raised, a dead
worker a clear error, and the quotes stage's rows unchanged by them; whether the workers
are forked by the forkserver or spawned (``scale.start_method``)."""

from __future__ import annotations

import os
import resource
import signal
import sys
import time

import psutil
import pytest

from benchmarks.generate import generate, write_jsonl
from pipeline.api import Corpus
from pipeline.config import ConfigError, load_config
from pipeline.jobs.context import (WORKER_PRELOAD, JobContext, ProcessMap, WorkerStopped, apart, cores, process_gone,
                                   serial_map,
                                   shards_run_here, single_threaded_mapper, stop_worker_server,
                                   worker_server_pid)
from pipeline.sections import START_METHODS, ScaleSettings
from pipeline.settings import typed
from pipeline.store import connect


def _is_worker(cmdline: str) -> bool:
    return "spawn_main" in cmdline or "multiprocessing.forkserver" in cmdline


def _workers() -> list:
    """This process's worker processes still alive, spawned or forked by its forkserver
    (multiprocessing's resource tracker, and the forkserver itself, which live as long as
    this process, are not workers)."""
    return [c for c in psutil.Process().children(recursive=True)
            if c.pid != worker_server_pid() and _is_worker(" ".join(c.cmdline())) and c.status() != psutil.STATUS_ZOMBIE]


def pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def fails_on_three(x: int) -> int:
    if x == 3:
        raise ValueError(f"shard {x} is bad")
    return x


def dies_on_two(x: int) -> int:
    if x == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return x


@pytest.mark.parametrize("start_method", START_METHODS)
def test_shards_run_in_worker_processes_and_come_back_in_order(start_method):
    mapper = ProcessMap(2, start_method)
    got = list(mapper(pid_and_square, iter(range(9))))  # a generator, as the stages hand them out
    assert mapper.started == 2
    assert [sq for _, sq in got] == [x * x for x in range(9)]
    pids = {pid for pid, _ in got}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert not _workers()  # the workers are gone when the map ends


def test_one_shard_or_one_process_runs_here():
    mapper = ProcessMap(2, "forkserver")
    assert list(mapper(pid_and_square, [5])) == [(os.getpid(), 25)] and mapper.started == 0
    assert list(ProcessMap(1, "forkserver")(pid_and_square, range(3))) == [(os.getpid(), x * x) for x in range(3)]
    assert list(ProcessMap(2, "spawn")(pid_and_square, [])) == []


def test_shards_run_here_counts_the_shards_the_items_make():
    two = ProcessMap(2, "forkserver")
    assert shards_run_here(two, 0, 10) and shards_run_here(two, 10, 10)  # no shard, one shard
    assert not shards_run_here(two, 11, 10)  # two shards: workers
    assert shards_run_here(ProcessMap(1, "forkserver"), 1000, 10)  # one process
    assert not shards_run_here(serial_map, 1, 10)  # another mapper runs them elsewhere


@pytest.mark.parametrize("start_method", START_METHODS)
def test_an_error_in_a_worker_is_raised_as_it_was_and_the_pool_closes(start_method):
    with pytest.raises(ValueError, match="shard 3 is bad"):
        list(ProcessMap(2, start_method)(fails_on_three, range(6)))
    assert not _workers()


@pytest.mark.parametrize("start_method", START_METHODS)
def test_a_worker_that_dies_is_a_clear_error(start_method):
    with pytest.raises(WorkerStopped, match=r"worker process stopped without an answer.*lower scale\.processes"):
        list(ProcessMap(2, start_method)(dies_on_two, range(6)))
    assert not _workers()


@pytest.mark.parametrize("start_method", START_METHODS)
def test_a_map_left_half_way_stops_its_workers(start_method):
    results = ProcessMap(2, start_method)(pid_and_square, range(20))
    assert next(results)[1] == 0
    assert _workers()  # running now
    results.close()
    assert not _workers()


def sleep_then_touch(path: str) -> None:
    time.sleep(2.0)
    open(path, "w").close()


def pid_once_there(path: str) -> tuple[int, bool]:
    """This process's pid, and whether ``path`` appeared within a minute."""
    ends = time.monotonic() + 60
    while not os.path.exists(path) and time.monotonic() < ends:
        time.sleep(0.01)
    return os.getpid(), os.path.exists(path)


@pytest.mark.parametrize("start_method", START_METHODS)
def test_apart_runs_one_piece_in_a_worker_of_its_own_beside_this_process(start_method, tmp_path):
    """``apart``'s ``start`` hands a single item to a worker process at once (a map of one
    item would run here) and returns without waiting for it: both pieces below wait for a
    file this process writes only after starting them. The result, or the error, comes
    back when asked for."""
    mapper = ProcessMap(2, start_method)
    flag = str(tmp_path / "go")
    with apart(mapper) as start:
        wait_a, wait_b = start(pid_once_there, flag), start(pid_once_there, flag)
        failed = start(fails_on_three, 3)
        open(flag, "w").close()
        (pid_a, saw_a), (pid_b, saw_b) = wait_a(), wait_b()
        with pytest.raises(ValueError, match="shard 3 is bad"):
            failed()
    assert saw_a and saw_b
    assert os.getpid() not in (pid_a, pid_b) and pid_a != pid_b and mapper.started == 3
    assert not _workers()


def test_apart_waits_on_leaving_for_work_never_asked_for_and_a_dead_worker_is_a_clear_error(tmp_path):
    done = tmp_path / "done"
    with apart(ProcessMap(2, "forkserver")) as start:
        start(sleep_then_touch, str(done))  # its result is never asked for: awaited on leaving
        dead = start(dies_on_two, 2)
        with pytest.raises(WorkerStopped, match="worker process stopped without an answer"):
            dead()
    assert done.exists()  # finished, not cut short
    assert not _workers()


def test_apart_hands_other_mappers_a_map_of_one_item():
    maps: list[list] = []

    def elsewhere(fn, items):
        maps.append(items := list(items))
        return (fn(item) for item in items)

    with apart(elsewhere) as start:
        assert start(pid_and_square, 7)() == (os.getpid(), 49)  # this test's mapper runs it here
    assert maps == [[7]]


def test_processes_setting():
    scale = typed(load_config(), ScaleSettings)
    assert (scale.processes, scale.start_method) == (2, "forkserver")  # pipeline/defaults.toml
    with pytest.raises(ConfigError, match=r"scale\.processes must be 0 \(one per CPU core\)"):
        typed(load_config(overrides={"scale": {"processes": -1}}), ScaleSettings)
    with pytest.raises(ConfigError, match=r"scale\.start_method must be one of forkserver, spawn, got 'fork'"):
        typed(load_config(overrides={"scale": {"start_method": "fork"}}), ScaleSettings)
    ctx = JobContext("unused.duckdb", load_config(overrides={"scale": {"processes": 3, "start_method": "spawn"}}), "run")
    mapper = single_threaded_mapper(ctx)
    assert isinstance(mapper, ProcessMap) and (mapper.processes, mapper.start_method) == (3, "spawn")
    assert cores() >= 1
    ctx = JobContext("unused.duckdb", load_config(overrides={"scale": {"processes": 0}}), "run")
    assert single_threaded_mapper(ctx) is not serial_map  # local worker processes, one per core

    def dask_like(fn, items):
        yield from map(fn, items)

    # a run with a Dask cluster hands its shards to the cluster, not to local workers
    assert single_threaded_mapper(JobContext("unused.duckdb", load_config(), "run", mapper=dask_like)) is dask_like


def _quote_rows(db: str):
    conn = connect(db, read_only=True)
    try:
        return conn.execute("SELECT doc_id, input_key, quote, pieces::VARCHAR, n_words, reason, names_flagged::VARCHAR, "
                            "first_sentence FROM quote_docs ORDER BY doc_id").fetchall()
    finally:
        conn.close()


def _dedupe_rows(db: str) -> dict[str, list]:
    conn = connect(db, read_only=True)
    try:
        return {t: conn.execute(f"SELECT {cols} FROM {t} ORDER BY ALL").fetchall() for t, cols in (
            ("dedupe_signatures", "doc_id, clean_md5, n_tokens, signature"), ("shingle_index", "*"),
            ("dedupe_blocks", "*"), ("dedupe_spans", "*"), ("dedupe_coverage", "*"),
            ("duplicate_rows", "doc_id, canonical_id, relation, similarity, method"))}
    finally:
        conn.close()


def test_dedupe_and_quotes_store_the_same_rows_from_worker_processes(tmp_path):
    import shutil

    paths = [str(p) for p in write_jsonl(generate(90, seed=11), tmp_path / "corpus")]
    here, workers = str(tmp_path / "here.duckdb"), str(tmp_path / "workers.duckdb")
    for stage in ("ingest", "clean"):
        Corpus(here).run_stage(stage, paths if stage == "ingest" else ())
    shutil.copyfile(here, workers)
    summary: dict[str, dict] = {here: {}, workers: {}}
    for db, n in ((here, 1), (workers, 2)):
        corpus = Corpus(db, overrides={"scale": {"quotes_shard_size": 25, "processes": n}, "dedupe": {"chunk_size": 30}})
        for stage in ("dedupe", "segment", "quotes"):
            summary[db][stage] = corpus.run_stage(stage)
    for stage in ("dedupe", "quotes"):  # three and four shards
        assert (summary[here][stage]["worker_processes"], summary[workers][stage]["worker_processes"]) == (0, 2)
    assert summary[here]["dedupe"]["hashed"] == summary[workers]["dedupe"]["hashed"] >= 90
    assert summary[here]["quotes"]["built"] == summary[workers]["quotes"]["built"] >= 90
    rows = _dedupe_rows(here)
    assert rows == _dedupe_rows(workers)
    assert len(rows["dedupe_signatures"]) >= 90 and rows["shingle_index"] and rows["duplicate_rows"], \
        {t: len(r) for t, r in rows.items()}
    assert _quote_rows(here) == _quote_rows(workers)


KILLED_STAGE = """
import sys, time
from pipeline.jobs.context import ProcessMap

def slow(x):
    time.sleep(120)
    return x

if __name__ == "__main__":
    for _ in ProcessMap(2, sys.argv[1])(slow, range(4)):
        pass
"""


@pytest.mark.parametrize("start_method", START_METHODS)
def test_workers_end_when_their_stage_process_is_killed(tmp_path, start_method):
    """A stage process killed outright (SIGKILL, as the out-of-memory killer does) cannot
    stop its workers: they end on their own within seconds, instead of waiting on their
    queue, with their models in memory, for ever. A forked worker's parent is the
    forkserver, which outlives the stage while its workers live: they watch the stage
    process itself, and the forkserver ends after them."""
    import subprocess
    from pathlib import Path

    script = tmp_path / "stage.py"
    script.write_text(KILLED_STAGE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, str(script), start_method], env=env, cwd=tmp_path)
    workers: list = []
    servers: list = []
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2 and time.monotonic() < deadline:
            assert proc.poll() is None
            kids = [c for c in psutil.Process(proc.pid).children(recursive=True) if _is_worker(" ".join(c.cmdline()))]
            servers = [c for c in kids if c.ppid() == proc.pid and "multiprocessing.forkserver" in " ".join(c.cmdline())]
            workers = [c for c in kids if c not in servers]
            time.sleep(0.2)
        assert len(workers) == 2, "the stage did not start its two workers"
        assert len(servers) == (start_method == "forkserver")
        assert all(w.ppid() == (servers[0].pid if servers else proc.pid) for w in workers)
        time.sleep(1.0)  # the workers are running their shards
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    gone, alive = psutil.wait_procs(workers + servers, timeout=15)
    for p in alive:  # do not leave them behind when the test fails
        p.kill()
    assert not alive, f"{len(alive)} worker(s) or forkserver outlived their killed stage process"


def loaded_and_parent(_: int) -> tuple[bool, bool, int]:
    return "sentence_transformers" in sys.modules, "pipeline.jobs" in sys.modules, os.getppid()


def test_forked_workers_start_with_the_stages_and_their_libraries_imported():
    """Forkserver workers are forked from one server per process that imported
    WORKER_PRELOAD once; it serves map after map, and a spawned worker imports only what
    its function needs."""
    first = list(ProcessMap(2, "forkserver")(loaded_and_parent, range(4)))
    server = worker_server_pid()
    assert server is not None and {p for _, _, p in first} == {server}
    assert all(st and jobs for st, jobs, _ in first), first
    assert set(WORKER_PRELOAD) >= {"pipeline.jobs", "sentence_transformers"}
    again = list(ProcessMap(2, "forkserver")(loaded_and_parent, range(4)))
    assert {p for _, _, p in again} == {server} and worker_server_pid() == server  # the same server
    spawned = list(ProcessMap(2, "spawn")(loaded_and_parent, range(4)))
    assert {p for _, _, p in spawned} == {os.getpid()}
    assert not any(st for st, _, _ in spawned)  # a fresh interpreter: only what the function's module imports


def burn(seconds: float) -> float:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return seconds


def test_stopping_the_forkserver_counts_its_workers_cpu_as_this_process_children():
    """Forked workers are the forkserver's children: their CPU time reaches this process's
    RUSAGE_CHILDREN only once the server has been stopped and waited for, which
    stop_worker_server does (and does at exit); a later map starts a new server."""
    def children_cpu() -> float:
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ru.ru_utime + ru.ru_stime

    list(ProcessMap(2, "forkserver")(burn, [0.01] * 2))  # the server runs
    stop_worker_server()
    before = children_cpu()
    assert list(ProcessMap(2, "forkserver")(burn, [0.4] * 4)) == [0.4] * 4
    server = worker_server_pid()
    assert server is not None and children_cpu() - before < 0.4  # not counted yet
    stop_worker_server()
    assert worker_server_pid() is None and not psutil.pid_exists(server)
    assert children_cpu() - before >= 1.5  # the four shards' 1.6 CPU-s (and the new server's preload)
    stop_worker_server()  # nothing to stop: no error
    assert list(ProcessMap(2, "forkserver")(pid_and_square, range(3)))[2][1] == 4 and worker_server_pid() not in (None, server)


def test_process_gone_sees_ended_and_zombie_processes():
    import subprocess

    assert not process_gone(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process_gone(child.pid)  # ended, not yet waited for
    child.wait()
    assert process_gone(child.pid)  # gone


def test_a_temporary_folder_too_long_for_the_forkservers_socket_spawns_with_a_warning(monkeypatch):
    """multiprocessing binds the forkserver's socket in its temporary folder; past the
    AF_UNIX limit it cannot, and the workers are spawned instead, with a warning that says
    why and what to change."""
    import multiprocessing.util

    from pipeline.jobs.context import SOCKET_PATH_MAX, forkserver_socket_fits, worker_context

    assert forkserver_socket_fits()  # this machine's own folder
    assert worker_context("forkserver").get_start_method() == "forkserver"
    monkeypatch.setattr(multiprocessing.util, "get_temp_dir", lambda: "/tmp/" + "x" * (SOCKET_PATH_MAX - 20))
    assert not forkserver_socket_fits()
    with pytest.warns(RuntimeWarning, match="too long a path for the server's socket .*TMPDIR"):
        assert worker_context("forkserver").get_start_method() == "spawn"
    # a socket at the longest path allowed binds on this platform
    import socket
    import tempfile

    with tempfile.TemporaryDirectory(dir="/tmp") as d, socket.socket(socket.AF_UNIX) as sock:
        path = os.path.join(d, "s" * (SOCKET_PATH_MAX - len(d) - 1))
        assert len(os.fsencode(path)) == SOCKET_PATH_MAX
        sock.bind(path)


def test_largest_first_orders_by_size_keeping_ties_in_order():
    from pipeline.jobs.context import largest_first

    assert largest_first([3, 9, 3, 1, 9]) == [1, 4, 0, 2, 3]
    assert largest_first([]) == []
