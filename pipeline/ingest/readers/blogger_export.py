"""Reader: Blogger backup exports, legacy (``kind#`` categories) and 2018/Takeout (``blogger:type``).

Streams the file (it can be hundreds of MB) through the same safe incremental Atom parser
and entry model as the feed reader. Keeps live posts and comments; ignores settings and
template entries; skips drafts, static pages, non-LIVE entries and comments on skipped
posts, counting each in a warning. A reply whose parent comment was skipped becomes
top-level with the flag ``parent_removed``.
"""

from __future__ import annotations

import re
from typing import BinaryIO

from pipeline.ingest.readers.blogger_feed_atom import read_atom_stream
from pipeline.ingest.reader import ReadContext, Reader
from pipeline.records import ParseResult

_FEED_ROOT = re.compile(r"<(?:[\w-]+:)?feed\b", re.S)
_MARK_2018 = re.compile(r"xmlns(?::\w+)?=['\"]http://schemas\.google\.com/blogger/2018['\"]")
_MARK_LEGACY = re.compile(r"/kind#(?:post|comment|settings|template|page)\b|\.archive\s*</id>")


def sniff(head: str, name: str) -> float:
    """An Atom feed with the 2018 Blogger namespace or legacy ``kind#`` categories."""
    if not _FEED_ROOT.search(head):
        return 0.0
    return 0.95 if _MARK_2018.search(head) or _MARK_LEGACY.search(head) else 0.0


def parse_stream(fh: BinaryIO, ctx: ReadContext) -> ParseResult:
    return read_atom_stream(fh, "blogger_export", drop_orphans=True)


READER = Reader(
    name="blogger_export",
    sniff=sniff,
    parse_stream=parse_stream,
    description="Blogger backup export (legacy kind# or 2018/Takeout feed.atom), streamed",
)
