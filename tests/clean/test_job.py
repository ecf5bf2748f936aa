"""The clean stage through the store: views, incremental runs, mention resolution."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pipeline.store import connect
from tests.stagekit import run_stages

FOUNDATION_COLUMNS = ["doc_id", "kind", "post_id", "parent_id", "position", "author", "published_at", "title",
                      "url", "text", "source", "date_only", "blogger_id", "flags", "source_id"]


def test_views_and_incremental_cleaning(tmp_db, write_dump):
    p = write_dump("a.txt", "Monday, 1 July 2019", "Rotas", "Itâ€™s a mess.\n\nhttps://www.example.org/x\n\nAnon",
                   ["@09:14 that is unfair.\nSee https://bbc.co.uk/news", "Agreed.\n\nBIONIC"])
    s = run_stages(tmp_db, [p], stages=("ingest", "clean"))
    assert s["clean"] == {"cleaned": 3, "links": 2, "mentions": 1, "signoffs": 2, "mentions_resolved": 0,
                          "mention_targets_changed": 0, "worker_processes": 0}
    conn = connect(tmp_db, read_only=True)
    cols = [r[0] for r in conn.execute("DESCRIBE documents").fetchall()]
    assert cols[:len(FOUNDATION_COLUMNS)] == FOUNDATION_COLUMNS  # the view only gained columns
    assert {"clean_text", "own_text", "post_own_intro", "author_inferred"} <= set(cols)
    post = conn.execute("SELECT clean_text, author_inferred FROM documents WHERE kind = 'post'").fetchone()
    assert post[0].startswith("It’s a mess.") and post[1] is None  # not segmented yet
    links = conn.execute("SELECT doc_id, url, domain, position, start, \"end\" FROM links ORDER BY domain").fetchall()
    assert [(l[2], l[3]) for l in links] == [("bbc.co.uk", 0), ("example.org", 0)]
    assert conn.execute("SELECT raw, target_doc_id FROM mentions").fetchall() == [("@09:14", None)]
    conn.close()

    again = run_stages(tmp_db, [p], stages=("clean",))
    assert again["clean"]["cleaned"] == 0
    changed = run_stages(tmp_db, [p], stages=("clean",), clean={"unicode_form": "NFKC"})
    assert changed["clean"]["cleaned"] == 3


def test_mentions_resolve_against_comment_times(tmp_db, sample_dir):
    feed = sample_dir / "feed_comments_P13.atom.xml"
    if not feed.exists():
        import pytest

        pytest.skip("sample feed absent")
    s = run_stages(tmp_db, [feed], stages=("ingest", "clean"))
    assert s["clean"]["mentions_resolved"] >= 1
    conn = connect(tmp_db, read_only=True)
    rows = conn.execute(
        "SELECT m.hour, m.minute, t.published_at, t.post_id = d.post_id, t.published_at < d.published_at "
        "FROM mentions m JOIN documents d USING (doc_id) JOIN documents t ON t.doc_id = m.target_doc_id").fetchall()
    conn.close()
    assert rows
    for hour, minute, ts, same_post, earlier in rows:
        local = ts.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo("Europe/London"))
        assert (local.hour, local.minute) == (hour, minute) and same_post and earlier
