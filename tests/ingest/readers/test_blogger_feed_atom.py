"""blogger_feed_atom: posts and comments feeds, pagination, joining forms, XML safety."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pipeline.ingest.readers.blogger_feed_atom import sniff
from tests.ingest.golden import check_golden
from tests.ingest.readers.blogger_fixtures import FIXTURES, ingest_in_order, one_line, read_data, read_ok

FEEDS = ["posts_feed.atom.xml", "comments_feed_page1.atom.xml", "comments_feed_page2.atom.xml"]


@pytest.mark.parametrize("name", FEEDS)
def test_golden(name):
    check_golden(read_ok(name, "blogger_feed_atom"), "blogger_feed_atom", Path(name).stem)


def test_posts_feed_content_kinds_and_declared_total():
    res = read_ok("posts_feed.atom.xml", "blogger_feed_atom")
    html, xhtml, summary = res.docs
    assert html.published_at == datetime(2019, 6, 30, 21, 15)  # +01:00 offset -> UTC
    assert html.url == "https://probationmatters.blogspot.com/2019/06/rota-chaos-part-two.html"
    assert xhtml.text == "First invented paragraph.\n\nSecond, with\na break."
    assert summary.flags == ("summary_only",) and html.flags == ()
    assert res.declared_comments is None  # thr:total counts comments held in other feeds
    assert all(d.kind == "post" and d.position == 0 and d.local_id == d.blogger_id for d in res.docs)


def test_comment_links_post_by_in_reply_to_and_parent_by_related_link():
    res = read_ok("comments_feed_page1.atom.xml", "blogger_feed_atom")
    assert {d.post_local for d in res.docs} == {"5550001112223334446"}
    assert [(d.local_id[-1], (d.parent_local or "")[-1:], d.position) for d in res.docs] == [
        ("1", "", 1), ("2", "1", 2), ("4", "1", 3)]  # '?v=2' stripped from the related link
    assert res.declared_comments is None  # a page with rel=next: the total is not this file's


def test_two_pages_of_one_comments_feed_join_up():
    p1 = read_ok("comments_feed_page1.atom.xml", "blogger_feed_atom")
    p2 = read_ok("comments_feed_page2.atom.xml", "blogger_feed_atom")
    # page 2 starts at openSearch:startIndex 4 and keeps the cross-page parent id
    assert [d.position for d in p2.docs] == [4, 5]
    assert p2.docs[0].parent_local == p1.docs[1].local_id
    posts_doc, page1, page2 = ingest_in_order("posts_feed.atom.xml", *FEEDS[1:])
    post_id = posts_doc[0].doc_id
    assert {d.post_id for d in page1 + page2} == {post_id}
    assert len({d.doc_id for d in page1 + page2}) == 5
    assert page1[1].parent_id == page1[0].doc_id


def test_comments_feed_before_its_post_still_joins():
    page1, posts_doc = ingest_in_order("comments_feed_page1.atom.xml", "posts_feed.atom.xml")
    assert {d.post_id for d in page1} == {posts_doc[0].doc_id}


def test_saved_page_and_feeds_give_the_same_documents():
    page, posts_doc, page1, page2 = ingest_in_order(
        "threaded_page.html", "posts_feed.atom.xml", *FEEDS[1:])
    assert posts_doc[0].doc_id == page[0].doc_id
    html_comments = {d.blogger_id: d for d in page[1:]}
    for d in page1 + page2:
        assert d.doc_id == html_comments[d.blogger_id].doc_id
        assert d.published_at == html_comments[d.blogger_id].published_at
    # the page still shows a deleted comment (position 5) that the feed no longer lists
    assert [d.position for d in page[1:]] == [1, 2, 4, 3, 5, 6]
    assert [d.position for d in page1 + page2] == [1, 2, 3, 4, 5]


def test_a_feed_saved_as_txt_is_still_a_feed():
    data = (FIXTURES / "comments_feed_page1.atom.xml").read_bytes()
    out = read_data(data, "notes.txt")
    assert out.format == "blogger_feed_atom" and out.result.parsed_comments == 3
    assert sniff(data.decode(), "x.html") == 0.9


# ---------------------------------------------------------------- bad XML

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>
<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>tag:blogger.com,1999:blog-1.post-2</id>
<content type='text'>&lol2;</content></entry></feed>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>tag:blogger.com,1999:blog-1.post-2</id>
<content type='text'>&xxe;</content></entry></feed>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE feed SYSTEM "http://example.invalid/evil.dtd">
<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>tag:blogger.com,1999:blog-1.post-2</id></entry></feed>"""


@pytest.mark.parametrize("data", [LAUGHS, EXTERNAL, EXTERNAL_DTD], ids=["billion_laughs", "xxe", "external_dtd"])
def test_entities_and_external_references_are_refused(data):
    out = read_data(data, "feed.xml")
    assert out.format == "blogger_feed_atom"
    assert out.error.code == "xml_entities" and one_line(out.error.message)
    assert "refused" in out.error.message


def test_truncated_feed_keeps_complete_entries_and_rejects_the_rest():
    data = (FIXTURES / "comments_feed_page1.atom.xml").read_bytes()
    cut = data[:data.index(b"A second reply to the first comment")]
    res = read_data(cut, "feed.xml").result
    assert [d.local_id[-1] for d in res.docs] == ["1", "2"]
    assert any("breaks off" in w for w in res.warnings)
    (rej,) = res.rejects
    assert rej.code == "malformed_xml" and rej.locator.startswith("after entry 2")
    assert rej.raw.startswith(b"<entry>") and b"7100000000000000004" in rej.raw


def test_malformed_feed_without_a_complete_entry_is_an_input_error():
    data = (FIXTURES / "comments_feed_page1.atom.xml").read_bytes()
    out = read_data(data[:data.index(b"</entry>")], "feed.xml")
    assert out.error.code == "malformed_xml" and one_line(out.error.message)
    assert "line" in out.error.message
