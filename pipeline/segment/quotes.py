"""Spans of text inside quotation marks. Pure.

Commenters type straight and typographic quotes, and sometimes the wrong one ("an
opening “ used to close“). Each mark is judged by its context (a space before and a
letter after opens; a letter before and a space or punctuation after closes), the glyph
deciding only when the context does not. A quotation may run over several paragraphs
only when it opens at the start of one and closes at the end of another (a pasted
block); otherwise an unmatched mark is ignored rather than swallowing own text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Mark families are paired separately, so quotes nested in another style survive
# ("he wrote: "see the “unwanted” feedback"").
_FAMILIES = ("\"", "“”„", "«»")
_OPEN_GLYPH = "“„«"
_CLOSE_GLYPH = "”»"
_BEFORE_OPEN = "([{—–-/:…"
_AFTER_CLOSE = ".,;:!?)]}—–-…'\"’”“*"
_FAMILY_MARKS = tuple(re.compile(f"[{re.escape(family)}]") for family in _FAMILIES)
_SINGLE_MARKS = re.compile("[‘’']")
"""Where the marks are (found by the regex engine: a pass over each character in Python
was most of the segment stage's time)."""


@dataclass(frozen=True)
class QuoteSpan:
    """``start``/``end`` include the marks; ``inner_start``/``inner_end`` do not."""

    start: int
    end: int
    inner_start: int
    inner_end: int


def _role(text: str, i: int, open_glyphs: str, close_glyphs: str) -> str | None:
    prev = text[i - 1] if i > 0 else " "
    nxt = text[i + 1] if i + 1 < len(text) else " "
    opens = (prev.isspace() or prev in _BEFORE_OPEN) and not nxt.isspace()
    closes = not prev.isspace() and (nxt.isspace() or nxt in _AFTER_CLOSE)
    if opens and not closes:
        return "open"
    if closes and not opens:
        return "close"
    if opens and closes:
        ch = text[i]
        return "open" if ch in open_glyphs else ("close" if ch in close_glyphs else None)
    return None


def _para_bounds(text: str, i: int) -> tuple[int, int]:
    s = text.rfind("\n\n", 0, i)
    e = text.find("\n\n", i)
    return (0 if s < 0 else s + 2), (len(text) if e < 0 else e)


def _pair(text: str, marks: list[tuple[int, str]]) -> list[QuoteSpan]:
    spans: list[QuoteSpan] = []
    cur: int | None = None
    for i, role in marks:
        if role == "open":
            cur = i
        elif role == "close" and cur is not None:
            ps, _ = _para_bounds(text, cur)
            _, pe = _para_bounds(text, i)
            same_para = "\n\n" not in text[cur:i]
            block = not text[ps:cur].strip() and not text[i + 1:pe].strip(" .,;:!?…")
            if same_para or block:
                spans.append(QuoteSpan(cur, i + 1, cur + 1, i))
            cur = None
    return spans


def _single_role(text: str, i: int, ch: str) -> str | None:
    """The role of the single-quote mark ``ch`` (‘, ’ or ') at ``i``: a typographic ‘
    opens by its context, a straight ' opens after a colon, ’ and ' close by their
    context when no letter or digit follows (not an apostrophe)."""
    if ch == "‘":
        return "open" if _role(text, i, "‘", "") == "open" else None
    nxt = text[i + 1] if i + 1 < len(text) else " "
    if ch == "'" and re.search(r":\s?$", text[max(0, i - 2):i]) and not nxt.isspace():
        return "open"
    if not nxt.isalnum() and _role(text, i, "", "’'") == "close":
        return "close"
    return None


def _outermost(text: str, families: list[list[tuple[int, str]]], singles: list[tuple[int, str]]) -> list[QuoteSpan]:
    """The spans of each family's marks and of the single marks, paired separately; of
    nested quotations the outermost, of crossing ones the first."""
    spans = [s for marks in (*families, singles) for s in _pair(text, marks)]
    spans.sort(key=lambda s: (s.start, -s.end))
    kept: list[QuoteSpan] = []
    for s in spans:
        if not any(s.start < o.end and o.start < s.end for o in kept):
            kept.append(s)
    return kept


def quote_spans(text: str) -> list[QuoteSpan]:
    """Double-quoted spans (straight or typographic), typographic single-quoted spans
    (‘…’), and straight single quotes opened after a colon (``said: '…'``)."""
    families = [[(m.start(), r) for m in family.finditer(text)
                 for r in [_role(text, m.start(), _OPEN_GLYPH, _CLOSE_GLYPH)] if r] for family in _FAMILY_MARKS]
    singles = [(m.start(), r) for m in _SINGLE_MARKS.finditer(text)
               for r in [_single_role(text, m.start(), m.group())] if r]
    return _outermost(text, families, singles)


__all__ = ["QuoteSpan", "quote_spans"]
