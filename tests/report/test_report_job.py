"""The report job on databases the stages have not filled: it still writes a page, with notes
instead of empty charts (the flow's last step must not fail a partial run)."""

from __future__ import annotations

from pathlib import Path

from pipeline.api import Corpus
from pipeline.config import load_config
from pipeline.store import connect

THREAD = """Monday, 1 July 2019

A synthetic test post

An invented post written for this test.

Anon

2 comments:

  1. An invented first comment, about nothing in particular.

    ReplyDelete
  2. An invented second comment <b>with markup</b> & an ampersand.

    ReplyDelete
"""


def test_report_on_an_empty_database(tmp_path):
    db = str(tmp_path / "empty.duckdb")
    connect(db).close()
    summary = Corpus(db, load_config()).report()
    assert summary["report"] == str(tmp_path / "report.html") and summary["charts"] == 0
    html = Path(summary["report"]).read_text(encoding="utf-8")
    assert html.count("No data yet for this chart") == 4 and "No evaluations yet" in html


def test_report_after_ingest_only(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "thread.txt").write_text(THREAD, encoding="utf-8")
    db = str(tmp_path / "db" / "p.duckdb")
    cfg = load_config(overrides={"report": {"out": str(tmp_path / "out" / "r.html")}})
    Corpus(db, cfg).ingest([str(src)])
    summary = Corpus(db, cfg).report()
    assert summary["report"] == str(tmp_path / "out" / "r.html") and summary["charts"] == 1  # volume only
    html = Path(summary["report"]).read_text(encoding="utf-8")
    assert "1 post and 2 comments" in html and "thread.txt" in html
    assert not list((tmp_path / "out").glob("*.tmp"))
