"""HTML -> plain text with the line structure kept. Pure functions.

One helper for every reader that meets HTML (saved pages, feed and export content):
``<br>`` becomes a line break, block elements (``p``, ``blockquote``, headings, lists,
tables) are separated by a blank line, ``div``/``li``/table rows start a new line,
runs of spaces collapse, and scripts, styles and comments are dropped.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

# element -> line breaks it puts around itself (2 = blank line between paragraphs)
_PARAGRAPH = {"p", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "pre", "table",
              "hr", "dl", "figure", "section", "article", "header", "footer", "aside", "address"}
_LINE = {"div", "li", "tr", "dt", "dd", "figcaption", "caption", "center"}
_DROP = {"script", "style", "noscript", "template", "head", "title", "meta", "link", "iframe",
         "object", "embed", "svg", "button", "form", "input", "select", "textarea"}
_SKIP_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction)

_SPACE = re.compile(r"[ \t\r\n\f\v\u00a0\u2007\u202f\u200b]+")
_MANY_BREAKS = re.compile(r"\n{3,}")
_MARKUP = re.compile(r"[<&]")


def element_text(root: Tag) -> str:
    """The visible text of a parsed element, with line breaks kept (see module doc)."""
    parts: list[str | int] = []  # text, or a break of 1 (new line) / 2 (blank line)
    stack: list[tuple[Tag | NavigableString, bool]] = [(root, False)]
    while stack:  # iterative walk: deeply nested pages cannot exhaust the recursion limit
        node, closing = stack.pop()
        if closing:
            parts.append(2 if node.name in _PARAGRAPH else 1)
            continue
        if isinstance(node, NavigableString):
            if not isinstance(node, _SKIP_STRINGS):
                parts.append(_SPACE.sub(" ", str(node)))
            continue
        name = node.name
        if name in _DROP:
            continue
        if name == "br":
            parts.append("\n")
            continue
        if node is not root and (name in _PARAGRAPH or name in _LINE):
            parts.append(2 if name in _PARAGRAPH else 1)
            stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
    return tidy_text(_join(parts))


def _join(parts: list[str | int]) -> str:
    """Concatenate text; adjacent block breaks merge into the larger one."""
    out: list[str] = []
    pending = 0
    for part in parts:
        if isinstance(part, int):
            pending = max(pending, part)
            continue
        if pending:
            out.append("\n" * pending)
            pending = 0
        out.append(part)
    return "".join(out)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment or page (see module doc)."""
    if not _MARKUP.search(html):
        return tidy_text(_SPACE.sub(" ", html))
    soup = BeautifulSoup(html, "lxml")
    root = soup.body or soup
    return element_text(root)


def tidy_text(text: str) -> str:
    """Strip every line, keep at most one blank line in a row, strip the ends."""
    lines = [line.strip(" ") for line in text.split("\n")]
    return _MANY_BREAKS.sub("\n\n", "\n".join(lines)).strip()


def plain_text(text: str) -> str:
    """Tidy text that is not markup (``type='text'`` content): keep its line breaks."""
    lines = [_SPACE.sub(" ", line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return tidy_text("\n".join(lines))


__all__ = ["element_text", "html_to_text", "plain_text", "tidy_text"]
