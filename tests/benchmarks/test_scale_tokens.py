"""The scale benchmark's word-piece count (what the encode-only limit and the embed stage
each encode), on a tiny SYNTHETIC corpus (benchmarks/generate.py)."""

from __future__ import annotations

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
    import pytest

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


def test_the_nightly_line_divides_the_notebooks_whole_run_by_the_flows_plus_one_percent():
    from benchmarks.scale_bench import nightly_line

    line = nightly_line({"wall": 300.0, "cpu": 500.0}, {"wall": 20.0, "cpu": 25.0})
    assert line.startswith("nightly, 1% new: notebook")
    assert line.endswith("15.0x (wall), 20.0x (CPU)")
