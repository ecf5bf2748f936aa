"""Deep input is read correctly and whole (issue 14): a 3,000-deep reply chain (1.3 MB of
invented comments, built here) and a page of 3,000 nested blocks. Speed is measured in
benchmarks/large_input_bench.py, not here; this is a pass/fail correctness test."""

from __future__ import annotations

import pytest

from benchmarks.hostile import deep_page, deep_thread
from pipeline.api import Corpus
from tests.readkit import read_bytes
from pipeline.store import connect


@pytest.mark.slow
def test_a_3000_deep_reply_chain_is_ingested_with_every_parent(tmp_path):
    page = tmp_path / "deep.html"
    page.write_bytes(deep_thread(3000))
    db = str(tmp_path / "deep.duckdb")
    summary = Corpus(db).ingest([str(page)])
    assert summary["outcomes"]["ingested"] == 1
    conn = connect(db, read_only=True)
    try:
        rows = conn.execute(
            "SELECT c.author, p.author FROM documents c LEFT JOIN documents p ON p.doc_id = c.parent_id "
            "WHERE c.author LIKE 'Replier %'").fetchall()
    finally:
        conn.close()
    parents = {int(a.split()[1]): (int(b.split()[1]) if b and b.startswith("Replier") else None) for a, b in rows}
    assert len(parents) == 3000
    assert parents[0] is None and all(parents[i] == i - 1 for i in range(1, 3000))


def test_a_page_of_3000_nested_blocks_keeps_all_its_text():
    out = read_bytes(deep_page(3000), "nested.html")
    assert out.ok, out.error
    post = next(d for d in out.result.docs if d.kind == "post")
    assert post.text.count("caseload officer") >= 3000
    assert "2999 caseload" in post.text and "An invented opening paragraph" in post.text


def test_a_text_copy_with_more_than_9999_comments_is_read_whole():
    lines = ["Monday, 1 July 2019", "", "An invented post with very many comments", "",
             "Invented body text.", "", "10005 comments:", ""]
    for n in range(1, 10006):
        lines += [f"  {n}. Invented comment number {n}.", "", "    ReplyDelete"]
    out = read_bytes("\n".join(lines).encode(), "many.txt")
    assert out.ok, out.error
    comments = [d for d in out.result.docs if d.kind == "comment"]
    assert len(comments) == 10005 and not out.result.rejects
    assert comments[-1].text == "Invented comment number 10005."
