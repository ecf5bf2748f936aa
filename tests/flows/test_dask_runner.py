"""The Dask runner: the flow on a local Dask cluster of two worker processes gives the
same public views as the default runner (the corpus is SYNTHETIC: benchmarks/generate.py).
Also the [scale] settings' checks, which need no cluster."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from benchmarks.generate import generate, write_jsonl
from pipeline.api import Corpus
from pipeline.config import ConfigError, load_config
from pipeline.flows.dask import mapper_for, run_mapper, runner_settings
from pipeline.jobs.context import serial_map
from pipeline.store import connect

STAGES = ["ingest", "clean", "dedupe", "segment", "quotes", "embed", "topics", "classify", "index"]
# Columns that record when or in which run something happened, or where a run's model
# was saved: they differ between any two runs, whatever the runner.
RUN_COLUMNS = ("run_id", "first_run_id", "last_run_id", "model_run", "created_at", "started_at", "finished_at",
               "fitted_at", "model_path", "config", "params", "code_version", "model_versions", "summary",
               "embedded_at", "ingested_at", "updated_at", "indexed_at", "built_at", "run", "is_current")


def _untimed(value):
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if "seconds" not in k}
    return value


def _views(db: str) -> dict[str, pd.DataFrame]:
    conn = connect(db, read_only=True)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' ORDER BY 1").fetchall()]
        out = {}
        for name in names:
            if name == "runs":
                continue
            df = conn.execute(f'SELECT * FROM "{name}"').df()
            keep = [c for c in df.columns if c not in RUN_COLUMNS and not c.endswith("_run_id")]
            df = df[keep].copy()
            if "metrics" in keep:  # a model's fit timings differ between any two fits
                df["metrics"] = df["metrics"].map(lambda m: json.dumps(_untimed(json.loads(m)), sort_keys=True)
                                                  if isinstance(m, str) else m)
            for c in keep:  # list and struct cells (top_terms, ...) compared as their text
                if df[c].dtype == object:
                    df[c] = df[c].map(lambda v: repr(v.tolist()) if isinstance(v, np.ndarray)
                                      else repr(v) if isinstance(v, (list, dict, tuple)) else v)
            out[name] = df.sort_values(keep, kind="mergesort").reset_index(drop=True) if keep and len(df) else df
        return out
    finally:
        conn.close()


def test_scale_settings_are_checked():
    assert runner_settings(load_config()).runner == "default"
    with pytest.raises(ConfigError, match="scale.runner"):
        runner_settings(load_config(overrides={"scale": {"runner": "spark"}}))
    with pytest.raises(ConfigError, match="n_workers"):
        runner_settings(load_config(overrides={"scale": {"n_workers": 0}}))
    with pytest.raises(ConfigError, match="quotes_shard_size"):
        runner_settings(load_config(overrides={"scale": {"quotes_shard_size": 0}}))
    assert mapper_for("no-such-run") is None
    assert run_mapper("no-such-run") is serial_map  # the default runner's
    assert list(serial_map(lambda x: x * 2, [1, 2, 3])) == [2, 4, 6]


@pytest.mark.slow
def test_worker_processes_and_dask_give_the_same_views_as_one_process(tmp_path):
    """The flow with every shard in the stage's own process (``scale.processes = 1``),
    with the default runner's local worker processes (2) and on a local Dask cluster:
    the same public views, cell for cell."""
    paths = [str(p) for p in write_jsonl(generate(160, seed=3), tmp_path / "corpus")]
    small = {"dedupe": {"chunk_size": 40}, "embed": {"device": "cpu"}, "classify": {"batch_documents": 60, "lookup_batches": 2}}
    dbs = {}
    for name, runner, processes in (("one process", "default", 1), ("workers", "default", 2), ("dask", "dask", 2)):
        db = str(tmp_path / f"{runner}{processes}.duckdb")
        overrides = {**small, "scale": {"runner": runner, "n_workers": 2, "shard_size": 50,
                                        "quotes_shard_size": 50, "processes": processes},
                     "paths": {"models_dir": str(tmp_path / f"models_{runner}{processes}")}}
        summary = Corpus(db, overrides=overrides).run(paths, stages=STAGES)
        stages = summary["stages"]
        assert stages["dedupe"]["chunks"] >= 4
        assert stages["topics"]["action"] == "fit" and stages["topics"]["documents"] > 100  # three shards or more
        assert stages["classify"]["classified"] > 120  # three shards or more
        if runner == "default":  # local workers ran every stage of single-threaded shards, or none did
            started = {s: stages[s]["worker_processes"] for s in ("dedupe", "quotes", "topics", "classify")}
            workers = dict.fromkeys(started, 0 if processes == 1 else 2)
            workers["topics"] += processes > 1  # and one for the topics fit's LDA baseline
            assert started == workers, started
        dbs[name] = db
    views = {name: _views(db) for name, db in dbs.items()}
    one = views["one process"]
    assert len(one["documents"]) > 160 and len(one["duplicates"]) and len(one["doc_topics"])
    assert len(one["doc_themes"]) and len(one["sentence_sentiment"])
    for other in ("workers", "dask"):
        assert views[other].keys() == one.keys()
        for name in one:
            pd.testing.assert_frame_equal(views[other][name], one[name], check_exact=True, obj=f"{other}: {name}")


@pytest.fixture
def cluster(tmp_path):
    """A Dask scheduler and two worker processes started apart from the flow, as on a real
    cluster (`dask scheduler`, `dask worker`; on this machine's loopback), stopped at the
    end, also when the test fails. Yields the scheduler's address."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from distributed import Client

    dask = Path(sys.executable).with_name("dask")
    info = tmp_path / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(Path(__file__).resolve().parents[2]),
                                                                    os.environ.get("PYTHONPATH")) if p)}
    common = dict(cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "dask.log", "w"),
                  start_new_session=True)
    procs = [subprocess.Popen([str(dask), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(info)], **common)]
    try:
        deadline = time.monotonic() + 120
        while not info.exists() or not info.read_text().strip():
            assert procs[0].poll() is None and time.monotonic() < deadline, (tmp_path / "dask.log").read_text()
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        procs.append(subprocess.Popen([str(dask), "worker", address, "--nworkers", "2", "--nthreads", "1",
                                       "--no-dashboard", "--local-directory", str(tmp_path / "workers")], **common))
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=180)
        yield address
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=30)


@pytest.mark.slow
def test_a_cluster_at_an_address_gives_the_same_views(tmp_path, cluster):
    """`scale.address`: the sharded stages (dedupe's hashing, quotes, embed's encoding,
    classify) run on a cluster the flow did not start, and the views equal the default
    runner's."""
    paths = [str(p) for p in write_jsonl(generate(120, seed=5), tmp_path / "corpus")]
    stages = ["ingest", "clean", "dedupe", "segment", "quotes", "embed", "classify"]
    small = {"dedupe": {"chunk_size": 40}, "embed": {"device": "cpu"}, "classify": {"batch_documents": 40}}
    dbs = {}
    for runner in ("default", "dask"):
        db = str(tmp_path / f"{runner}.duckdb")
        scale = {"runner": runner, "shard_size": 40, "quotes_shard_size": 40, **({"address": cluster} if runner == "dask" else {})}
        summary = Corpus(db, overrides={**small, "scale": scale,
                                        "paths": {"models_dir": str(tmp_path / f"models_{runner}")}}).run(paths, stages=stages)
        assert summary["stages"]["dedupe"]["chunks"] >= 3
        dbs[runner] = db
    from distributed import Client

    with Client(cluster, timeout=60) as client:  # the workers did the work: they hold its code
        loaded = client.run(lambda: [m in __import__("sys").modules for m in ("pipeline.embed.encode",
                                                                              "pipeline.quotes.batch",
                                                                              "pipeline.classify.shard")])
    assert [e for e, _, _ in loaded.values()] == [True, True] and any(q for _, q, _ in loaded.values())
    assert any(c for _, _, c in loaded.values())
    default, dask = _views(dbs["default"]), _views(dbs["dask"])
    assert default.keys() == dask.keys() and len(default["doc_embeddings"]) >= 100
    for name in default:
        pd.testing.assert_frame_equal(dask[name], default[name], check_exact=True, obj=name)


@pytest.mark.slow
def test_a_stage_run_alone_hands_its_shards_to_the_configured_runner(tmp_path, cluster):
    """`Corpus.run_stage` (a stage re-run from Python; each stage of the scale benchmark)
    uses `scale.runner` as a flow run does: the quotes stage alone, on a cluster at an
    address, gives the default runner's rows, and the cluster's workers built them."""
    import shutil

    from distributed import Client

    paths = [str(p) for p in write_jsonl(generate(120, seed=7), tmp_path / "corpus")]
    small = {"dedupe": {"chunk_size": 40}, "paths": {"models_dir": str(tmp_path / "models")}}
    default_db, dask_db = str(tmp_path / "default.duckdb"), str(tmp_path / "dask.duckdb")
    for stage in ("ingest", "clean", "dedupe", "segment"):
        Corpus(default_db, overrides=small).run_stage(stage, paths if stage == "ingest" else ())
    shutil.copyfile(default_db, dask_db)
    built = {}
    for db, scale in ((default_db, {"quotes_shard_size": 30}),
                      (dask_db, {"quotes_shard_size": 30, "runner": "dask", "address": cluster})):
        built[db] = Corpus(db, overrides={**small, "scale": scale}).run_stage("quotes")["built"]
    assert built[dask_db] == built[default_db] > 100  # four shards or more
    with Client(cluster, timeout=60) as client:
        loaded = client.run(lambda: "pipeline.quotes.batch" in __import__("sys").modules)
    assert any(loaded.values()), loaded
    rows = {}
    for db in (default_db, dask_db):
        conn = connect(db, read_only=True)
        try:  # the stage's own table (the public `quotes` view needs classify's labels)
            rows[db] = conn.execute("SELECT doc_id, input_key, quote, pieces::VARCHAR AS pieces, n_words, reason, "
                                    "names_flagged::VARCHAR AS names, first_sentence FROM quote_docs ORDER BY doc_id").df()
        finally:
            conn.close()
    assert len(rows[default_db]) == built[default_db] and (rows[default_db]["reason"] == "ok").sum() > 100
    pd.testing.assert_frame_equal(rows[dask_db], rows[default_db], check_exact=True)


# A stand-in for a Dask client: results at once, the scattered function kept.
class Done:
    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class Scattered:
    def __init__(self, value):
        self.value = value


class FakeClient:
    def __init__(self):
        self.cancelled = []
        self.scattered = []

    def scheduler_info(self):
        return {"workers": {"a": {}, "b": {}}}

    def scatter(self, data, broadcast=False, hash=True):
        assert broadcast and callable(data)
        self.scattered.append(Scattered(data))
        return self.scattered[-1]

    def submit(self, fn, *args, pure=False):
        # the shard's function is sent once (scattered), never with each shard
        assert not any(callable(a) for a in args) and isinstance(args[0], Scattered)
        return Done(fn(*(a.value if isinstance(a, Scattered) else a for a in args)))

    def cancel(self, futures):
        self.cancelled.extend(futures)


def test_the_dask_mapper_sends_a_bounded_window_of_shards_ahead():
    """Shards made lazily (classify's carry their vectors) are pulled from their generator
    only as results are taken: at most two per worker ahead of the one awaited, results
    in order, and what is still pending is cancelled when the reader stops. The shard
    function (classify's carries its models) goes to the workers once per map, not with
    every shard, and is released when the map ends."""
    import pipeline.flows.dask as dask_module

    class FakeRunner:
        client = FakeClient()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

    made: list[int] = []

    def shards():
        for i in range(10):
            made.append(i)
            yield i

    dask_module._ACTIVE["bounded-test"] = dask_module._RunCluster(FakeRunner)
    try:
        mapper = mapper_for("bounded-test")
        results = mapper(lambda x: x * 10, shards())
        taken = []
        for value in results:
            taken.append(value)
            assert len(made) - len(taken) <= 4  # 2 workers: a window of 4
        assert taken == [i * 10 for i in range(10)]
        client = FakeRunner.client
        assert len(client.scattered) == 1 and client.cancelled == [client.scattered[0]]  # released after
        partial = mapper(lambda x: x, iter(range(10)))
        assert next(partial) == 0
        partial.close()
        # the rest of the window, never awaited, and the function sent to the workers
        rest = client.cancelled[1:]
        assert len(client.scattered) == 2 and len(rest) == 4
        assert all(isinstance(f, Done) for f in rest[:3]) and rest[3] is client.scattered[1]
    finally:
        dask_module._ACTIVE.pop("bounded-test", None)


def test_a_dask_run_makes_its_runner_only_when_a_stage_hands_out_a_shard(monkeypatch):
    """With ``scale.runner = "dask"``, a stage that hands out no shard never makes the
    runner (no prefect-dask import, no cluster); the first shard makes and enters it, once
    for the run, and the run's end stops it."""
    import pipeline.flows.dask as dask_module

    made: list[object] = []

    class Runner:
        def __init__(self, settings):
            self.client, self.entered, self.exited = FakeClient(), False, False
            made.append(self)

        def __enter__(self):
            self.entered = True
            return self

        def __exit__(self, *exc):
            self.exited = True

    monkeypatch.setattr(dask_module, "task_runner", Runner)
    config = load_config(overrides={"scale": {"runner": "dask"}})
    with dask_module.dask_for_run("lazy-test", config) as on:
        assert on
        mapper = run_mapper("lazy-test")
        assert mapper is not serial_map
        assert list(mapper(lambda x: x + 1, [])) == [] and not made  # no shard: no runner
        assert list(mapper(lambda x: x + 1, [1, 2])) == [2, 3]
        assert list(mapper(lambda x: x * 2, iter([3]))) == [6]
        assert len(made) == 1 and made[0].entered and not made[0].exited
    assert made[0].exited and mapper_for("lazy-test") is None
    with pytest.raises(ConfigError, match="needs prefect-dask"):
        real = dask_module.importlib.util.find_spec
        monkeypatch.setattr(dask_module.importlib.util, "find_spec",
                            lambda name, *a: None if name == "prefect_dask" else real(name, *a))
        with dask_module.dask_for_run("lazy-test", config):
            pass


@pytest.mark.slow
def test_the_other_cpu_precision_gives_the_same_vectors_on_every_runner(tmp_path):
    """The test above runs the precision ``embed.cpu_precision = "auto"`` picks on this
    processor; this one the other (bfloat16 where that is float32, emulated without the
    hardware; float32 where it is bfloat16), up to the embed stage: the same vectors, bit for
    bit, in one process, in two local worker processes and on a local Dask cluster."""
    from pipeline.embed.registry import cpu_flags, resolve_precision

    other = "float32" if resolve_precision("cpu", True, "auto", cpu_flags()) == "bfloat16" else "bfloat16"
    paths = [str(p) for p in write_jsonl(generate(120, seed=4), tmp_path / "corpus")]
    stages = ["ingest", "clean", "dedupe", "segment", "embed"]
    vectors = {}
    for name, runner, processes in (("one process", "default", 1), ("workers", "default", 2), ("dask", "dask", 2)):
        db = str(tmp_path / f"{runner}{processes}.duckdb")
        overrides = {"embed": {"device": "cpu", "cpu_precision": other},
                     "scale": {"runner": runner, "n_workers": 2, "shard_size": 30, "processes": processes},
                     "paths": {"models_dir": str(tmp_path / f"models_{runner}{processes}")}}
        embed = Corpus(db, overrides=overrides).run(paths, stages=stages)["stages"]["embed"]
        assert embed["precision"] == other and embed["embedded"] > 90
        if runner == "default" and other == "bfloat16":  # bfloat16's shards go to the worker processes
            assert embed["worker_processes"] == (0 if processes == 1 else 2)
        conn = connect(db, read_only=True)
        try:
            vectors[name] = [conn.execute(f"SELECT content_hash, vector FROM {table} ORDER BY 1").df()
                             for table in ("embeddings", "sentence_embeddings")]
        finally:
            conn.close()
    assert len(vectors["one process"][1]) > len(vectors["one process"][0])  # more sentences than texts
    for other_runner in ("workers", "dask"):
        for got, want in zip(vectors[other_runner], vectors["one process"]):
            pd.testing.assert_frame_equal(got, want, check_exact=True, obj=f"{other_runner} ({other})")
