"""html_to_text: line structure kept, markup and furniture gone."""

from __future__ import annotations

import pytest

from pipeline.ingest.html_text import html_to_text, plain_text


@pytest.mark.parametrize("html, text", [
    ("one<br>two<br/><br />three", "one\ntwo\n\nthree"),
    ("<p>a\n  wrapped   line</p><p>next</p>", "a wrapped line\n\nnext"),
    ("<div>line</div><div><br></div><div>after a gap</div>", "line\n\nafter a gap"),
    ("<ul><li>one</li><li>two</li></ul>after", "one\ntwo\n\nafter"),
    ("x&nbsp;&amp;&nbsp;y &lt;tag&gt; &#39;q&#39;", "x & y <tag> 'q'"),
    ("<script>var a = 1;</script><style>p {}</style>kept<!-- note -->", "kept"),
    ("<blockquote>quoted</blockquote>reply", "quoted\n\nreply"),
    ("plain\ntext is one line in HTML", "plain text is one line in HTML"),
    ("", ""),
])
def test_html_to_text(html, text):
    assert html_to_text(html) == text


def test_deep_nesting_does_not_recurse():
    assert html_to_text("<span>" * 5000 + "deep" + "</span>" * 5000) == "deep"


def test_plain_text_keeps_line_breaks():
    assert plain_text("a  b\r\nc\n\n\n\nd ") == "a b\nc\n\nd"
