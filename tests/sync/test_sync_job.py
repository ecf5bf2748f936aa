"""The sync job against a synthetic Blogger blog served on 127.0.0.1 by the test itself."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pipeline.sync.feeds import SyncError
from pipeline.sync.http import backoff_delay
from tests.sync.blogsim import Fault
from tests.sync.conftest import query

POSTS = "/feeds/posts/default"
COMMENTS = "/feeds/comments/default"
LAST_POST = "2026-01-19T08:15:00.000Z"      # the latest <updated> of blog.json's posts
LAST_COMMENT = "2026-01-19T09:00:00.000Z"   # and of its comments


def _docs(db: str) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in query(db, "SELECT blogger_id, kind, doc_id, text, parent_id FROM documents")}


def _marks(db: str) -> dict[str, str]:
    return dict(query(db, "SELECT feed, watermark FROM sync_watermarks"))


@pytest.mark.parametrize("fmt", ["atom", "json"])
def test_first_sync_follows_pagination_and_keeps_raw_pages(blog, do_sync, tmp_db, fake_time, fmt):
    summary, client = do_sync(blog.base + "/", fmt=fmt)
    docs = _docs(tmp_db)
    assert len(docs) == 9 and sum(1 for d in docs.values() if d[0] == "post") == 3
    # the reply keeps its parent, and every comment its place in its thread
    assert docs["2000000000000000003"][3] == docs["2000000000000000002"][1]
    positions = dict(query(tmp_db, "SELECT blogger_id, position FROM documents WHERE kind = 'comment'"))
    assert [positions[f"200000000000000000{i}"] for i in range(1, 7)] == [1, 2, 3, 1, 2, 1]
    # pagination: max_results=2 gives posts 1,3 and comments 1,3,5 (rel=next followed)
    starts = [(r.path, r.query["start-index"]) for r in blog.feed_requests()]
    assert [s for p, s in starts if p == POSTS] == ["1", "3"]
    assert [s for p, s in starts if p == COMMENTS] == ["1", "3", "5"]
    assert all(r.query["alt"] == fmt and "updated-min" not in r.query for r in blog.feed_requests())
    # every page written raw under raw_dir/<host>/<timestamp>/ and recorded in sources
    folder = Path(summary["raw_dir"])
    assert folder.parent.name == blog.base.split("//")[1].replace(":", "_")
    files = sorted(folder.iterdir())
    assert len(files) == summary["pages"] == 9
    assert {r[0] for r in query(tmp_db, "SELECT path_or_url FROM sources")} == {str(f) for f in files}
    fetched = query(tmp_db, "SELECT url, path, source_id, outcome FROM sync_fetches ORDER BY seq")
    assert [Path(p) for _, p, _, _ in fetched] == files
    assert all(src and outcome == "ok" for _, _, src, outcome in fetched)
    assert _marks(tmp_db) == {"posts": LAST_POST, "comments": LAST_COMMENT}
    # polite: our User-Agent on every request, robots.txt read first, the delay between requests
    assert blog.requests[0].path == "/robots.txt"
    assert {r.headers["User-Agent"] for r in blog.requests} == {client.user_agent}
    assert fake_time.sleeps and all(s == pytest.approx(0.5) for s in fake_time.sleeps)
    assert len(fake_time.sleeps) == len(blog.requests) - 1


def test_second_sync_asks_only_for_updates_after_the_watermark(blog, do_sync, tmp_db):
    do_sync(blog.base)
    blog.requests.clear()
    blog.add_comment(id="2000000000000000007", post="1000000000000000003", author="Anonymous",
                     body="A late invented comment about the fictional biscuits.",
                     published="2026-01-25T10:00:00.000Z", updated="2026-01-25T10:00:00.000Z")
    summary, _ = do_sync(blog.base)
    posts = [r.query for r in blog.feed_requests() if r.path == POSTS]
    comments = [r.query for r in blog.feed_requests() if r.path == COMMENTS]
    assert [(q["updated-min"], q["orderby"]) for q in posts] == [(LAST_POST, "updated")]
    assert [(q["updated-min"], q["orderby"]) for q in comments] == [(LAST_COMMENT, "updated")]
    # only the post whose comments changed is re-read in full
    per_post = {r.path for r in blog.feed_requests("/comments/default") if r.path != COMMENTS}
    assert per_post == {"/feeds/1000000000000000003/comments/default"}
    assert summary["new_documents"] == 1
    assert "2000000000000000007" in _docs(tmp_db)
    assert _marks(tmp_db) == {"posts": LAST_POST, "comments": "2026-01-25T10:00:00.000Z"}


def test_edited_comment_keeps_its_earlier_text(blog, do_sync, tmp_db):
    do_sync(blog.base)
    before = _docs(tmp_db)["2000000000000000002"]
    c = blog.comment("2000000000000000002")
    old = c["body"]
    c.update(body="Made-up reply two, edited: the kettle now has its own rota.", updated="2026-01-26T08:00:00.000Z")
    summary, _ = do_sync(blog.base)
    after = _docs(tmp_db)["2000000000000000002"]
    assert summary["edited"] == 1 and summary["new_documents"] == 0
    assert after[1] == before[1]  # same document, same id
    assert after[2] == c["body"]  # the current text is the new one
    versions = query(tmp_db, "SELECT version, text, is_current, replaced_at IS NOT NULL, source_id, replaced_by_source_id "
                             "FROM document_versions WHERE doc_id = ? ORDER BY version", [after[1]])
    assert [(v, t, cur) for v, t, cur, *_ in versions] == [(1, old, False), (2, c["body"], True)]
    assert versions[0][3] and versions[0][4] and versions[0][5] == versions[1][4]
    # and the source that brought it says so
    warnings = [w for (ws,) in query(tmp_db, "SELECT warnings FROM sources") for w in ws]
    assert any("2000000000000000002" in w and "new text" in w for w in warnings)
    # the reply to it still points at it
    assert _docs(tmp_db)["2000000000000000003"][3] == after[1]


def test_deleted_comment_is_marked_never_removed(blog, do_sync, tmp_db):
    do_sync(blog.base)
    gone = _docs(tmp_db)["2000000000000000001"][1]
    blog.delete_comment("2000000000000000001")
    # another comment on the same post: the post's comments changed, so its feed is re-read in full
    blog.add_comment(id="2000000000000000008", post="1000000000000000001", author="Anonymous",
                     body="An invented newcomer to the rota thread.", published="2026-01-27T10:00:00.000Z",
                     updated="2026-01-27T10:00:00.000Z")
    summary, _ = do_sync(blog.base)
    assert summary["deleted"] == 1
    rows = query(tmp_db, "SELECT doc_id, deleted_at, noticed_in, kind FROM deleted_documents")
    assert [(r[0], r[3]) for r in rows] == [(gone, "comment")]
    assert rows[0][1] is not None and "/feeds/1000000000000000001/comments/default" in rows[0][2]
    assert gone in {r[1] for r in _docs(tmp_db).values()}  # still in documents
    # a second sync does not mark it again
    summary, _ = do_sync(blog.base)
    assert summary["deleted"] == 0
    assert query(tmp_db, "SELECT count(*) FROM deleted_documents") == [(1,)]


def test_full_sync_notices_a_deletion_on_an_unchanged_post(blog, do_sync, tmp_db):
    do_sync(blog.base)
    blog.delete_comment("2000000000000000005")
    assert do_sync(blog.base)[0]["deleted"] == 0  # no comment changed: the delta cannot show it
    summary, _ = do_sync(blog.base, full=True)
    assert summary["deleted"] == 1
    assert query(tmp_db, "SELECT blogger_id FROM deleted_documents") == [("2000000000000000005",)]


def test_full_sync_notices_a_deleted_post_and_its_comments(blog, do_sync, tmp_db):
    do_sync(blog.base)
    blog.state["posts"] = [p for p in blog.state["posts"] if p["id"] != "1000000000000000002"]
    blog.delete_comment("2000000000000000004")
    blog.delete_comment("2000000000000000005")
    summary, _ = do_sync(blog.base, full=True)
    assert summary["deleted"] == 3
    gone = query(tmp_db, "SELECT blogger_id, kind FROM deleted_documents ORDER BY blogger_id")
    assert gone == [("1000000000000000002", "post"), ("2000000000000000004", "comment"),
                    ("2000000000000000005", "comment")]
    assert query(tmp_db, "SELECT count(*) FROM documents") == [(9,)]  # never removed


def test_timeout_then_success(blog, do_sync, tmp_db):
    blog.faults.append(Fault(POSTS, pause_s=1.5))
    summary, client = do_sync(blog.base, timeout_seconds=0.4)
    assert client.stats.retries == 1
    assert [r.query["start-index"] for r in blog.feed_requests() if r.path == POSTS] == ["1", "1", "3"]
    assert len(_docs(tmp_db)) == 9 and summary["watermark_held"] is None


def test_500_then_success(blog, do_sync, tmp_db, fake_time):
    blog.faults.append(Fault(COMMENTS, status=500))
    summary, client = do_sync(blog.base)
    assert client.stats.retries == 1
    assert [r.query["start-index"] for r in blog.feed_requests() if r.path == COMMENTS] == ["1", "1", "3", "5"]
    # the backoff of the first retry: backoff_base 1.0 with equal jitter (the test's rng is seeded 7)
    expected = backoff_delay(1, 1.0, 8.0, random.Random(7))
    assert 0.5 <= expected <= 1.0 and expected in fake_time.sleeps
    assert len(_docs(tmp_db)) == 9


def test_429_waits_as_long_as_retry_after_says(blog, do_sync, tmp_db, fake_time):
    blog.faults.append(Fault(POSTS, status=429, headers={"Retry-After": "7"}))
    summary, client = do_sync(blog.base)
    assert client.stats.retries == 1
    assert 7.0 in fake_time.sleeps  # honoured exactly, through the injected clock
    assert client.stats.waits.count(7.0) == 1
    assert len(_docs(tmp_db)) == 9


def test_404_is_not_retried_and_changes_nothing(blog, do_sync, tmp_db):
    blog.faults.append(Fault(COMMENTS, status=404, times=5))
    with pytest.raises(SyncError, match="HTTP 404"):
        do_sync(blog.base)
    assert len([r for r in blog.feed_requests() if r.path == COMMENTS]) == 1
    assert query(tmp_db, "SELECT count(*) FROM documents") == [(0,)]
    assert _marks(tmp_db) == {}
    assert query(tmp_db, "SELECT flow, status FROM runs") == [("sync", "failed")]


def test_robots_disallow_is_honoured(blog, do_sync, tmp_db):
    blog.robots = "User-agent: *\nDisallow: /feeds/\n"
    with pytest.raises(SyncError, match="robots.txt"):
        do_sync(blog.base)
    assert [r.path for r in blog.requests] == ["/robots.txt"]
    assert query(tmp_db, "SELECT count(*) FROM documents") == [(0,)]


def test_malformed_page_is_quarantined_and_the_rest_kept(blog, do_sync, tmp_db):
    broken = (Path(__file__).resolve().parents[1] / "fixtures" / "sync" / "malformed_page.atom.xml").read_text()
    broken = broken.replace("{BASE}", blog.base).encode()
    blog.faults.append(Fault(COMMENTS, body=broken, query={"start-index": "3"}))
    summary, _ = do_sync(blog.base)
    assert summary["malformed_pages"] == 1
    rows = query(tmp_db, "SELECT source, code FROM quarantine")
    assert rows and {code for _, code in rows} <= {"malformed_xml"}
    bad = {src for src, _ in rows}
    assert len(bad) == 1 and "comments-002" in next(iter(bad))
    # the rest kept: every document (the per-post feeds carry the comments of the broken page)
    assert len(_docs(tmp_db)) == 9
    # the broken page's rel=next was still followed (page 3 fetched)
    assert [r.query["start-index"] for r in blog.feed_requests() if r.path == COMMENTS] == ["1", "3", "5"]
    # the watermark is held so that the next sync asks again
    assert summary["watermark_held"] and _marks(tmp_db) == {}
    assert query(tmp_db, "SELECT outcome FROM sync_fetches WHERE path = ?", [next(iter(bad))]) == [("malformed",)]


def test_failure_half_way_keeps_the_watermark_and_the_next_run_fetches_the_rest(blog, do_sync, tmp_db):
    do_sync(blog.base)
    for i, post in ((7, "1000000000000000001"), (8, "1000000000000000002"), (9, "1000000000000000003")):
        blog.add_comment(id=f"200000000000000000{i}", post=post, author="Anonymous",
                         body=f"Invented late comment number {i} on a fictional thread.",
                         published=f"2026-01-2{i}T10:00:00.000Z", updated=f"2026-01-2{i}T10:00:00.000Z")
    # page 2 of the comments delta fails every try
    blog.faults.append(Fault(COMMENTS, status=503, times=3, query={"start-index": "3"}))
    with pytest.raises(SyncError, match="HTTP 503"):
        do_sync(blog.base)
    assert _marks(tmp_db) == {"posts": LAST_POST, "comments": LAST_COMMENT}
    assert query(tmp_db, "SELECT count(*) FROM documents") == [(9,)]
    blog.requests.clear()
    summary, _ = do_sync(blog.base)
    asked = [r.query for r in blog.feed_requests() if r.path == COMMENTS]
    assert asked[0]["updated-min"] == LAST_COMMENT  # from the old watermark again
    assert summary["new_documents"] == 3
    assert {"2000000000000000007", "2000000000000000008", "2000000000000000009"} <= set(_docs(tmp_db))
    assert _marks(tmp_db)["comments"] == "2026-01-29T10:00:00.000Z"


def test_a_feed_url_names_the_same_blog(blog, do_sync, tmp_db):
    do_sync(blog.base + "/feeds/posts/default?alt=rss")
    assert len(_docs(tmp_db)) == 9
    assert query(tmp_db, "SELECT DISTINCT blog FROM sync_watermarks") == [(blog.base + "/feeds",)]


def test_crawl_delay_of_robots_txt_wins_over_a_shorter_delay(blog, do_sync, fake_time):
    blog.robots = "User-agent: *\nCrawl-delay: 5\nAllow: /\n"
    do_sync(blog.base)
    assert fake_time.sleeps and all(s == pytest.approx(5.0) for s in fake_time.sleeps[1:])


def test_a_retry_after_too_long_stops_instead_of_hanging(blog, do_sync, tmp_db, fake_time):
    blog.faults.append(Fault(POSTS, status=503, headers={"Retry-After": "86400"}))
    with pytest.raises(SyncError, match="asks to wait 86400 s"):
        do_sync(blog.base)
    assert 86400.0 not in fake_time.sleeps
    assert _marks(tmp_db) == {}


def test_timeouts_every_time_give_up_after_max_retries(blog, do_sync, tmp_db):
    blog.faults.append(Fault(POSTS, pause_s=1.0, times=3))
    with pytest.raises(SyncError, match="timed out 3 times"):
        do_sync(blog.base, timeout_seconds=0.3, max_retries=2)
    assert len([r for r in blog.feed_requests() if r.path == POSTS]) == 3
    assert query(tmp_db, "SELECT count(*) FROM documents") == [(0,)]
