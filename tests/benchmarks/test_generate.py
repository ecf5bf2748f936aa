"""The synthetic corpus generator for the scale benchmark: shape and readability."""

from __future__ import annotations

import statistics

from benchmarks.generate import generate, write_export, write_jsonl
from tests.readkit import read_input


def test_shape_of_a_generated_corpus():
    docs = generate(900, seed=3)
    comments = [d for d in docs if d.post]
    posts = [d for d in docs if not d.post]
    assert len(comments) == 900 and len(posts) == 30
    words = [len(d.body.split()) for d in comments]
    assert 40 <= statistics.median(words) <= 90 and max(words) > 250  # median ~60, long tail
    assert sum(1 for d in comments if d.parent) > 150  # reply chains
    bodies = [d.body for d in comments]
    assert len(set(bodies)) < len(bodies)  # reposted comments
    assert any("*****" in d.body for d in posts) or any(":-" in d.body for d in posts)
    years = {d.timestamp[:4] for d in docs}
    assert min(years) == "2011" and max(years) >= "2025"
    assert generate(900, seed=3)[-1] == docs[-1]  # reproducible


def test_generated_files_ingest_without_rejects(tmp_path):
    docs = generate(120, seed=5)
    for path in write_jsonl(docs, tmp_path / "jsonl") + write_export(docs, tmp_path / "export"):
        outcome = read_input(path)
        res = outcome.result
        assert res is not None and not res.rejects, (path, outcome)
        assert len(res.docs) == len(docs)


def test_jsonl_files_keep_whole_threads(tmp_path):
    """Split into several files, every comment is in its post's file, nothing is lost,
    and every file reads without a reject (before, a thread cut at a file boundary lost
    its comments to quarantine as "unknown post")."""
    docs = generate(300, seed=6)
    paths = write_jsonl(docs, tmp_path / "jsonl", per_file=40)
    assert len(paths) > 3
    read = [read_input(p).result for p in paths]
    assert all(r is not None and not r.rejects for r in read)
    assert sum(len(r.docs) for r in read) == len(docs)
    assert all(len(r.docs) >= 40 for r in read[:-1])
