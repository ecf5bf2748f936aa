"""URLs in a cleaned text, with their domain and where they are. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# http(s) URLs and bare www. addresses; stops at whitespace and at quotes/brackets
# that cannot be part of a URL as people paste them.
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"“”‘’\[\]{}]+", re.IGNORECASE)
_TRAIL = ".,;:!?'’)»*"


@dataclass(frozen=True)
class Link:
    """One URL: ``position`` is its order in the document (0, 1, ...), ``start``/``end``
    its character offsets in the cleaned text."""

    url: str
    domain: str
    position: int
    start: int
    end: int


def _trim(url: str) -> str:
    """Drop trailing punctuation that ends the sentence, keeping balanced ``)``."""
    while url and url[-1] in _TRAIL:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def domain_of(url: str) -> str:
    """Lower-case host without ``www.`` and port (``''`` if there is none)."""
    full = url if "://" in url else "http://" + url
    try:
        host = urlsplit(full).hostname or ""
    except ValueError:
        return ""
    host = host.lower().rstrip(".")
    if not re.fullmatch(r"[\w\-]+(?:\.[\w\-]+)+", host):
        return ""
    return host[4:] if host.startswith("www.") else host


def extract_links(text: str) -> list[Link]:
    """Every URL in ``text`` in reading order."""
    out: list[Link] = []
    for m in _URL.finditer(text):
        url = _trim(m.group(0))
        dom = domain_of(url)
        if not dom or "." not in dom:
            continue
        out.append(Link(url, dom, len(out), m.start(), m.start() + len(url)))
    return out


def url_line_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of lines that are only a URL (bare links on their own line)."""
    spans = []
    for link in extract_links(text):
        ls = text.rfind("\n", 0, link.start) + 1
        le = text.find("\n", link.end)
        le = len(text) if le < 0 else le
        if not text[ls:link.start].strip() and not text[link.end:le].strip(" .,;:"):
            spans.append((ls, le))
    return spans


__all__ = ["Link", "extract_links", "domain_of", "url_line_spans"]
