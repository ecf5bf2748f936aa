from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.clean.links import domain_of, extract_links, url_line_spans


def test_extract_links_order_offsets_domains():
    text = ("See https://www.theguardian.com/society/2015/jan/09/x. And (www.bbc.co.uk/news) then\n"
            "https://justiceinspectorates.gov.uk/hmiprobation/media/press-releases/2020/01/example/")
    links = extract_links(text)
    assert [l.url for l in links] == [
        "https://www.theguardian.com/society/2015/jan/09/x", "www.bbc.co.uk/news",
        "https://justiceinspectorates.gov.uk/hmiprobation/media/press-releases/2020/01/example/"]
    assert [l.domain for l in links] == ["theguardian.com", "bbc.co.uk", "justiceinspectorates.gov.uk"]
    assert [l.position for l in links] == [0, 1, 2]
    assert all(text[l.start:l.end] == l.url for l in links)


def test_balanced_parenthesis_kept():
    (link,) = extract_links("https://en.wikipedia.org/wiki/Probation_(law), yes")
    assert link.url == "https://en.wikipedia.org/wiki/Probation_(law)"


def test_domain_of():
    assert domain_of("HTTP://WWW.Example.COM:8080/a") == "example.com"
    assert domain_of("not a url") == ""


def test_url_line_spans():
    text = "Intro\nhttps://a.example.org/x\n\ntext https://b.example.org inline"
    assert [text[s:e] for s, e in url_line_spans(text)] == ["https://a.example.org/x"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list("ab .,()/:\n") + ["https://", "www.", "x.org", "é"]), max_size=30).map("".join))
def test_links_are_slices_of_the_text(text):
    links = extract_links(text)
    assert [l.position for l in links] == list(range(len(links)))
    assert all(text[l.start:l.end] == l.url for l in links)
    assert all(a.end <= b.start for a, b in zip(links, links[1:]))
