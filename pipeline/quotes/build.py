"""A document's quote: whole sentences of own words, verbatim pieces, explicit elisions. Pure.

Inputs are the document's ``clean_text``, the spans the segmenter marked ``own`` (every
other character is someone else's words or a gap: a bare link line, a separator, the
sign-off) and its sentence spans (:func:`pipeline.quotes.sentences.sentence_spans`).

1. A sentence is *own* when every non-blank character in it lies in an own segment; a
   sentence that mixes own words with a quotation or a pasted passage is left out
   whole (cutting inside it would misquote).
2. Runs of consecutive own sentences are *blocks*. A block loses, at either edge, lines
   that are no words of substance: speaker labels ("A:", "Jim Smith:"), bare links, the
   author's own name on a line of its own, fragments ending in a comma ("Regards,"),
   and at its end a line introducing what follows (ending ":" or ":-").
3. A block with fewer than ``min_words`` words (links not counted) is dropped: a
   fragment is no quote.
4. The remaining blocks are the quote's pieces, joined by `` […] ``; a quote with fewer
   than ``min_words`` words in all is no quote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.clean.text import word_count
from pipeline.config import ConfigError
from pipeline.quotes.settings import QuoteSettings
from pipeline.settings import settings_from

LOGIC_VERSION = "2"  # bump when a change here, in sentences.py or batch.py changes stored quotes
SENTENCE_COMPONENTS = ("parser", "senter")
"""spaCy components that can end the quotes' sentences (``quotes.sentences``)."""
ELISION = "[…]"
JOINER = f" {ELISION} "

Span = tuple[int, int]

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_LABEL = re.compile(r"^[\-–—*•>\s]*[^\W\d_][\w .'’&()\-]{0,40}\s*:-?$")
_COMMA_END = re.compile(r"[,;]$")
_INTRO_END = re.compile(r":-?$")
_NAME_STRIP = " -–—~'‘’\"“”.,"


@dataclass(frozen=True)
class QuoteOptions:
    """``[quotes]`` settings the quote of a document depends on (its stored key)."""

    min_words: int
    sentences: str  # the spaCy component that ends sentences (SENTENCE_COMPONENTS)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "QuoteOptions":
        """From the ``[quotes]`` section (all its keys are checked, this reads ``min_words``
        and ``sentences``)."""
        settings = settings_from(QuoteSettings, cfg, "quotes")
        return cls(min_words=settings.min_words, sentences=settings.sentences)

    def __post_init__(self) -> None:
        if self.min_words < 1:
            raise ConfigError("quotes.min_words must be at least 1: set it to 1 or more")
        if self.sentences not in SENTENCE_COMPONENTS:
            raise ConfigError(f"quotes.sentences must be one of {', '.join(SENTENCE_COMPONENTS)}, "
                              f"got {self.sentences!r}")

    def stored_key(self) -> dict:
        """What stored quotes depend on (for :func:`pipeline.settings.settings_key`). The
        parser, the only way before ``sentences`` existed, leaves the key as it was then,
        so the quotes already stored stay current."""
        key = {"min_words": self.min_words}
        return key if self.sentences == "parser" else {**key, "sentences": self.sentences}


@dataclass(frozen=True)
class Quote:
    """``pieces`` are ``(start, end)`` offsets into the text; ``text`` is the pieces
    joined by `` […] `` (``None`` when the document has no quote, ``reason`` says why:
    ``no_own_words`` or ``too_short``)."""

    pieces: tuple[Span, ...]
    text: str | None
    n_words: int
    reason: str

    @property
    def elided(self) -> bool:
        return len(self.pieces) > 1


def words(text: str) -> int:
    """Words of substance: links are not counted."""
    return word_count(_URL.sub(" ", text))


def join_pieces(text: str, pieces: Iterable[Span]) -> str:
    """The quote text: the pieces, verbatim, joined by the elision mark."""
    return JOINER.join(text[s:e] for s, e in pieces)


_BLANK_BELOW = 0x3100  # every str.isspace() character is below U+3100 (the last: U+3000)
_IS_BLANK = np.array([chr(i).isspace() for i in range(_BLANK_BELOW)] + [False], dtype=bool)
"""``_IS_BLANK[c]``: code point ``c`` is blank; its last entry stands for every code point
from ``_BLANK_BELOW`` up."""


def blank_mask(text: str) -> np.ndarray:
    """Whether each character of ``text`` is blank (``str.isspace``): one table lookup
    per character (``np.isin`` sorted every text's code points: 3% of quotes' CPU)."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _IS_BLANK[np.minimum(codes, _BLANK_BELOW)]


def _bad_prefix(text: str, own_spans: Iterable[Span]) -> np.ndarray:
    """Prefix counts of characters that are neither own nor blank."""
    bad = np.ones(len(text) + 1, dtype=np.int64)
    bad[0] = 0
    bad[1:][blank_mask(text)] = 0
    for s, e in own_spans:
        s, e = max(0, s), min(e, len(text))
        if e > s:
            bad[s + 1:e + 1] = 0
    return np.cumsum(bad)


def _strippable(line: str, handles: frozenset[str], at_end: bool) -> bool:
    s = line.strip()
    if not _URL.sub("", s).strip(" .,;:()[]<>-"):
        return True  # a bare link
    if _LABEL.match(s) and word_count(s) <= 5:
        return True  # a speaker label, or an introducing line "From Twitter:-"
    if s.strip(_NAME_STRIP).casefold() in handles:
        return True  # the author's name on a line of its own (a missed sign-off)
    if _COMMA_END.search(s) and word_count(s) <= 4:
        return True  # "Regards," "Yours sincerely,"
    return at_end and bool(_INTRO_END.search(s))  # introduces what was left out


def own_sentences(text: str, own_spans: Iterable[Span], sentences: Sequence[Span]) -> list[bool]:
    """Whether each sentence is entirely the author's own words."""
    pre = _bad_prefix(text, own_spans)
    return [bool(pre[e] == pre[s]) for s, e in sentences]


def build_quote(text: str, own_spans: Sequence[Span], sentences: Sequence[Span],
                opts: QuoteOptions, handles: Iterable[str] = ()) -> Quote:
    """The quote of one document (see the module docstring). ``sentences`` are trimmed,
    ordered, non-overlapping spans covering every non-blank character; ``handles`` are
    the author's names (a line holding only one of them is a sign-off, never quoted)."""
    names = frozenset(h.strip(_NAME_STRIP).casefold() for h in handles if h and h.strip(_NAME_STRIP))
    flags = own_sentences(text, own_spans, sentences)
    if not any(flags):
        return Quote((), None, 0, "no_own_words")
    blocks: list[list[Span]] = []
    cur: list[Span] = []
    for span, is_own in zip(sentences, flags):
        if is_own:
            cur.append(span)
        elif cur:
            blocks.append(cur)
            cur = []
    if cur:
        blocks.append(cur)
    pieces: list[Span] = []
    total = 0
    for block in blocks:
        while block and _strippable(text[block[0][0]:block[0][1]], names, at_end=len(block) == 1):
            block = block[1:]
        while block and _strippable(text[block[-1][0]:block[-1][1]], names, at_end=True):
            block = block[:-1]
        if not block:
            continue
        s, e = block[0][0], block[-1][1]
        n = words(text[s:e])
        if n < opts.min_words:
            continue
        pieces.append((s, e))
        total += n
    if total < opts.min_words or not pieces:
        return Quote((), None, 0, "too_short")
    return Quote(tuple(pieces), join_pieces(text, pieces), total, "ok")


def first_own_sentence(text: str, own_spans: Sequence[Span], sentences: Sequence[Span]) -> Span | None:
    """The first sentence of the author's own words with words of substance (no label,
    link or sign-off line); ``None`` when there is none."""
    flags = own_sentences(text, own_spans, sentences)
    for (s, e), is_own in zip(sentences, flags):
        if is_own and words(text[s:e]) > 0 and not _strippable(text[s:e], frozenset(), at_end=False):
            return (s, e)
    return None


def first_sentence(text: str, own_spans: Sequence[Span], sentences: Sequence[Span]) -> str | None:
    """The first sentence of the author's own words (of the text when it has none)."""
    if not sentences:
        return None
    s, e = first_own_sentence(text, own_spans, sentences) or sentences[0]
    return text[s:e]


def quote_holes(text: str, pieces: Sequence[Span], quote: str, sentences: Sequence[Span]) -> list[str]:
    """Why a quote misquotes its source (empty when it does not): a piece that starts or
    ends inside a sentence, pieces joined without the elision mark, a quote that differs
    from its pieces, or a cut that leaves doubled spaces or a space before punctuation."""
    out: list[str] = []
    starts = {s for s, _ in sentences}
    ends = {e for _, e in sentences}
    if quote != join_pieces(text, pieces):
        out.append("quote text is not its pieces joined by the elision mark")
    prev_end = -1
    for s, e in pieces:
        if not 0 <= s < e <= len(text) or s < prev_end:
            out.append(f"piece {s}:{e} is out of order or out of range")
            continue
        if s not in starts:
            out.append(f"piece {s}:{e} starts inside a sentence")
        if e not in ends:
            out.append(f"piece {s}:{e} ends inside a sentence")
        piece = text[s:e]
        if piece != piece.strip():
            out.append(f"piece {s}:{e} has blanks at its edge")
        if re.match(r"[.,;:!?]", piece):
            out.append(f"piece {s}:{e} starts with punctuation left by a cut")
        prev_end = e
    return out


def segment_holes(text: str, own_spans: Sequence[Span], sentences: Sequence[Span]) -> list[str]:
    """Holes of the old own-text quote (own segments joined with a blank): an own segment
    that starts or ends inside a sentence, or a join that leaves " ." behind."""
    out: list[str] = []
    starts = {s for s, _ in sentences}
    ends = {e for _, e in sentences}
    for s, e in own_spans:
        if s not in starts:
            out.append(f"own segment {s}:{e} starts inside a sentence")
        if e not in ends:
            out.append(f"own segment {s}:{e} ends inside a sentence")
        if re.match(r"[.,;:!?]", text[s:e]):
            out.append(f"own segment {s}:{e} starts with punctuation")
    return out


__all__ = ["ELISION", "JOINER", "LOGIC_VERSION", "Quote", "QuoteOptions", "blank_mask", "build_quote",
           "first_own_sentence",
           "first_sentence", "join_pieces", "own_sentences", "quote_holes", "segment_holes", "words"]
