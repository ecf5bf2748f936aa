"""blogger_html: saved post pages, threaded and flat comments, truncated pages."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pipeline.ingest.readers.blogger_html import sniff
from tests.ingest.golden import check_golden
from tests.ingest.readers.blogger_fixtures import FIXTURES, read_data, read_ok

PAGES = ["threaded_page.html", "legacy_page.html", "comments_fragment.html"]
FURNITURE = ["Blog Archive", "Followers", "Post a Comment", "Newer Post", "Older Post", "Subscribe to",
             "Email This", "Furniture", "Load more", "Add comment", "said...", "Posted by", "Delete", "Reply"]


@pytest.mark.parametrize("name", PAGES)
def test_golden(name):
    check_golden(read_ok(name, "blogger_html"), "blogger_html", Path(name).stem)


def test_threaded_page_structure_and_times():
    res = read_ok("threaded_page.html", "blogger_html")
    post, *comments = res.docs
    assert (post.kind, post.title, post.blogger_id, post.author) == (
        "post", "Rota chaos, part two", "5550001112223334446", "Example Author")
    assert post.published_at == datetime(2019, 6, 30, 21, 15) and not post.date_only  # 22:15 BST
    assert post.url == "https://probationmatters.blogspot.com/2019/06/rota-chaos-part-two.html"
    assert post.text.split("\n\n")[0] == ("An invented opening paragraph about office rotas. "
                                          "It wraps in the source but is one paragraph.")
    assert "made-up link.\nA line after a break." in post.text
    by_id = {c.local_id[-1]: c for c in comments}
    assert {k: (c.parent_local or "")[-1:] for k, c in by_id.items()} == {
        "1": "", "2": "1", "3": "2", "4": "1", "5": "", "6": ""}  # nested: 3 replies to 2
    assert all(c.post_local == post.local_id for c in comments)
    # positions by time; 2 and 4 share a minute, file order breaks the tie
    assert {k: c.position for k, c in by_id.items()} == {"1": 1, "2": 2, "4": 3, "3": 4, "5": 5, "6": 6}
    assert by_id["1"].text == "Invented first comment.\nIt has a second line.\n\nAnd a second paragraph."
    assert by_id["1"].published_at == datetime(2019, 6, 30, 22, 35)   # showComment epoch ms
    assert by_id["6"].published_at == datetime(2019, 7, 1, 11, 5)     # shown '12:05' BST, no permalink time
    assert by_id["2"].flags == ("blog_author",) and by_id["5"].flags == ("deleted",)
    assert by_id["3"].text == "A nested reply to the owner's answer & more."
    assert res.declared_comments == 6 and res.parsed_comments == 6 and not res.warnings


def test_no_page_furniture_in_any_text():
    for name in PAGES:
        text = "\n".join(d.text for d in read_ok(name, "blogger_html").docs)
        assert not [f for f in FURNITURE if f in text], name


def test_legacy_flat_block_has_no_threading():
    res = read_ok("legacy_page.html", "blogger_html")
    post, *comments = res.docs
    assert post.title == "Caseloads in the old days" and post.blogger_id == "5550001112223330001"
    assert post.published_at == datetime(2010, 11, 9, 22, 20) and not post.date_only  # date header + '10:20 pm'
    assert [c.parent_local for c in comments] == [None, None, None]
    assert [c.author for c in comments] == ["Anonymous", "Example Author", "Made-Up Reader"]
    assert comments[1].text == "The owner answers (no threading in this markup)."  # body timestamp dropped
    assert comments[1].published_at == datetime(2010, 11, 10, 0, 0)
    assert comments[2].published_at == datetime(2010, 11, 10, 8, 15)  # shown local (GMT) time
    assert comments[2].url == ("http://probationmatters.blogspot.co.uk/2010/11/caseloads-in-old-days.html"
                               "#c7200000000000000003")
    assert res.declared_comments == 3


def test_comments_fragment_takes_the_post_id_and_warns_about_load_more():
    res = read_ok("comments_fragment.html", "blogger_html")
    assert [d.post_local for d in res.docs] == ["5550001112223334446"]
    assert res.declared_comments == 3 and res.parsed_comments == 1
    assert any("Load more" in w for w in res.warnings)


def test_shared_flat_example_without_post_is_tied_by_url(formats_dir):
    res = read_ok(formats_dir / "blogger" / "07_legacy_comments_block.html", "blogger_html")
    assert {d.post_local for d in res.docs} == {
        "url:probationmatters.blogspot.com/2011/03/fake-post-about-office-rotas.html"}
    assert any("URL" in w for w in res.warnings)


# ---------------------------------------------------------------- truncated pages


def _page(name="threaded_page.html"):
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_truncated_mid_comment_keeps_the_rest_and_rejects_the_cut_comment():
    text = _page()
    out = read_data(text[:text.index("A top-level comment whose") + 10].encode(), "cut.html")
    assert out.error is None
    res = out.result
    assert [d.local_id[-1] for d in res.docs[1:]] == ["1", "2", "3", "4", "5"]
    assert any("truncated" in w for w in res.warnings)
    (rej,) = res.rejects
    assert rej.locator == "comment c7100000000000000006" and rej.code == "truncated"
    assert "cut off" in rej.reason and rej.raw.startswith('<li class="comment" id="c7100000000000000006">')


def test_truncated_flat_comment_before_its_timestamp_is_rejected():
    text = _page("legacy_page.html")
    cut = text[:text.index("has no showComment value.</p>\n</dd>") + 35]
    res = read_data(cut.encode(), "cut.html").result
    assert [d.local_id[-1] for d in res.docs[1:]] == ["1", "2"]
    assert [r.locator for r in res.rejects] == ["comment c7200000000000000003"]


def test_truncated_after_a_complete_comment_only_warns():
    text = _page()
    end = "removed by the author.</span></p>"
    res = read_data(text[:text.index(end) + len(end)].encode(), "cut.html").result
    assert res.parsed_comments == 5 and not res.rejects and res.warnings


@pytest.mark.parametrize("marker", ["A quoted line", "<body>", "<div class='post-body"])
def test_page_cut_before_anything_complete_is_an_input_error(marker):
    text = _page()
    out = read_data(text[:text.index(marker)].encode(), "cut.html")
    assert out.format == "blogger_html"
    assert out.error.code == "truncated_html" and "\n" not in out.error.message


def test_html_without_blogger_content_is_refused():
    out = read_data(b"<!DOCTYPE html><html><body><p>Just a page.</p></body></html>", "page.html")
    assert out.error.code == "no_blogger_content"


def test_sniff_by_content_not_extension():
    assert sniff(_page(), "page.txt") >= 0.85
    assert sniff(_page("comments_fragment.html"), "x") >= 0.85  # a fragment without <html>
    assert sniff("Monday, 1 July 2019\n\nA title\n\n3 comments:\n", "page.html") == 0.0
    out = read_data(_page().encode(), "saved-page.txt")
    assert out.format == "blogger_html" and out.result.parsed_comments == 6


def test_a_table_mentioning_blogspot_markup_is_not_a_page():
    csv = 'who,comment_text\nA,"<p>see https://x.blogspot.com/p.html</p><div>more</div>"\n'
    assert sniff(csv, "comments.csv") == 0.0
