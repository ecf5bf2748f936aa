"""`search`, `kwic` and `export` on the sample corpus after the whole flow (slow: shares
the session's `sample_run`)."""

from __future__ import annotations

import json

import duckdb
import pytest
from click.testing import CliRunner

from pipeline.cli.main import main

pytestmark = pytest.mark.slow


def _json(*args):
    res = CliRunner().invoke(main, list(args))
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_the_flow_built_the_index(sample_run):
    db, summary = sample_run
    index = summary["stages"]["index"]
    con = duckdb.connect(db, read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM search_documents").fetchone()[0]
        state = con.execute("SELECT n_documents, run_id FROM search_index_state").fetchone()
    finally:
        con.close()
    assert index["update"] == "full" and index["documents"] == index["indexed"] == n > 400
    assert state == (n, summary["run_id"])


def test_search_on_the_sample_with_theme_and_stance(sample_run):
    db, _ = sample_run
    rows = _json("search", "union members", "--theme", "napo", "--stance", "against", "--limit", "50",
                 "--format", "json", "--db", db)
    assert rows and all("napo:AGAINST" in r["themes"] for r in rows)
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    everything = _json("search", "union members", "--limit", "1000", "--format", "json", "--db", db)
    assert len(everything) > len(rows)
    semantic = _json("search", "the union let its members down", "--semantic", "--kind", "comment",
                     "--since", "2015-01-01", "--limit", "10", "--format", "json", "--db", db)
    assert len(semantic) == 10 and {r["kind"] for r in semantic} == {"comment"}
    assert all(r["published_at"] >= "2015-01-01" for r in semantic)
    hybrid = _json("search", "caseload", "--hybrid", "--limit", "5", "--format", "json", "--db", db)
    assert len(hybrid) == 5 and hybrid[0]["bm25_rank"] is not None


def test_kwic_on_the_sample(sample_run):
    db, _ = sample_run
    rows = _json("kwic", "caseload", "--theme", "workload", "--format", "json", "--db", db)
    assert rows and all(r["keyword"].lower() == "caseload" for r in rows)
    assert all(len(r["left"].split()) <= 8 and len(r["right"].split()) <= 8 for r in rows)


def test_export_on_the_sample(sample_run, tmp_path):
    db, _ = sample_run
    res = CliRunner().invoke(main, ["export", "quotes", "doc_themes", "topics", "--out", str(tmp_path), "--db", db])
    assert res.exit_code == 0, res.output
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert {"embed_model", "topic_model"} <= set(manifest["model_versions"])
    con = duckdb.connect(db, read_only=True)
    try:
        for f in manifest["files"]:
            back = f"SELECT * FROM read_parquet('{tmp_path / f['file']}')"
            view = f'SELECT * FROM "{f["view"]}"'
            assert f["rows"] > 0
            for a, b in ((view, back), (back, view)):
                assert con.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})").fetchone()[0] == 0
    finally:
        con.close()
