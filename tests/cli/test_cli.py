from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli.main import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text_dump"


@pytest.fixture
def db(tmp_path):
    path = str(tmp_path / "cli.duckdb")
    res = CliRunner().invoke(main, ["ingest", str(FIXTURES), "--db", path])
    assert res.exit_code == 0, res.output
    return path


def test_ingest_prints_outcome_counts(db, tmp_path):
    res = CliRunner().invoke(main, ["ingest", str(FIXTURES), "--db", db])
    assert res.exit_code == 0
    assert "unchanged" in res.output and "0 new documents" in res.output


def test_sql_formats(db):
    r = CliRunner()
    q = "SELECT kind, count(*) AS n FROM documents GROUP BY kind ORDER BY kind"
    out = r.invoke(main, ["sql", q, "--db", db, "--format", "json"])
    assert out.exit_code == 0
    rows = json.loads(out.output)
    assert [x["kind"] for x in rows] == ["comment", "post"] and all(x["n"] > 0 for x in rows)
    out = r.invoke(main, ["sql", q, "--db", db, "--format", "csv"])
    assert out.output.splitlines()[0] == "kind,n"
    out = r.invoke(main, ["sql", q, "--db", db])
    assert "comment" in out.output


@pytest.mark.parametrize("stmt", [
    "DELETE FROM document_rows", "DROP VIEW documents", "INSERT INTO post_keys VALUES ('a','b')",
    "CREATE TABLE x (a INT)",
])
def test_sql_refuses_writes_with_a_clear_message(db, stmt):
    out = CliRunner().invoke(main, ["sql", stmt, "--db", db])
    assert out.exit_code == 1
    assert "read-only" in out.output and len(out.output.strip().splitlines()) == 1
    check = CliRunner().invoke(main, ["sql", "SELECT count(*) AS n FROM documents", "--db", db, "--format", "json"])
    assert json.loads(check.output)[0]["n"] > 0


def test_status(db):
    out = CliRunner().invoke(main, ["status", "--db", db])
    assert out.exit_code == 0
    assert "documents: comment=" in out.output and "quarantine: 2 unplaced_fragment=2" in out.output
    assert "MiB in free blocks" in out.output
    data = json.loads(CliRunner().invoke(main, ["status", "--db", db, "--format", "json"]).output)[0]
    from pathlib import Path
    assert 0 < data["size"]["bytes"] <= Path(db).stat().st_size and 0 <= data["size"]["free_bytes"] < data["size"]["bytes"]


def test_errors_are_one_line(tmp_path):
    r = CliRunner()
    out = r.invoke(main, ["status", "--db", str(tmp_path / "none.duckdb")])
    assert out.exit_code == 1 and "no database" in out.output and "Traceback" not in out.output
    out = r.invoke(main, ["status", "--set", "nosuch.key=1"])
    assert out.exit_code == 1 and "unknown config key" in out.output
    out = r.invoke(main, ["sql", "SELEC nonsense", "--db", str(tmp_path / "none.duckdb")])
    assert out.exit_code == 1


def test_config_override_is_recorded_in_runs(tmp_path):
    db = str(tmp_path / "o.duckdb")
    out = CliRunner().invoke(main, ["ingest", str(FIXTURES / "anthology.txt"), "--db", db,
                                    "--set", "ingest.sniff_bytes=4096"])
    assert out.exit_code == 0, out.output
    out = CliRunner().invoke(main, ["sql", "SELECT config, code_version FROM runs", "--db", db, "--format", "json"])
    row = json.loads(out.output)[0]
    assert json.loads(row["config"])["ingest"]["sniff_bytes"] == 4096
    assert row["code_version"].startswith("0.1.0")
