"""Tables whose comments name posts (or parent comments) of other inputs: a comments file
beside a posts file, a later file of comments on stored posts. Written for this test
(SYNTHETIC); nothing is lost: what cannot be placed waits in quarantine and is placed by
a later ingest of the same file."""

from __future__ import annotations

import json

import pytest

from pipeline.api import Corpus
from pipeline.ingest.ids import resolve_outside
from pipeline.ingest.readers.tabular import build, jsonl_rows
from pipeline.records import ParseResult, RawDoc
from pipeline.store import connect

POSTS = [
    {"id": "10", "body": "An invented post about the rota.", "title": "Rota (synthetic)",
     "timestamp": "2021-03-01T09:00:00Z", "url": "https://example.blogspot.com/2021/03/rota.html"},
    {"id": "11", "body": "An invented post about pay.", "title": "Pay (synthetic)",
     "timestamp": "2021-03-02T09:00:00Z"},
]
COMMENTS = [
    {"id": "c1", "post": "10", "body": "First invented comment on the rota.", "timestamp": "2021-03-01T10:00:00Z"},
    {"id": "c2", "post": "10", "parent": "c1", "body": "An invented reply to the first.",
     "timestamp": "2021-03-01T11:00:00Z"},
    {"id": "c3", "post": "11", "body": "An invented comment on pay.", "timestamp": "2021-03-02T10:00:00Z"},
]


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def _rows(db, sql, params=()):
    conn = connect(db)
    try:
        return conn.execute(sql, list(params)).fetchall()
    finally:
        conn.close()


def _docs(db):
    """text -> (kind, post title, parent text, position) of every document."""
    return {t: (k, pt, par, pos) for t, k, pt, par, pos in _rows(db, """
        SELECT d.text, d.kind, p.title, r.text, d.position FROM documents d
        JOIN documents p ON p.doc_id = d.post_id LEFT JOIN documents r ON r.doc_id = d.parent_id""")}


def test_comments_file_beside_posts_file_in_one_ingest(tmp_path):
    db = str(tmp_path / "c.duckdb")
    # the comments file sorts first by name; every comment still finds its post
    folder = tmp_path / "in"
    folder.mkdir()
    _write(folder / "a_comments.jsonl", COMMENTS)
    _write(folder / "b_posts.jsonl", POSTS)
    summary = Corpus(db).ingest([str(folder)])
    assert summary["outcomes"] == {"ingested": 2}
    docs = _docs(db)
    assert docs["First invented comment on the rota."] == ("comment", "Rota (synthetic)", None, 1)
    assert docs["An invented reply to the first."] == ("comment", "Rota (synthetic)",
                                                       "First invented comment on the rota.", 2)
    assert docs["An invented comment on pay."] == ("comment", "Pay (synthetic)", None, 1)
    assert _rows(db, "SELECT count(*) FROM quarantine")[0][0] == 0
    # a third file of the next ingest: its comment goes after the two of the first
    more = [{"id": "c8", "post": "10", "body": "Yet another invented comment.", "timestamp": "2021-03-09T10:00:00Z"},
            {"id": "c9", "post": "11", "body": "And one more on pay.", "timestamp": "2021-03-09T10:00:00Z"}]
    extra = [{"id": "e1", "post": "10", "body": "Read in the same ingest.", "timestamp": "2021-03-08T10:00:00Z"},
             {"id": "12", "body": "A third invented post.", "title": "Third (synthetic)"}]
    Corpus(db).ingest([_write(tmp_path / "more.jsonl", more), _write(tmp_path / "extra.jsonl", extra)])
    docs = _docs(db)
    assert docs["Read in the same ingest."][3] == 3 and docs["Yet another invented comment."][3] == 4
    assert docs["And one more on pay."][3] == 2


def test_a_later_file_of_comments_joins_stored_posts_and_comments(tmp_path):
    db = str(tmp_path / "c.duckdb")
    corpus = Corpus(db)
    corpus.ingest([_write(tmp_path / "posts.jsonl", POSTS + COMMENTS)])
    later = [
        # by row id, by URL (another host spelling), a reply to a stored comment by its id
        {"id": "c4", "post": "10", "body": "A later invented comment.", "timestamp": "2021-03-05T10:00:00Z"},
        {"id": "c5", "post": "http://www.example.blogspot.co.uk/2021/03/rota.html?m=1",
         "body": "A later comment naming the post by its URL.", "timestamp": "2021-03-05T11:00:00Z"},
        {"id": "c6", "post": "10", "parent": "c1", "body": "A later reply to the first comment.",
         "timestamp": "2021-03-05T12:00:00Z"},
        {"id": "c7", "post": "10", "parent": "c6", "body": "A reply to that reply, in the same file.",
         "timestamp": "2021-03-05T13:00:00Z"},
    ]
    summary = corpus.ingest([_write(tmp_path / "later.jsonl", later)])
    assert summary["outcomes"] == {"ingested": 1} and summary["new_documents"] == 4
    docs = _docs(db)
    # positions go on after the post's stored comments (c1, c2 at 1 and 2)
    assert docs["A later invented comment."] == ("comment", "Rota (synthetic)", None, 3)
    assert docs["A later comment naming the post by its URL."] == ("comment", "Rota (synthetic)", None, 4)
    assert docs["A later reply to the first comment."] == ("comment", "Rota (synthetic)",
                                                           "First invented comment on the rota.", 5)
    assert docs["A reply to that reply, in the same file."][2] == "A later reply to the first comment."
    assert _rows(db, "SELECT count(*) FROM documents")[0][0] == 9
    assert _rows(db, "SELECT count(*) FROM quarantine")[0][0] == 0


def test_unplaced_rows_wait_in_quarantine_and_are_placed_by_a_later_ingest(tmp_path):
    db = str(tmp_path / "c.duckdb")
    corpus = Corpus(db)
    comments = _write(tmp_path / "comments.jsonl", COMMENTS)
    summary = corpus.ingest([comments])
    assert summary["outcomes"] == {"ingested": 1, "partial": 1} and summary["new_documents"] == 0
    assert summary["unplaced_rows"] == 3
    q = _rows(db, "SELECT locator, code, reason, raw FROM quarantine ORDER BY locator")
    assert [(loc, code) for loc, code, _, _ in q] == [
        ("line 1", "unplaced_row"), ("line 2", "unplaced_row"), ("line 3", "unplaced_row")]
    assert q[0][2].startswith("unknown post '10' (not a post row in this file, nor a post stored")
    assert q[1][2].startswith("unknown post '10'")  # its own post is unknown too
    assert json.loads(bytes(q[2][3]).decode())["body"] == "An invented comment on pay."   # nothing lost

    corpus.ingest([_write(tmp_path / "posts.jsonl", POSTS)])
    summary = corpus.ingest([comments])  # read again: it has rows waiting
    assert summary["outcomes"] == {"ingested": 1} and summary["new_documents"] == 3
    assert summary["unplaced_rows"] == 0
    assert _rows(db, "SELECT count(*) FROM quarantine")[0][0] == 0
    assert _docs(db)["An invented reply to the first."][2] == "First invented comment on the rota."
    assert _rows(db, "SELECT parsed_comments FROM source_files WHERE path_or_url LIKE '%comments.jsonl'") == [(3,)]
    # placed: the file is now known and skipped
    assert corpus.ingest([comments])["outcomes"] == {"unchanged": 1}


def test_a_reply_below_an_unplaced_comment_waits_with_it(tmp_path):
    db = str(tmp_path / "c.duckdb")
    corpus = Corpus(db)
    corpus.ingest([_write(tmp_path / "posts.jsonl", POSTS)])
    rows = [{"id": "x1", "post": "10", "parent": "gone", "body": "A reply to a comment never seen."},
            {"id": "x2", "post": "10", "parent": "x1", "body": "A reply below it."},
            {"id": "x3", "post": "10", "body": "A comment that is placed."}]
    corpus.ingest([_write(tmp_path / "replies.jsonl", rows)])
    q = dict(_rows(db, "SELECT locator, reason FROM quarantine WHERE code = 'unplaced_row'"))
    assert q["line 1"].startswith("unknown parent 'gone' (no comment of post '10'")
    assert q["line 2"].startswith("unknown parent 'x1' (its row cannot be placed)")
    assert set(q) == {"line 1", "line 2"}
    # the reply below keeps its own raw row too (nothing lost: every column as written)
    raw = dict(_rows(db, "SELECT locator, raw FROM quarantine WHERE code = 'unplaced_row'"))
    assert [json.loads(bytes(raw[k]).decode()) for k in ("line 1", "line 2")] == rows[:2]
    assert _docs(db)["A comment that is placed."] == ("comment", "Rota (synthetic)", None, 1)


def test_a_row_id_two_posts_have_had_names_neither(tmp_path):
    db = str(tmp_path / "c.duckdb")
    corpus = Corpus(db)
    corpus.ingest([_write(tmp_path / "one.jsonl", POSTS)])
    other = [{"id": "10", "body": "A different invented post.", "title": "Another (synthetic)",
              "timestamp": "2022-01-01T09:00:00Z"},
             {"id": "12", "body": "One more invented post.", "title": "More (synthetic)"}]
    corpus.ingest([_write(tmp_path / "two.jsonl", other)])
    corpus.ingest([_write(tmp_path / "c.jsonl", [COMMENTS[0], COMMENTS[2]])])
    (reason,) = _rows(db, "SELECT reason FROM quarantine WHERE code = 'unplaced_row'")[0]
    assert _docs(db)["An invented comment on pay."][1] == "Pay (synthetic)"   # id 11 names one post
    assert reason.startswith("ambiguous post '10' (more than one post stored or read earlier has that id")
    # the URL still names the first one
    corpus.ingest([_write(tmp_path / "d.jsonl", [{"id": "c8", "post": POSTS[0]["url"], "body": "By its URL."},
                                                 {"id": "c9", "post": POSTS[0]["url"], "body": "By URL."}])])
    assert _docs(db)["By URL."][1] == "Rota (synthetic)"


def test_resolve_outside_is_required_before_ids_and_keeps_in_file_rows_untouched():
    from pipeline.ingest.ids import assign_ids

    rows, rejects = jsonl_rows("".join(json.dumps(r) + "\n" for r in COMMENTS[:1] + POSTS[1:] + COMMENTS[2:]),
                               {c: c for c in ("id", "post", "parent", "author", "timestamp", "body", "title", "url")})
    res = build(rows, rejects, "Europe/London")
    assert set(res.outside_rows) == {"c1"}                     # c3's post is in the file
    with pytest.raises(ValueError, match="resolve_outside"):
        assign_ids(res, "Europe/London", {})
    placed, outside = resolve_outside(res, "Europe/London", {"table:post:10": "p_stored"})
    assert outside == {"10": "p_stored"} and not placed.rejects and not placed.outside_rows
    docs, keys = assign_ids(placed, "Europe/London", {"table:post:10": "p_stored"}, outside=outside)
    by_text = {d.text: d for d in docs}
    assert by_text["First invented comment on the rota."].post_id == "p_stored"
    pay = next(d for d in docs if d.kind == "post")
    assert by_text["An invented comment on pay."].post_id == pay.doc_id
    assert keys["table:post:11"] == pay.doc_id
    assert keys[f"table:comment:p_stored:c1"] == by_text["First invented comment on the rota."].doc_id


def test_other_readers_are_unchanged_by_table_keys():
    post = RawDoc(local_id="post", kind="post", post_local="post", text="An invented body.", title="T")
    res = ParseResult(format="text_dump", docs=[post])
    assert not res.table_ids and resolve_outside(res, "Europe/London", {}) == (res, {})


def test_the_cli_says_rows_wait(tmp_path):
    from click.testing import CliRunner

    from pipeline.cli.main import main

    db = str(tmp_path / "c.duckdb")
    out = CliRunner().invoke(main, ["ingest", _write(tmp_path / "comments.jsonl", COMMENTS), "--db", db])
    assert out.exit_code == 0, out.output
    assert "1 files: ingested 1, partial 1; 0 new documents" in out.output
    assert "3 table rows wait for a post or parent comment not read yet" in out.output


def test_a_comment_may_name_a_post_of_its_own_file_by_url(tmp_path):
    db = str(tmp_path / "c.duckdb")
    rows = [POSTS[0], COMMENTS[0],
            {"id": "u1", "post": "https://example.blogspot.com/2021/03/rota.html#comments",
             "body": "Naming the post by its address.", "timestamp": "2021-03-01T12:00:00Z"}]
    summary = Corpus(db).ingest([_write(tmp_path / "mixed.jsonl", rows)])
    assert summary["outcomes"] == {"ingested": 1} and summary["unplaced_rows"] == 0
    docs = _docs(db)
    # one thread: numbered together with the comment naming the post by its row id
    assert docs["First invented comment on the rota."][1:] == ("Rota (synthetic)", None, 1)
    assert docs["Naming the post by its address."][1:] == ("Rota (synthetic)", None, 2)


def test_a_reply_below_an_unplaced_comment_keeps_its_raw_row_when_its_post_is_in_the_file(tmp_path):
    db = str(tmp_path / "c.duckdb")
    rows = [{**POSTS[1], "extra": "kept"},
            {"id": "y1", "post": "11", "parent": "gone", "body": "A reply to a comment never seen.", "extra": 1},
            {"id": "y2", "post": "11", "parent": "y1", "body": "A reply below it.", "extra": 2},
            {"id": "y3", "post": "11", "body": "A comment that is placed.", "extra": 3}]
    summary = Corpus(db).ingest([_write(tmp_path / "thread.jsonl", rows)])
    assert summary["unplaced_rows"] == 2 and summary["new_documents"] == 2
    raw = dict(_rows(db, "SELECT locator, raw FROM quarantine WHERE code = 'unplaced_row'"))
    # both raw rows as written, with the column no reader maps
    assert [json.loads(bytes(raw[k]).decode()) for k in ("line 2", "line 3")] == rows[1:3]
    assert _docs(db)["A comment that is placed."] == ("comment", "Pay (synthetic)", None, 1)
