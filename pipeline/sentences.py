"""The one sentence splitter that the embed, topics and classify stages share.

Sentences are the units the embed stage encodes (``embed.unit = "sentences"``) and the
units classify judges and stores; both must cut a text in exactly the same places, so
that every sentence classify reads was already embedded, once, by the embed stage. A
regular expression, not a parse: the embed stage runs before anything is parsed, and it
must not cost a parse.

A sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes or brackets)
followed by white space and a capital letter, a digit or an opening quote or bracket;
at a blank line; and at a line break whose next line does not start with a lower-case
letter (a line wrapped mid-sentence does). Spans are trimmed of white space; blank
pieces are dropped. Splitting a sentence again gives that sentence back whole.
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(
    r"[.!?\u2026]+[\"'\u2019\u201d)\]]*(?=\s+[\"'\u2018\u201c(\[]?[A-Z0-9])"  # punctuation, then a capital
    r"|\n\s*\n"                                                              # a blank line
    r"|\n(?=[ \t]*[^a-z\s])"                                                 # a line break before a new line
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the non-blank sentences of ``text``, in order.

    >>> t = "We were told. Nobody listened!\\nThen the SFO came"
    >>> [t[a:b] for a, b in sentence_spans(t)]
    ['We were told.', 'Nobody listened!', 'Then the SFO came']
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        _add(text, start, m.end(), spans)
        start = m.end()
    _add(text, start, len(text), spans)
    return spans


def _add(text: str, a: int, b: int, spans: list[tuple[int, int]]) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        spans.append((a, b))


__all__ = ["sentence_spans"]
