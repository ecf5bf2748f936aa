"""blogger_feed_json: ?alt=json feeds give exactly what their Atom twins give."""

from __future__ import annotations

import json
from tests.ingest.golden import check_golden
from tests.ingest.readers.blogger_fixtures import FIXTURES, one_line, read, read_data, read_ok


def test_golden():
    check_golden(read_ok("comments_feed_page1.json", "blogger_feed_json"), "blogger_feed_json",
                 "comments_feed_page1")


def test_same_documents_as_the_atom_feed():
    atom = read_ok("comments_feed_page1.atom.xml", "blogger_feed_atom")
    js = read_ok("comments_feed_page1.json", "blogger_feed_json")
    assert js.docs == atom.docs
    assert (js.declared_comments, js.warnings, js.rejects) == (atom.declared_comments, atom.warnings, atom.rejects)


def test_json_in_script_and_single_entry_responses():
    text = (FIXTURES / "comments_feed_page1.json").read_text(encoding="utf-8")
    wrapped = read_data(f"gdata.io.handleScriptLoaded({text});".encode(), "feed.js")
    assert wrapped.format == "blogger_feed_json" and wrapped.result.docs == read("comments_feed_page1.json").result.docs
    entry = json.loads(text)["feed"]["entry"][1]
    single = read_data(json.dumps({"version": "1.0", "entry": entry}).encode(), "entry.json")
    (doc,) = single.result.docs
    assert (doc.post_local, doc.parent_local) == ("5550001112223334446", "7100000000000000001")


def test_malformed_json_is_an_input_error():
    data = (FIXTURES / "comments_feed_page1.json").read_bytes()
    out = read_data(data[: len(data) // 2], "feed.json")
    assert out.format == "blogger_feed_json"
    assert out.error.code == "malformed_json" and one_line(out.error.message)
    assert "line" in out.error.message


def test_json_without_a_feed_is_refused_when_forced():
    out = read_data(b'{"items": [1, 2]}', "x.json", forced_format="blogger_feed_json")
    assert out.error.code == "not_blogger_json" and one_line(out.error.message)


def test_entry_with_unreadable_time_is_rejected_not_dropped():
    feed = {"version": "1.0", "feed": {"entry": [
        {"id": {"$t": "tag:blogger.com,1999:blog-1.post-71"}, "content": {"type": "html", "$t": "Placed."},
         "thr$in-reply-to": {"ref": "tag:blogger.com,1999:blog-1.post-55"}},
        {"id": {"$t": "tag:blogger.com,1999:blog-1.post-72"}, "content": {"type": "html", "$t": "Bad time."},
         "thr$in-reply-to": {"ref": "tag:blogger.com,1999:blog-1.post-55"}, "published": {"$t": "not a date"}}]}}
    res = read_data(json.dumps(feed).encode(), "f.json").result
    assert [(d.local_id, d.post_local) for d in res.docs] == [("71", "55")]
    (rej,) = res.rejects
    assert rej.locator == "entry 2" and "published" in rej.reason and '"Bad time."' in rej.raw
