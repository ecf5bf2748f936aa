"""Document ids: the same post or comment from two forms is one document; distinct posts
never merge."""

from __future__ import annotations

from datetime import datetime

from pipeline.ingest.ids import assign_ids, local_date
from pipeline.records import ParseResult, RawDoc

BODY = "The regional layer changes nothing. " * 30


def page(title, when, body=BODY, date_only=True, comments=("First!", "Second.")):
    docs = [RawDoc("post", "post", "post", body, 0, title=title, published_at=when, date_only=date_only)]
    docs += [RawDoc(f"c{i}", "comment", "post", t, i) for i, t in enumerate(comments, 1)]
    return ParseResult("test", docs)


def ids(result, known=None):
    docs, keys = assign_ids(result, "Europe/London", known)
    return [d.doc_id for d in docs], keys


def test_same_post_from_a_copy_and_a_feed_gets_one_id():
    a, _ = ids(page("Guest Blog 90", datetime(2023, 3, 15)))
    # the feed knows the exact UTC time: 23:30 UTC on 14 March is 15 March? no: GMT in March
    b, _ = ids(page("Guest  blog 90!", datetime(2023, 3, 15, 9, 30), date_only=False))
    assert a == b


def test_local_date_uses_the_blog_time_zone():
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST)
    assert local_date(datetime(2019, 6, 30, 23, 30), False, "Europe/London") == "2019-07-01"
    assert local_date(datetime(2019, 6, 30, 23, 30), True, "Europe/London") == "2019-06-30"


def test_two_posts_with_the_same_opening_stay_apart():
    a, keys = ids(page("Guest Blog 1", datetime(2020, 1, 1)))
    b, _ = ids(page("Guest Blog 2", datetime(2020, 2, 1)), keys)
    assert a[0] != b[0]


def test_a_headerless_copy_joins_the_titled_post_by_its_body():
    a, keys = ids(page("Guest Blog 1", datetime(2020, 1, 1)))
    b, _ = ids(page(None, None), keys)
    assert b == a


def test_identical_comments_in_one_thread_are_kept_apart():
    got, _ = ids(page("T", datetime(2020, 1, 1), comments=("Thanks.", "Thanks.", "Thanks!")))
    assert len(set(got)) == 4


def test_comments_feed_before_posts_feed_join_up():
    comments = ParseResult("feed", [RawDoc("7001", "comment", "555", "A comment.", 1, blogger_id="7001")])
    c_ids, keys = ids(comments)
    post = ParseResult("feed", [RawDoc("555", "post", "555", "Body", 0, title="T",
                                        published_at=datetime(2020, 1, 1, 12), blogger_id="555")])
    docs, _ = assign_ids(post, "Europe/London", keys)
    assert docs[0].doc_id == keys["blogger:555"]


def _feed_page(*comments):
    """A comments-feed page: (blogger id, text, parent blogger id) for post 555."""
    return ParseResult("feed", [RawDoc(bid, "comment", "555", text, i, parent_local=parent, blogger_id=bid)
                                for i, (bid, text, parent) in enumerate(comments, 1)])


def test_a_reply_on_page_two_finds_its_parent_on_page_one():
    page1, keys = ids(_feed_page(("9001", "Top comment.", None)))
    docs2, _ = assign_ids(_feed_page(("9002", "A reply.", "9001")), "Europe/London", keys)
    assert docs2[0].parent_id == page1[0]


def test_same_text_on_two_pages_stays_two_comments_and_a_text_copy_joins_both():
    p1, keys = ids(_feed_page(("9001", "+1", None)))
    p2, keys2 = ids(_feed_page(("9002", "+1", None)), keys)
    assert p1[0] != p2[0]
    keys.update(keys2)
    again, _ = ids(_feed_page(("9002", "+1", None)), keys)  # the same page re-read
    assert again == p2
    # a text copy of the thread (no Blogger ids) maps its two "+1"s onto the same two ids
    copy = ParseResult("text", [RawDoc("c1", "comment", "555", "+1", 1), RawDoc("c2", "comment", "555", "+1", 2)])
    assert "blogger:555" in keys
    docs, _ = assign_ids(copy, "Europe/London", keys)
    assert {d.doc_id for d in docs} == {p1[0], p2[0]}


def test_comments_keyed_by_page_url_join_the_post_with_that_url():
    frag = ParseResult("html", [RawDoc("1", "comment", "url:example.blogspot.com/2020/01/t.html", "Hi.", 1)])
    _, keys = ids(frag)
    post = ParseResult("html", [RawDoc("p", "post", "p", "Body", 0, title="T", published_at=datetime(2020, 1, 1, 12),
                                       url="https://www.example.blogspot.co.uk/2020/01/t.html?m=1")])
    docs, _ = assign_ids(post, "Europe/London", keys)
    assert docs[0].doc_id == keys["blogger:url:example.blogspot.com/2020/01/t.html"]
