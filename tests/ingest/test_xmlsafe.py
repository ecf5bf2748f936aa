"""xmlsafe: incremental, safe XML reading."""

from __future__ import annotations

import io

import pytest

from pipeline.ingest.xmlsafe import XmlBroken, iter_children, read_tail
from pipeline.records import InputError

ATOM = "{http://www.w3.org/2005/Atom}"
FEED = b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><id>x</id>" + \
       b"".join(b"<entry><id>%d</id></entry>\n" % i for i in range(3)) + b"</feed>"


def test_children_are_yielded_and_dropped_from_the_root():
    got = [(el.tag, el.findtext(ATOM + "id")) for el, _ in iter_children(io.BytesIO(FEED), (ATOM + "feed",))]
    assert got == [(ATOM + "id", None), (ATOM + "entry", "0"), (ATOM + "entry", "1"), (ATOM + "entry", "2")]


def test_broken_xml_reports_where_and_what_was_clean():
    fh = io.BytesIO(FEED[:FEED.index(b"<entry><id>2")] + b"<entry><id>2</i")
    seen = []
    with pytest.raises(XmlBroken) as info:
        for el, _ in iter_children(fh):
            seen.append(el.tag)
    assert seen.count(ATOM + "entry") == 2 and info.value.line == 3
    assert read_tail(fh, 0, info.value.clean_offset) == b"<entry><id>2</i"


@pytest.mark.parametrize("doc", [
    b"<!DOCTYPE f [<!ENTITY e 'x'>]><feed>&e;</feed>",
    b"<!DOCTYPE f [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><feed>&e;</feed>",
    b"<!DOCTYPE f [<!ENTITY % p SYSTEM 'http://example.invalid/p'> %p;]><feed/>",
    b"<!DOCTYPE f PUBLIC '-//x//y' 'http://example.invalid/f.dtd'><feed/>",
])
def test_unsafe_xml_is_refused(doc):
    with pytest.raises(InputError) as info:
        list(iter_children(io.BytesIO(doc)))
    assert info.value.code == "xml_entities"


def test_a_plain_doctype_is_allowed_and_other_roots_refused():
    assert len(list(iter_children(io.BytesIO(b"<!DOCTYPE feed><feed><a/></feed>")))) == 1
    with pytest.raises(InputError) as info:
        list(iter_children(io.BytesIO(b"<rss><channel/></rss>"), (ATOM + "feed",)))
    assert info.value.code == "not_xml_feed"
