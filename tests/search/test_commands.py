"""`search` and `kwic` from the command line, on the invented corpus."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from pipeline.cli.main import main


def _run(*args):
    res = CliRunner().invoke(main, list(args))
    return res


def test_search_formats(search_db):
    res = _run("search", "caravan", "--db", search_db, "--format", "json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["rank"] for r in rows] == [1, 2] and all("caravan" in r["own_text"] for r in rows)
    assert {"score", "bm25_rank", "semantic_rank", "doc_id", "published_at", "author", "permalink",
            "themes"} <= set(rows[0])
    assert rows[0]["semantic_rank"] is None and rows[0]["themes"] == ""
    res = _run("search", "burst water pipe", "--semantic", "--limit", "3", "--format", "csv", "--db", search_db)
    assert res.exit_code == 0, res.output
    table = list(csv.DictReader(io.StringIO(res.stdout)))
    assert len(table) == 3 and table[0]["rank"] == "1" and "plumbing" in table[0]["own_text"]
    assert "nan" not in res.stdout and "None" not in res.stdout
    res = _run("search", "caravan", "--hybrid", "--kind", "post", "--db", search_db)
    assert res.exit_code == 0 and "hybrid search: caravan" in res.stdout and "caravan" in res.stdout
    res = _run("search", "caravan", "--since", "2030-01-01", "--db", search_db)
    assert res.exit_code == 0 and "no documents match" in res.stderr
    res = _run("search", "caravan", "--since", "March 2019", "--db", search_db)
    assert res.exit_code == 2  # not a date


def test_kwic_aligned_and_csv(search_db):
    res = _run("kwic", "tomatoes", "--window", "3", "--db", search_db)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert len(lines) == 2 and "2 matches in 2 documents" in res.stderr
    cols = {line.index("tomatoes") for line in lines}
    assert len(cols) == 1  # the keyword column is aligned
    assert any(line.endswith("us started growing  tomatoes  and courgettes on") for line in lines)
    assert all(line.startswith("2023-05-15 ") for line in lines)
    res = _run("kwic", r"ballot\w*", "--regex", "--format", "csv", "--db", search_db)
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert sorted(r["keyword"] for r in rows) == ["Ballots", "balloted"]
    assert {"left", "keyword", "right", "doc_id", "start", "end"} <= set(rows[0])
    res = _run("kwic", "tomatoes", "--kind", "post", "--format", "json", "--db", search_db)
    assert [r["kind"] for r in json.loads(res.stdout)] == ["post"]
    res = _run("kwic", "(oops", "--regex", "--db", search_db)
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1 and "bad regular expression" in res.output


def test_search_macros_work_in_the_sql_command(search_db):
    res = _run("sql", "SELECT d.own_text FROM search_bm25('caravans') s JOIN search_documents d USING (doc_id) "
               "ORDER BY s.rank", "--format", "json", "--db", search_db)
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert len(rows) == 2 and all("caravan" in r["own_text"] for r in rows)
