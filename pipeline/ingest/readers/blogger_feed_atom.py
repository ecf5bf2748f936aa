"""Reader: Blogger Atom feeds (posts feed, blog-wide or per-post comments feed, any page).

Also the Atom front end shared with the export reader: ``entry_from_element`` turns one
``<entry>`` into the normalised ``Entry`` and ``read_atom_stream`` drives the safe
incremental parser. Comments link to their post through ``thr:in-reply-to/@ref`` and to a
parent comment through ``<link rel='related'>``; pages of one feed read as separate files
join up through the Blogger ids (see pipeline.ingest.ids).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import BinaryIO

from pipeline.ingest.blogger import Entry, EntryCollector, FeedInfo
from pipeline.ingest.reader import ReadContext, Reader
from pipeline.ingest.xmlsafe import XmlBroken, iter_children, read_tail
from pipeline.records import InputError, ParseResult, Reject

ATOM = "{http://www.w3.org/2005/Atom}"
THR = "{http://purl.org/syndication/thread/1.0}"
APP_NS = ("{http://purl.org/atom/app#}", "{http://www.w3.org/2007/app}")
B18 = "{http://schemas.google.com/blogger/2018}"
OPENSEARCH_NS = ("{http://a9.com/-/spec/opensearchrss/1.0/}", "{http://a9.com/-/spec/opensearch/1.1/}")

_FEED_ROOT = re.compile(r"<(?:[\w-]+:)?feed\b[^>]*http://www\.w3\.org/2005/Atom", re.S)


def _text(el: ET.Element | None) -> str | None:
    return el.text if el is not None else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _markup(el: ET.Element) -> str:
    """The inner markup of an xhtml ``<content>``, namespaces dropped."""
    for sub in el.iter():
        sub.tag = _local(sub.tag)
    return (el.text or "") + "".join(ET.tostring(child, encoding="unicode") for child in el)


def entry_from_element(el: ET.Element, n: int) -> Entry:
    """The normalised Entry of one Atom ``<entry>`` element (feed, legacy or 2018 export)."""
    content = el.find(ATOM + "content")
    summary_only = content is None and el.find(ATOM + "summary") is not None
    if summary_only:
        content = el.find(ATOM + "summary")
    ctype = (content.get("type") or "text").lower() if content is not None else "text"
    body = None
    if content is not None:
        body = _markup(content) if ctype == "xhtml" else (content.text or "")
    reply = el.find(THR + "in-reply-to")
    control = next((c for ns in APP_NS if (c := el.find(ns + "control")) is not None), None)
    draft = control is not None and any(
        (_text(control.find(ns + "draft")) or "").strip().lower() == "yes" for ns in APP_NS)
    return Entry(
        atom_id=_text(el.find(ATOM + "id")),
        title=_text(el.find(ATOM + "title")),
        content=body,
        content_type=ctype,
        summary_only=summary_only,
        published=_text(el.find(ATOM + "published")),
        author=_text(el.find(ATOM + "author/" + ATOM + "name")),
        links=[(ln.get("rel") or "alternate", ln.get("href") or "") for ln in el.findall(ATOM + "link")],
        categories=[(c.get("scheme") or "", c.get("term") or "") for c in el.findall(ATOM + "category")],
        reply_to_ref=reply.get("ref") if reply is not None else None,
        reply_to_source=reply.get("source") if reply is not None else None,
        total=_text(el.find(THR + "total")),
        draft=draft,
        b_type=_text(el.find(B18 + "type")),
        b_status=_text(el.find(B18 + "status")),
        b_parent=_text(el.find(B18 + "parent")),
        b_in_reply_to=_text(el.find(B18 + "inReplyTo")),
        b_filename=_text(el.find(B18 + "filename")),
        locator=f"entry {n}",
        raw_fn=lambda: ET.tostring(el, encoding="unicode"),
    )


def _feed_child(feed: FeedInfo, el: ET.Element) -> None:
    tag = el.tag
    if tag == ATOM + "id":
        feed.atom_id = (el.text or "").strip()
    elif tag == ATOM + "link" and el.get("rel") == "next":
        feed.next_href = el.get("href")
    elif tag in {ns + "startIndex" for ns in OPENSEARCH_NS} and (el.text or "").strip().isdigit():
        feed.start_index = int(el.text)
    elif tag in {ns + "totalResults" for ns in OPENSEARCH_NS} and (el.text or "").strip().isdigit():
        feed.total_results = int(el.text)


def read_atom_stream(fh: BinaryIO, fmt: str, *, drop_orphans: bool) -> ParseResult:
    """Parse an Atom feed/export incrementally; entries are mapped and dropped one by one.

    Unsafe XML -> InputError('xml_entities'). XML that breaks off or is malformed ->
    InputError('malformed_xml') when no entry was complete, else the complete entries are
    kept, a warning is added and the unread rest becomes a Reject.
    """
    start = fh.tell()
    col = EntryCollector(fmt)
    n = 0
    try:
        for el, _ in iter_children(fh, (ATOM + "feed",)):
            if el.tag == ATOM + "entry":
                n += 1
                col.add(entry_from_element(el, n))
            else:
                _feed_child(col.feed, el)
    except XmlBroken as exc:
        where = f"line {exc.line}, column {exc.column}"
        if n == 0:
            raise InputError("malformed_xml", f"not well-formed XML ({exc.message} at {where})") from None
        col.warnings.append(f"XML breaks off at {where} ({exc.message}): kept the {n} complete entries before it")
        col.rejects.append(Reject(
            locator=f"after entry {n} (line {exc.line})",
            reason=f"XML not well formed from here ({exc.message} at {where}); the rest of the file was not read",
            raw=read_tail(fh, start, exc.clean_offset), code="malformed_xml"))
    return col.result(drop_orphans=drop_orphans)


def sniff(head: str, name: str) -> float:
    """An Atom feed (a Blogger export also matches; its reader scores higher)."""
    return 0.9 if _FEED_ROOT.search(head) else 0.0


def parse_stream(fh: BinaryIO, ctx: ReadContext) -> ParseResult:
    return read_atom_stream(fh, "blogger_feed_atom", drop_orphans=False)


READER = Reader(
    name="blogger_feed_atom",
    sniff=sniff,
    parse_stream=parse_stream,
    description="Blogger Atom feed page (posts or comments)",
)
