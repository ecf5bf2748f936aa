"""`sql` cannot write, reach outside the database, or change its settings (issue 14)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.api import Corpus
from pipeline.cli.main import main
from pipeline.store.errors import StoreError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text_dump"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlro") / "ro.duckdb"
    Corpus(str(path)).ingest([str(FIXTURES)])
    return path


@pytest.fixture
def db(template, tmp_path) -> str:
    """A fresh copy per test: a test that damages it cannot hide another's result."""
    path = tmp_path / "ro.duckdb"
    shutil.copyfile(template, path)
    return str(path)


def _digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _refused(db: str, query: str) -> str:
    out = CliRunner().invoke(main, ["sql", query, "--db", db])
    assert out.exit_code == 1, out.output
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and "the sql command is read-only" in lines[0], out.output
    return lines[0]


def test_copy_onto_the_database_file_leaves_it_intact(db):
    before = _digest(db)
    _refused(db, f"COPY (SELECT 'x') TO '{db}' (FORMAT csv)")
    assert _digest(db) == before
    cols, rows = Corpus(db).sql("SELECT count(*) FROM documents")
    assert rows[0][0] > 0


def test_copy_elsewhere_writes_nothing(db, tmp_path):
    target = tmp_path / "out.csv"
    _refused(db, f"COPY (SELECT 1) TO '{target}' (FORMAT csv)")
    _refused(db, f"COPY documents TO '{target}'")
    assert not target.exists()


def test_export_database_writes_nothing(db, tmp_path):
    target = tmp_path / "dump"
    _refused(db, f"EXPORT DATABASE '{target}'")
    assert not target.exists()


@pytest.mark.parametrize("stmt", [
    "SET threads = 1", "SET enable_external_access = true", "RESET threads",
    "PRAGMA threads = 1", "PRAGMA version", "CALL pragma_version()", "CHECKPOINT", "FORCE CHECKPOINT",
    "VACUUM", "INSTALL httpfs", "LOAD httpfs", "ATTACH ':memory:' AS m", "DETACH db", "USE memory",
    "DELETE FROM documents", "DELETE FROM document_rows", "UPDATE document_rows SET text = ''",
    "DROP VIEW documents", "CREATE TABLE x (a INT)", "BEGIN TRANSACTION",
    "INSERT INTO post_keys VALUES ('a', 'b')", "select 1; select 2", "SELECT 1; DELETE FROM documents",
    "EXPLAIN ANALYZE COPY (SELECT 1) TO '/tmp/never.csv'",
])
def test_everything_but_a_query_is_refused_with_one_line(db, stmt):
    before = _digest(db)
    _refused(db, stmt)
    with pytest.raises(StoreError, match="the sql command is read-only"):
        Corpus(db).sql(stmt)
    assert _digest(db) == before


def test_files_outside_the_database_cannot_be_read(db):
    for query in ("SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM read_text('/etc/hostname')"):
        _refused(db, query)
    out = CliRunner().invoke(main, ["sql", "SELECT * FROM '/etc/passwd'", "--db", db])
    assert out.exit_code == 1 and len(out.output.strip().splitlines()) == 1
    assert "root:" not in out.output


@pytest.mark.parametrize("query", [
    "SELECT kind, count(*) AS n FROM documents GROUP BY kind ORDER BY kind",
    "WITH k AS (SELECT kind FROM documents) SELECT kind, count(*) AS n FROM k GROUP BY kind ORDER BY kind",
    "  -- a comment first\n(SELECT kind, count(*) AS n FROM documents GROUP BY kind ORDER BY kind)",
    "FROM documents SELECT kind, count(*) AS n GROUP BY kind ORDER BY kind",
    "select kind, count(*) as n from documents group by kind order by kind;",
])
def test_queries_still_work(db, query):
    cols, rows = Corpus(db).sql(query)
    assert cols == ["kind", "n"] and [r[0] for r in rows] == ["comment", "post"]


@pytest.mark.parametrize("query", [
    "DESCRIBE documents", "SHOW TABLES", "EXPLAIN SELECT * FROM documents", "SUMMARIZE documents",
    "VALUES (1, 2)", "SELECT * FROM duckdb_views() WHERE NOT internal",
])
def test_other_read_statements_work(db, query):
    cols, rows = Corpus(db).sql(query)
    assert cols and rows
