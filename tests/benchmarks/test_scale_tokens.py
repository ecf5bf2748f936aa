"""The scale benchmark's word-piece count (what the encode-only limit and the embed stage
each encode), on a tiny SYNTHETIC corpus (benchmarks/generate.py)."""

from __future__ import annotations

import json

import pytest

from benchmarks.generate import generate, write_jsonl
from benchmarks.scale_bench import token_counts
from pipeline.api import Corpus


def test_token_counts_compare_the_limit_with_what_embed_encodes(tmp_path):
    docs = generate(60, seed=4)
    paths = [str(p) for p in write_jsonl(docs, tmp_path / "corpus")]
    db = tmp_path / "t.duckdb"
    for stage in ("ingest", "clean", "dedupe", "segment"):
        Corpus(str(db)).run_stage(stage, paths if stage == "ingest" else [])
    t = token_counts(db, paths)
    # the limit cuts long bodies at the window; own texts are whole; sentences add two
    # special tokens each, so they hold more pieces than the own texts
    assert 0 < t["limit"] and t["own_texts_whole"] < t["sentences"]
    assert t["sentences"] > 0.9 * t["limit"]
    long = [d for d in docs if len(d.body.split()) > 300]
    assert long, "the generator's long tail gives texts longer than the window"


def test_the_limit_alone_encodes_an_earlier_runs_corpus(tmp_path, capsys):
    from benchmarks.scale_bench import main

    with pytest.raises(SystemExit, match="needs --keep DIR"):
        main(["--limit-only", "--keep", str(tmp_path)])
    with pytest.raises(SystemExit, match="--baseline-only needs --keep DIR"):
        main(["--baseline-only", "--keep", str(tmp_path)])
    with pytest.raises(SystemExit, match="one at a time"):
        main(["--limit-only", "--baseline-only", "--keep", str(tmp_path)])
    docs = generate(12, seed=5)
    write_jsonl(docs, tmp_path / "corpus")
    main(["--limit-only", "--keep", str(tmp_path)])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.split()[0] == "encode-only" and "CPU-s" in line
    assert f"{len(docs)} documents of {tmp_path / 'corpus'}" in line
    # the whole result is kept beside the corpus, one object a line
    kept = [json.loads(x) for x in (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [k["run"] for k in kept] == ["encode-only"]
    from pipeline.config import load_config

    batch = load_config().get("embed.batch_size")
    assert kept[0]["summary"] == {"documents": len(docs), "precision": "float32", "device": "cpu", "batch_size": batch}
    assert kept[0]["gpu_peak_mib"] == 0.0
    assert kept[0]["cpu"] > 0 and kept[0]["wall"] > 0
    # the same in bfloat16 (the flow's precision with embed.cpu_precision on such a processor)
    main(["--limit-only", "--limit-precision", "bfloat16", "--keep", str(tmp_path)])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.split()[:2] == ["enc.", "bf16"] and "(the limit in bfloat16," in line
    kept = [json.loads(x) for x in (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [k["run"] for k in kept] == ["encode-only", "encode-only:bfloat16"]
    assert kept[1]["summary"] == {"documents": len(docs), "precision": "bfloat16", "device": "cpu", "batch_size": batch}
    # float16 is the GPU's (embed.cuda_fp16): without one, the child's clear error
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(SystemExit, match="fp16 embeddings need a CUDA device"):
            main(["--limit-only", "--limit-precision", "float16", "--keep", str(tmp_path)])


def test_a_row_adds_the_gpu_memory_where_a_gpu_was_used():
    from benchmarks.scale_bench import row

    r = {"wall": 10.0, "cpu": 12.0, "maxrss_mib": 900.0, "children_cpu": 0.0}
    assert "GPU peak" not in row("embed", r, 1000, "")
    line = row("embed", {**r, "gpu_peak_mib": 161.4}, 1000, "(tail)")
    assert "     100 docs/s" in line and "GPU peak 161 MiB (tail)" in line


def test_a_row_with_workers_gives_their_share_and_the_trees_pss():
    from benchmarks.scale_bench import row

    r = {"wall": 10.0, "cpu": 12.0, "maxrss_mib": 900.0, "children_cpu": 8.0, "children_peak_mib": 700.0,
         "tree_peak_mib": 2300.0, "tree_pss_peak_mib": 1800.4}
    line = row("quotes", r, 1000, "")
    assert "peak    2300 MiB" in line
    assert "[8.0 CPU-s of it in child processes, the largest peaking at 700 MiB; the stage's own process 900 MiB, " \
           "all together 1800 MiB in PSS]" in line
    assert "PSS" not in row("quotes", {**r, "tree_pss_peak_mib": 0.0}, 1000, "")


def test_a_row_gives_the_memory_samplers_cpu_time():
    from benchmarks.scale_bench import row

    r = {"wall": 10.0, "cpu": 12.0, "maxrss_mib": 900.0, "children_cpu": 0.0}
    assert "sampler" not in row("embed", r, 1000, "")
    line = row("embed", {**r, "sampler_cpu": 1.43}, 1000, "(tail)")
    assert "(the memory sampler's 1.4 CPU-s counted in) (tail)" in line


def test_the_nightly_line_divides_the_notebooks_whole_run_by_the_flows_plus_one_percent():
    from benchmarks.scale_bench import nightly_line

    line = nightly_line({"wall": 300.0, "cpu": 500.0}, {"wall": 20.0, "cpu": 25.0})
    assert line.startswith("nightly, 1% new: notebook")
    assert line.endswith("15.0x (wall), 20.0x (CPU)")


def test_the_one_process_line_divides_the_whole_flow_by_each_limit_and_the_stage_processes():
    from benchmarks.scale_bench import one_process_line

    whole, enc, bf16 = {"wall": 469.5, "cpu": 788.3}, {"wall": 351.3, "cpu": 690.0}, {"wall": 137.8, "cpu": 264.6}
    assert one_process_line(whole, enc, ("bfloat16", bf16), 497.7) == (
        "whole flow in one process: 469.5 s, 788.3 CPU-s; / encode-only 1.34 (wall), 1.14 (CPU); "
        "/ encode-only in bfloat16 3.41 (wall); / the stage processes 0.94 (wall)")
    assert one_process_line(whole, enc, None, 469.5).endswith("1.14 (CPU); / the stage processes 1.00 (wall)")


def test_the_runner_line_says_where_the_shards_ran():
    from benchmarks.scale_bench import runner_line
    from pipeline.config import load_config

    assert runner_line(load_config().section("scale")) == (
        "runner: default (the shards of clean, segment's text signals, dedupe's hashing, quotes, the topics fit's "
        "tagging and classify in 2 worker processes (forkserver); embed's shards in its own process, one after "
        "another)")
    one = load_config(overrides={"scale": {"processes": 1}}).section("scale")
    assert "and classify in the stage's own process;" in runner_line(one)
    assert runner_line(load_config().section("scale"), "bfloat16") == (
        "runner: default (the shards of clean, segment's text signals, dedupe's hashing, quotes, embed (bfloat16, "
        "one thread each), the topics fit's tagging and classify in 2 worker processes (forkserver))")
    spawned = load_config(overrides={"scale": {"start_method": "spawn"}}).section("scale")
    assert "classify in 2 worker processes (spawn);" in runner_line(spawned)
    local = load_config(overrides={"scale": {"runner": "dask", "n_workers": 3}}).section("scale")
    assert runner_line(local) == ("runner: dask, a local cluster of 3 worker processes, started by each stage "
                                  "that hands out shards")
    remote = load_config(overrides={"scale": {"runner": "dask", "address": "tcp://10.0.0.5:8786"}}).section("scale")
    assert runner_line(remote) == "runner: dask, the cluster at tcp://10.0.0.5:8786"


@pytest.mark.slow
def test_a_stage_on_a_local_dask_cluster_counts_its_workers_cpu(tmp_path, monkeypatch):
    """With `scale.runner = "dask"` (a local cluster, from ./probation-corpus.toml as a
    user would set it) a stage's CPU seconds include its worker processes', and the row
    says how much; with the default runner no child process runs."""
    from benchmarks.scale_bench import row, run_child

    paths = [str(p) for p in write_jsonl(generate(40, seed=6), tmp_path / "corpus")]
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "s.duckdb"
    for stage in ("ingest", "clean", "dedupe", "segment"):
        assert run_child(stage, db, paths if stage == "ingest" else [])["children_cpu"] < 0.05
    (tmp_path / "probation-corpus.toml").write_text('[scale]\nrunner = "dask"\nn_workers = 2\nquotes_shard_size = 10\n')
    r = run_child("quotes", db, [])
    assert r["summary"]["built"] >= 40
    assert r["children_cpu"] > 1.0 and r["cpu"] > r["children_cpu"] and r["children_peak_mib"] > 50
    assert "CPU-s of it in child processes" in row("quotes", r, 40, "")


@pytest.mark.slow
@pytest.mark.parametrize("start_method", ["forkserver", "spawn"])
def test_a_stage_counts_its_local_workers_cpu_however_they_start(tmp_path, monkeypatch, start_method):
    """Workers forked by the forkserver are its children, not the stage process's: the
    stage's CPU seconds count them once the server is stopped (the child does so before
    it reads its rusage), as they count spawned workers."""
    from benchmarks.scale_bench import run_child

    paths = [str(p) for p in write_jsonl(generate(40, seed=6), tmp_path / "corpus")]
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "s.duckdb"
    for stage in ("ingest", "clean", "dedupe", "segment"):
        run_child(stage, db, paths if stage == "ingest" else [])
    (tmp_path / "probation-corpus.toml").write_text(
        f'[scale]\nprocesses = 2\nquotes_shard_size = 10\nstart_method = "{start_method}"\n')
    r = run_child("quotes", db, [])
    assert r["summary"]["built"] >= 40 and r["summary"]["worker_processes"] == 2
    assert r["children_cpu"] > 1.0 and r["cpu"] > r["children_cpu"]
    assert 0 < r["sampler_cpu"] < r["cpu"] - r["children_cpu"]  # the sampler's own thread, in the stage's CPU


def test_the_incremental_runs_alone_refuse_what_they_cannot_use(tmp_path):
    """``--incremental-only --keep DIR`` runs from the database a full run left; it says
    what is missing or does not match, and never runs on a database that already holds the
    held-back documents."""
    from benchmarks.scale_bench import main
    from pipeline.jobs import STAGES

    stages = list(STAGES)
    opts = ["--incremental-only", "--keep", str(tmp_path), "--comments", "20", "--seed", "7"]
    with pytest.raises(SystemExit, match="one at a time"):
        main([*opts, "--limit-only"])
    with pytest.raises(SystemExit, match=r"needs --keep DIR holding an earlier --incremental run \(DIR/flow.duckdb\)"):
        main(opts)
    docs = generate(20, seed=7)
    held = docs[len(docs) - max(1, len(docs) // 100):]
    kept = docs[:len(docs) - len(held)]
    everything = [str(p) for p in write_jsonl(docs, tmp_path / "all")]
    write_jsonl(kept, tmp_path / "corpus")
    Corpus(str(tmp_path / "flow.duckdb")).run_stage("ingest", everything)  # the held-back ones too
    results = tmp_path / "results.jsonl"
    results.write_text("".join(json.dumps({"run": s, "wall": 1.0, "cpu": 1.0}) + "\n" for s in stages[:3]),
                       encoding="utf-8")
    with pytest.raises(SystemExit, match=f"has no full-run figures for {', '.join(stages[3:])}"):
        main(opts)
    results.write_text("".join(json.dumps({"run": s, "wall": 1.0, "cpu": 1.0}) + "\n" for s in stages),
                       encoding="utf-8")
    with pytest.raises(SystemExit, match=f"holds {len(kept)} documents, not the .* of --comments 30 --seed 7"):
        main(["--incremental-only", "--keep", str(tmp_path), "--comments", "30", "--seed", "7"])
    with pytest.raises(SystemExit, match=f"holds {len(docs)} documents, not the full run's {len(kept)}: the held-back"):
        main(opts)
