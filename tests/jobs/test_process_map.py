"""Local worker processes for shards of single-threaded work (``scale.processes``): the
same results in the same order as in process, errors raised as they were raised, a dead
worker a clear error, and the quotes stage's rows unchanged by them."""

from __future__ import annotations

import os
import signal

import psutil
import pytest

from benchmarks.generate import generate, write_jsonl
from pipeline.api import Corpus
from pipeline.config import ConfigError, load_config
from pipeline.jobs.context import JobContext, ProcessMap, WorkerStopped, cores, serial_map, shards_run_here, single_threaded_mapper
from pipeline.sections import ScaleSettings
from pipeline.settings import typed
from pipeline.store import connect


def _workers() -> list:
    """This process's spawned workers still alive (multiprocessing's resource tracker, a
    child that lives as long as this process, is not one)."""
    return [c for c in psutil.Process().children(recursive=True)
            if "spawn_main" in " ".join(c.cmdline()) and c.status() != psutil.STATUS_ZOMBIE]


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


def test_shards_run_in_worker_processes_and_come_back_in_order():
    mapper = ProcessMap(2)
    got = list(mapper(pid_and_square, iter(range(9))))  # a generator, as the stages hand them out
    assert mapper.started == 2
    assert [sq for _, sq in got] == [x * x for x in range(9)]
    pids = {pid for pid, _ in got}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert not _workers()  # the workers are gone when the map ends


def test_one_shard_or_one_process_runs_here():
    mapper = ProcessMap(2)
    assert list(mapper(pid_and_square, [5])) == [(os.getpid(), 25)] and mapper.started == 0
    assert list(ProcessMap(1)(pid_and_square, range(3))) == [(os.getpid(), x * x) for x in range(3)]
    assert list(ProcessMap(2)(pid_and_square, [])) == []


def test_shards_run_here_counts_the_shards_the_items_make():
    two = ProcessMap(2)
    assert shards_run_here(two, 0, 10) and shards_run_here(two, 10, 10)  # no shard, one shard
    assert not shards_run_here(two, 11, 10)  # two shards: workers
    assert shards_run_here(ProcessMap(1), 1000, 10)  # one process
    assert not shards_run_here(serial_map, 1, 10)  # another mapper runs them elsewhere


def test_an_error_in_a_worker_is_raised_as_it_was_and_the_pool_closes():
    with pytest.raises(ValueError, match="shard 3 is bad"):
        list(ProcessMap(2)(fails_on_three, range(6)))
    assert not _workers()


def test_a_worker_that_dies_is_a_clear_error():
    with pytest.raises(WorkerStopped, match=r"worker process stopped without an answer.*lower scale\.processes"):
        list(ProcessMap(2)(dies_on_two, range(6)))
    assert not _workers()


def test_a_map_left_half_way_stops_its_workers():
    results = ProcessMap(2)(pid_and_square, range(20))
    assert next(results)[1] == 0
    assert _workers()  # running now
    results.close()
    assert not _workers()


def test_processes_setting():
    assert typed(load_config(), ScaleSettings).processes == 2  # pipeline/defaults.toml
    with pytest.raises(ConfigError, match=r"scale\.processes must be 0 \(one per CPU core\)"):
        typed(load_config(overrides={"scale": {"processes": -1}}), ScaleSettings)
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
    for _ in ProcessMap(2)(slow, range(4)):
        pass
"""


def test_workers_end_when_their_stage_process_is_killed(tmp_path):
    """A stage process killed outright (SIGKILL, as the out-of-memory killer does) cannot
    stop its workers: they end on their own within seconds, instead of waiting on their
    queue, with their models in memory, for ever."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    script = tmp_path / "stage.py"
    script.write_text(KILLED_STAGE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, str(script)], env=env, cwd=tmp_path)
    workers: list = []
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2 and time.monotonic() < deadline:
            assert proc.poll() is None
            workers = [c for c in psutil.Process(proc.pid).children(recursive=True)
                       if "spawn_main" in " ".join(c.cmdline())]
            time.sleep(0.2)
        assert len(workers) == 2, "the stage did not start its two workers"
        time.sleep(1.0)  # the workers are running their shards
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    gone, alive = psutil.wait_procs(workers, timeout=15)
    for p in alive:  # do not leave them behind when the test fails
        p.kill()
    assert not alive, f"{len(alive)} worker(s) outlived their killed stage process"
