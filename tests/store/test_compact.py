"""`compact`: the database file rewritten densely, every table, view, macro and the search
index kept; a failure leaves the old file as it was. Made-up rows, and the CLI."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from click.testing import CliRunner

from pipeline.api import Corpus
from pipeline.cli.main import main
from pipeline.store import StoreError, connect
from pipeline.store import compact as compact_module
from tests.store.test_prune import _fill

DENSE = "SELECT used_blocks, free_blocks FROM pragma_database_size()"


def _snapshot(db: str) -> dict:
    con = duckdb.connect(db, read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                                            "ORDER BY 1").fetchall()]
        out = {t: con.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall() for t in tables if t != "run_log"}
        out["_views"] = con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall()
        return out
    finally:
        con.close()


def _churn(db: str, models) -> None:
    """Made-up rows written and deleted in many small transactions, as nightly runs do."""
    _fill(db, models)
    conn = connect(db)
    try:
        for i in range(40):
            conn.execute("INSERT INTO sentence_embeddings SELECT 'x' || ? || '-' || range, 'm@0', 'c', 384, "
                         "[random()::FLOAT for _ in range(384)], now() FROM range(300)", [i])
            conn.execute("CHECKPOINT")
        conn.execute("DELETE FROM sentence_embeddings WHERE model_id = 'm@0' AND content_hash NOT LIKE 'x1-%'")
        conn.execute("CHECKPOINT")
    finally:
        conn.close()


def test_compact_keeps_everything_and_frees_the_space(tmp_path):
    db, models = str(tmp_path / "c.duckdb"), tmp_path / "models"
    _churn(db, models)
    before = _snapshot(db)
    size = (tmp_path / "c.duckdb").stat().st_size
    out = Corpus(db).compact()
    assert out["mib_after"] < out["mib_before"] and (tmp_path / "c.duckdb").stat().st_size < size / 2
    assert _snapshot(db) == before
    assert not list(tmp_path.glob("*.compact-tmp*"))
    con = duckdb.connect(db, read_only=True)
    try:
        assert con.execute("SELECT flow, status FROM runs ORDER BY started_at DESC LIMIT 1").fetchone() == (
            "compact", "completed")
        assert con.execute("SELECT count(*) FROM run_doc_theme_rows()").fetchone() == (0,)  # macros kept
    finally:
        con.close()
    conn = connect(db)  # primary keys kept: an upsert still finds its row
    try:
        conn.execute("INSERT INTO embed_state VALUES ('current', 'mini', 'x', 'y', 'cpu', now(), 'e2') "
                     "ON CONFLICT (key) DO UPDATE SET run_id = excluded.run_id")
        assert conn.execute("SELECT count(*), max(run_id) FROM embed_state").fetchone() == (1, "e2")
    finally:
        conn.close()


def test_a_failed_compaction_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    db, models = str(tmp_path / "c.duckdb"), tmp_path / "models"
    _fill(db, models)
    shutil.copy(db, tmp_path / "copy.duckdb")
    before = _snapshot(db)
    real = compact_module._counts
    monkeypatch.setattr(compact_module, "_counts",
                        lambda conn, catalog: {**real(conn, catalog), **({"main.extra": 1} if catalog == "compacted" else {})})
    with pytest.raises(StoreError, match="nothing was replaced"):
        Corpus(db).compact()
    assert _snapshot(db) == before and not list(tmp_path.glob("*.compact-tmp*"))
    con = duckdb.connect(db, read_only=True)
    try:
        assert con.execute("SELECT flow, status FROM runs ORDER BY started_at DESC LIMIT 1").fetchone() == (
            "compact", "failed")
    finally:
        con.close()


def test_cli_compact(tmp_path):
    db, models = str(tmp_path / "c.duckdb"), tmp_path / "models"
    _fill(db, models)
    out = CliRunner().invoke(main, ["compact", "--db", db])
    assert out.exit_code == 0, out.output
    assert "MiB" in out.output and "tables" in out.output and "rows checked" in out.output


@pytest.mark.slow
def test_the_sample_database_searches_and_quotes_the_same_after_compacting(sample_run, tmp_path):
    db = str(tmp_path / "sample.duckdb")
    shutil.copy(sample_run[0], db)
    api = Corpus(db)
    found, quotes = api.search("caseload", limit=10), api.quotes(theme="workload", limit=10)
    views = _snapshot(db)
    api.compact()
    assert _snapshot(db) == views
    after_found, after_quotes = api.search("caseload", limit=10), api.quotes(theme="workload", limit=10)
    assert len(found) > 0 and after_found.equals(found) and after_quotes.equals(quotes)


def test_the_memory_limit_is_set_for_the_copy(tmp_path, memory_limits):
    db, models = str(tmp_path / "c.duckdb"), tmp_path / "models"
    _fill(db, models)
    seen = memory_limits(compact_module)
    Corpus(db, overrides={"store": {"compact_memory_mb": 64}}).compact()
    assert seen == ["61.0 MiB"]  # 64 MB as DuckDB reports it


def test_a_bad_memory_limit_is_refused_before_anything_is_touched(tmp_path):
    from pipeline.config import ConfigError

    db, models = str(tmp_path / "c.duckdb"), tmp_path / "models"
    _fill(db, models)
    before, size = _snapshot(db), (tmp_path / "c.duckdb").stat().st_size
    with pytest.raises(ConfigError, match="compact_memory_mb"):
        Corpus(db, overrides={"store": {"compact_memory_mb": -1}}).compact()
    assert _snapshot(db) == before and (tmp_path / "c.duckdb").stat().st_size == size
    assert not list(tmp_path.glob("*.compact-tmp*"))
