"""Export round-trips: reading each file back gives the view, for every format."""

from __future__ import annotations

import hashlib
import json

import duckdb
import pytest
from click.testing import CliRunner

from pipeline.api import Corpus
from pipeline.cli.main import main

VIEWS = ["documents", "search_documents", "doc_embeddings", "sources", "quarantine", "runs"]


def _read_back(con, view: str, path: str, fmt: str, base64_cols=()) -> tuple[str, str]:
    """SQL for (the view as written, the file read back) that must hold the same rows."""
    cols = con.execute(f'DESCRIBE SELECT * FROM "{view}"').fetchall()
    if fmt == "parquet":
        return f'SELECT * FROM "{view}"', f"SELECT * FROM read_parquet('{path}')"
    if fmt == "jsonl":
        spec = ", ".join(f"'{n}': '{'VARCHAR' if n in base64_cols else t}'" for n, t, *_ in cols)
        select = ", ".join(f'from_base64("{n}") AS "{n}"' if n in base64_cols else f'"{n}"' for n, *_ in cols)
        return (f'SELECT * FROM "{view}"',
                f"SELECT {select} FROM read_json('{path}', format='newline_delimited', columns={{{spec}}})")
    spec = ", ".join(f"'{n}': 'VARCHAR'" for n, *_ in cols)
    as_text = ", ".join(f'CAST("{n}" AS VARCHAR) AS "{n}"' for n, *_ in cols)
    return f'SELECT {as_text} FROM "{view}"', f"SELECT * FROM read_csv('{path}', header=true, allow_quoted_nulls=false, columns={{{spec}}})"


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_export_round_trips(search_db, tmp_path, fmt):
    out = tmp_path / fmt
    manifest = Corpus(search_db).export(VIEWS, out, fmt)
    assert json.loads((out / "manifest.json").read_text()) == manifest
    con = duckdb.connect(search_db, read_only=True)
    try:
        assert manifest["schema_version"] == con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
        run_ids = [r[0] for r in con.execute("SELECT run_id FROM runs WHERE status = 'completed'").fetchall()]
        assert sorted(r["run_id"] for r in manifest["runs"]) == sorted(run_ids)
        assert manifest["model_versions"]["embed_model"].startswith("all-MiniLM-L6-v2@")
        assert manifest["code_version"] and manifest["created_at"].endswith("+00:00")
        assert [f["view"] for f in manifest["files"]] == VIEWS
        for f in manifest["files"]:
            path = out / f["file"]
            assert f["file"] == f"{f['view']}.{fmt}"
            assert f["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
            n = con.execute(f'SELECT count(*) FROM "{f["view"]}"').fetchone()[0]
            assert f["rows"] == n and n > 0, f["view"]
            view_sql, back_sql = _read_back(con, f["view"], str(path), fmt, f.get("base64_columns", ()))
            assert con.execute(f"SELECT count(*) FROM ({back_sql})").fetchone()[0] == n
            for a, b in ((view_sql, back_sql), (back_sql, view_sql)):
                diff = con.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})").fetchone()[0]
                assert diff == 0, f"{f['view']}.{fmt} differs from the view"
    finally:
        con.close()
    blobs = [f for f in manifest["files"] if f.get("base64_columns")]
    assert [f["view"] for f in blobs] == (["quarantine"] if fmt == "jsonl" else [])


def test_export_cli_and_unknown_view(search_db, tmp_path):
    r = CliRunner()
    res = r.invoke(main, ["export", "documents", "quotes", "--out", str(tmp_path / "x"), "--db", search_db])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "x" / "documents.parquet").is_file() and (tmp_path / "x" / "manifest.json").is_file()
    assert "documents: 15 rows" in res.output
    res = r.invoke(main, ["export", "documents", "nosuch", "--out", str(tmp_path / "y"), "--db", search_db])
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "unknown view(s) nosuch" in lines[0] and "search_documents" in lines[0]
    assert not (tmp_path / "y").exists()
    res = r.invoke(main, ["export", "documents", "--format", "xlsx", "--out", str(tmp_path / "z"), "--db", search_db])
    assert res.exit_code == 2 and "xlsx" in res.output
