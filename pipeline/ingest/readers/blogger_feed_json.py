"""Reader: Blogger feeds as ``?alt=json`` (or ``alt=json-in-script``).

The JSON front end of the shared entry model (pipeline.ingest.blogger): element text is
``{"$t": ...}``, namespace prefixes are spelled with ``$`` (``thr$in-reply-to``),
attributes are plain keys and repeated elements are arrays. Everything after the front
end is the same code as the Atom reader, so the same feed gives the same documents.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pipeline.ingest.blogger import Entry, FeedInfo, collect
from pipeline.ingest.reader import ReadContext, Reader
from pipeline.records import InputError, ParseResult

_JSON_FEED = re.compile(r'^\s*(?:[\w.$]+\(\s*)?\{.*?"(?:feed|entry)"\s*:\s*\{', re.S)
_CALLBACK = re.compile(r"^\s*[\w.$]+\(\s*(\{.*\})\s*\)\s*;?\s*$", re.S)


def _t(value: Any) -> str | None:
    """The text of a JSON-spelled element: ``{"$t": "x"}`` -> "x"."""
    if isinstance(value, dict):
        value = value.get("$t")
    return value if isinstance(value, str) else None


def _items(value: Any) -> list[dict]:
    """A repeated element: always a list of objects (a single object is allowed too)."""
    if isinstance(value, dict):
        return [value]
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def entry_from_json(d: dict, n: int) -> Entry:
    """The normalised Entry of one JSON feed entry."""
    content = d.get("content")
    summary_only = content is None and "summary" in d
    if summary_only:
        content = d.get("summary")
    ctype = (content.get("type") or "text").lower() if isinstance(content, dict) else "text"
    reply = next(iter(_items(d.get("thr$in-reply-to"))), {})
    control = next(iter(_items(d.get("app$control"))), {})
    author = next(iter(_items(d.get("author"))), {})
    return Entry(
        atom_id=_t(d.get("id")),
        title=_t(d.get("title")),
        content=_t(content),
        content_type=ctype,
        summary_only=summary_only,
        published=_t(d.get("published")),
        author=_t(author.get("name")),
        links=[(ln.get("rel") or "alternate", ln.get("href") or "") for ln in _items(d.get("link"))],
        categories=[(c.get("scheme") or "", c.get("term") or "") for c in _items(d.get("category"))],
        reply_to_ref=reply.get("ref"),
        reply_to_source=reply.get("source"),
        total=_t(d.get("thr$total")),
        draft=(_t(control.get("app$draft")) or "").strip().lower() == "yes",
        b_type=_t(d.get("blogger$type")),
        b_status=_t(d.get("blogger$status")),
        b_parent=_t(d.get("blogger$parent")),
        b_in_reply_to=_t(d.get("blogger$inReplyTo")),
        b_filename=_t(d.get("blogger$filename")),
        locator=f"entry {n}",
        raw_fn=lambda: json.dumps(d, ensure_ascii=False),
    )


def _feed_info(feed: dict) -> FeedInfo:
    def number(key: str) -> int | None:
        value = (_t(feed.get(key)) or "").strip()
        return int(value) if value.isdigit() else None

    next_href = next((ln.get("href") for ln in _items(feed.get("link")) if ln.get("rel") == "next"), None)
    return FeedInfo(atom_id=(_t(feed.get("id")) or "").strip() or None,
                    start_index=number("openSearch$startIndex"), total_results=number("openSearch$totalResults"),
                    next_href=next_href)


def parse(text: str, ctx: ReadContext) -> ParseResult:
    """Parse a whole JSON feed (a feed object, or a single-entry response)."""
    m = _CALLBACK.match(text)
    try:
        data = json.loads(m.group(1) if m else text)
    except json.JSONDecodeError as exc:
        raise InputError("malformed_json",
                         f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("feed", data.get("entry")), dict):
        raise InputError("not_blogger_json", "JSON has no 'feed' (or 'entry') object: not a Blogger ?alt=json feed")
    if "feed" in data:
        feed = data["feed"]
        entries, info = _items(feed.get("entry")), _feed_info(feed)
    else:
        entries, info = [data["entry"]], FeedInfo()
    return collect("blogger_feed_json", (entry_from_json(e, n) for n, e in enumerate(entries, 1)), info,
                   drop_orphans=False)


def sniff(head: str, name: str) -> float:
    """A JSON object with a "feed" (or "entry") object near its start."""
    return 0.95 if _JSON_FEED.match(head) else 0.0


READER = Reader(
    name="blogger_feed_json",
    sniff=sniff,
    parse=parse,
    description="Blogger feed page as ?alt=json",
)
