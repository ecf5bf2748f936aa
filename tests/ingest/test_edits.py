"""An edited Blogger item (same id, new text) is kept as a new version with a warning,
never dropped (issue 14, item 8). SYNTHETIC feed pages, invented text."""

from __future__ import annotations

from pathlib import Path

from pipeline.store import connect
from tests.stagekit import run_stages

BLOG = "tag:blogger.com,1999:blog-9191919191919191919"


def _feed(comment_text: str, updated: str) -> str:
    """A one-post comments feed page (Atom, Blogger structure) with one comment."""
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<!-- SYNTHETIC test page: invented content -->
<feed xmlns='http://www.w3.org/2005/Atom' xmlns:openSearch='http://a9.com/-/spec/opensearchrss/1.0/' xmlns:thr='http://purl.org/syndication/thread/1.0'>
<id>{BLOG}.post3030303030303030303..comments</id>
<title type='text'>Comments on an invented post</title>
<openSearch:totalResults>1</openSearch:totalResults>
<openSearch:startIndex>1</openSearch:startIndex>
<entry>
<id>{BLOG}.post-4040404040404040404</id>
<published>2026-03-01T10:00:00.000Z</published>
<updated>{updated}</updated>
<content type='html'>{comment_text}</content>
<author><name>Invented Reader</name></author>
<thr:in-reply-to ref='{BLOG}.post-3030303030303030303' href='http://127.0.0.1/2026/03/post.html' type='text/html'/>
</entry>
</feed>
"""


OLD = "A made-up first version of this comment about the invented canteen."
NEW = "A made-up second version: the invented canteen has closed for good."


def _write(tmp_path: Path, name: str, text: str, updated: str) -> Path:
    p = tmp_path / "in" / name
    p.parent.mkdir(exist_ok=True)
    p.write_text(_feed(text, updated), encoding="utf-8")
    return p


def _rows(db: str, sql: str) -> list[tuple]:
    conn = connect(db, read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_edited_blogger_comment_is_a_new_version_not_dropped(tmp_path, tmp_db):
    first = _write(tmp_path, "page-1.atom.xml", OLD, "2026-03-01T10:00:00.000Z")
    out1 = run_stages(tmp_db, [first], stages=("ingest",))
    second = _write(tmp_path, "page-2.atom.xml", NEW, "2026-03-02T09:00:00.000Z")
    out2 = run_stages(tmp_db, [second], stages=("ingest",))
    assert out1["ingest"]["new_documents"] == 1 and out2["ingest"]["new_documents"] == 0
    # the edited item is visible: one document, its current text the new one
    docs = _rows(tmp_db, "SELECT doc_id, text FROM documents WHERE kind = 'comment'")
    assert [t for _, t in docs] == [NEW]
    # the earlier text is kept as version 1, the new one is version 2 (current)
    versions = _rows(tmp_db, "SELECT version, text, is_current FROM document_versions ORDER BY version")
    assert versions == [(1, OLD, False), (2, NEW, True)]
    # with a warning on the source that brought it, not silently
    warnings = _rows(tmp_db, f"SELECT warnings FROM sources WHERE path_or_url = '{second}'")[0][0]
    assert any("4040404040404040404" in w and "new text" in w for w in warnings)
    assert out2["ingest"]["outcomes"].get("with_warnings") == 1


def test_the_same_text_again_is_no_edit(tmp_path, tmp_db):
    run_stages(tmp_db, [_write(tmp_path, "a.atom.xml", OLD, "2026-03-01T10:00:00.000Z")], stages=("ingest",))
    # same text, other bytes (a later fetch with a new <updated>)
    run_stages(tmp_db, [_write(tmp_path, "b.atom.xml", OLD, "2026-03-05T10:00:00.000Z")], stages=("ingest",))
    assert _rows(tmp_db, "SELECT count(*) FROM document_versions") == [(0,)]


def test_two_versions_in_one_batch_keep_the_order_read(tmp_path, tmp_db):
    a = _write(tmp_path, "1.atom.xml", OLD, "2026-03-01T10:00:00.000Z")
    b = _write(tmp_path, "2.atom.xml", NEW, "2026-03-02T09:00:00.000Z")
    run_stages(tmp_db, [a, b], stages=("ingest",))
    assert _rows(tmp_db, "SELECT version, text, is_current FROM document_versions ORDER BY version") == [
        (1, OLD, False), (2, NEW, True)]


def test_downstream_stages_see_an_edited_document_as_changed(tmp_path, tmp_db):
    """clean, dedupe and segment key their work on the text: the edited document (and only
    it) is redone on the next run. embed keys on the own text's hash and classify reads
    every own text each run (both checked through their inputs)."""
    first = _write(tmp_path, "p1.atom.xml", OLD, "2026-03-01T10:00:00.000Z")
    run_stages(tmp_db, [first])
    again = run_stages(tmp_db, [])
    assert (again["clean"]["cleaned"], again["dedupe"]["hashed"]) == (0, 0)
    second = _write(tmp_path, "p2.atom.xml", NEW, "2026-03-02T09:00:00.000Z")
    out = run_stages(tmp_db, [second])
    assert out["clean"]["cleaned"] == 1
    assert out["dedupe"]["hashed"] == 1
    assert out["segment"]["segmented"] >= 1
    own = _rows(tmp_db, "SELECT own_text, clean_text FROM documents WHERE kind = 'comment'")
    assert "closed for good" in own[0][0] and "closed for good" in own[0][1]
    # embed's key: the content hash of the own text, which changed
    from pipeline.embed import content_hash
    assert content_hash(own[0][0]) != content_hash(OLD)
