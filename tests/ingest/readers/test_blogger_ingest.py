"""End to end: every Blogger form of one post, ingested together, is one post with one
set of comments; bad fragments land in quarantine."""

from __future__ import annotations

import shutil

from pipeline.api import Corpus
from pipeline.store import connect
from tests.ingest.readers.blogger_fixtures import CSV_MAPPING, FIXTURES

SAME_POST = ["threaded_page.html", "posts_feed.atom.xml", "comments_feed_page1.atom.xml",
             "comments_feed_page2.atom.xml", "comments_feed_page1.json", "takeout_export.atom",
             "comments_fragment.html"]


def _rows(db, sql):
    conn = connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_all_forms_of_one_post_join(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    for name in SAME_POST:
        shutil.copy(FIXTURES / name, inbox / name)
    db = str(tmp_path / "db.duckdb")
    summary = Corpus(db).ingest([str(inbox)])
    assert summary["outcomes"]["ingested"] == len(SAME_POST) and not summary["errors"]
    (post,) = _rows(db, "SELECT doc_id FROM documents WHERE kind = 'post' AND blogger_id = '5550001112223334446'")
    comments = _rows(db, f"SELECT blogger_id, parent_id IS NOT NULL FROM documents "
                         f"WHERE kind = 'comment' AND post_id = '{post[0]}' ORDER BY blogger_id")
    # six comments on the page (one deleted there), plus the takeout's reply to a spam comment
    assert [c[0][-2:] for c in comments] == ["01", "02", "03", "04", "05", "06", "08"]
    replies = {c[0][-2:] for c in comments if c[1]}
    assert replies == {"02", "03", "04"}


def test_csv_rejects_are_quarantined_per_row(tmp_path):
    db = str(tmp_path / "db.duckdb")
    summary = Corpus(db).ingest([str(FIXTURES / "comments_mapped.csv")], reader_options={"columns": CSV_MAPPING})
    assert summary["outcomes"] == {"ingested": 1, "partial": 1}
    rows = _rows(db, "SELECT locator, code FROM quarantine ORDER BY locator")
    # a parent and a post that are in no file read so far wait as unplaced rows
    assert len(rows) == 7 and {code for _, code in rows} == {"bad_row", "unplaced_row"}
    assert sorted(loc for loc, code in rows if code == "unplaced_row") == ["row 11", "row 12"]
    assert _rows(db, "SELECT count(*) FROM documents")[0][0] == 7
