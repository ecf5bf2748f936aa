"""The quotes of many documents at once, parsing only what a quote can use. Pure.

The whole-text way (:func:`pipeline.quotes.sentences.analyse`) runs spaCy's parser and
named-entity recogniser over every character of every document; most of it can never be
quoted. Here, per document:

1. **Parse windows.** The text is cut into lines (every line break ends a sentence,
   :func:`~pipeline.quotes.sentences.sentence_spans`). A line with no non-blank character
   of the author's own can hold no own sentence; runs of the other lines (blank lines
   between them kept) are parsed, each run as one text with :data:`CONTEXT` characters
   of the text either side (cut at a blank; sentences found there are dropped), so each
   sentence is parsed with its whole line and its neighbours: without the margin, a
   sentence after a pasted paragraph could be split elsewhere than in the whole-text
   parse. Every skipped line stands in the sentence list as one span: it is not own, so
   it still separates the pieces of a quote as its real sentences would.
   The parser ends the sentences, or with ``quotes.sentences = "senter"`` the
   pipeline's sentence recogniser (:func:`enabled` for the pass only).
2. **The quote** (:func:`~pipeline.quotes.build.build_quote`) and the first sentence of
   the own words (:func:`~pipeline.quotes.build.first_sentence`). Only when a document has
   no such sentence and its first line was skipped is that line parsed (its first
   sentence is the context of a reply).
3. **Names.** The recogniser runs only on the quote's pieces, each with about
   :data:`CONTEXT` characters either side (cut at a blank), not on the whole text, and not
   on documents without a quote. Its own token vectors do not depend on the parser's (see
   :mod:`pipeline.nlp`), so it runs as a pass of its own.

**Tags for later stages.** The topics fit and classify tag every own text (spaCy's
tagger, on the token vectors the parser reads too). A document given with its own text's
``own_hash`` whose one parse window is exactly that text (most comments: all their words
are their own) has the tagger run in the parse (its model is a small layer over those
vectors: no measurable cost) and gets the tags back (:attr:`DocQuote.tags`), the bytes
:func:`pipeline.nlp.tags_of` gives after :func:`pipeline.nlp.tagged`; the job stores
them (``token_tags``), so those stages rebuild the text from them instead of running the
token vectors again. Never with ``quotes.sentences = "senter"`` (no shared token vectors
run then).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.embed import content_hash
from pipeline.nlp import numpy_matmul, pipe_by_length, tagger_key, tags_of
from pipeline.quotes.build import Quote, QuoteOptions, blank_mask, build_quote, first_own_sentence
from pipeline.quotes.sentences import OFF, load_nlp, names_in, split_lines

Span = tuple[int, int]

CONTEXT = 40
"""Characters of the text parsed either side of a run of lines or a piece (about eight
tokens: more than tok2vec's reach of four tokens either side)."""

PARSE_OFF = {"parser": (*OFF, "ner", "senter"),              # the dependency parse ends sentences
             "senter": (*OFF, "ner", "parser", "tok2vec")}     # the sentence recogniser (its own tok2vec)
"""What the pass that finds sentences leaves out, by ``quotes.sentences``."""
NER_OFF = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")

_BLANK = re.compile(r"\s")


@dataclass(frozen=True)
class QuoteInput:
    """A document's ``clean_text``, its own spans and its author's names."""

    text: str
    own: tuple[Span, ...]
    handles: tuple[str, ...] = ()
    own_hash: str | None = None
    """The content hash (:func:`pipeline.embed.content_hash`) of the document's own text
    when its tags are wanted (module docstring); None: no tags."""


@dataclass(frozen=True)
class DocQuote:
    quote: Quote
    names: tuple[str, ...]
    first_sentence: str | None
    tags: bytes | None = None
    """The tags of the document's own text (:func:`pipeline.nlp.tags_of`) when it was
    parsed whole, for the text of :attr:`QuoteInput.own_hash`; else None."""
    tagger: str | None = None
    """The :func:`pipeline.nlp.tagger_key` the tags were made by (None without tags)."""


def _lines(text: str) -> list[Span]:
    """Every line ``(start, end)`` without its line break (empty lines included)."""
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def parse_windows(text: str, own: Sequence[Span]) -> tuple[list[Span], list[Span]]:
    """``(windows, skipped)``: runs of whole lines holding own words (blank lines between
    them included) to parse, and the non-blank lines left out (they hold no own word)."""
    nonblank = ~blank_mask(text)
    own_at = np.zeros(len(text), dtype=bool)
    for s, e in own:
        s, e = max(0, s), min(e, len(text))
        if e > s:
            own_at[s:e] = True
    words = np.concatenate(([0], np.cumsum(nonblank)))
    owned = np.concatenate(([0], np.cumsum(nonblank & own_at)))
    windows: list[Span] = []
    skipped: list[Span] = []
    run: Span | None = None
    for s, e in _lines(text):
        if words[e] == words[s]:
            continue  # a blank line: inside a run when own lines follow
        if owned[e] > owned[s]:
            run = (run[0], e) if run is not None else (s, e)
        else:
            if run is not None:
                windows.append(run)
                run = None
            skipped.append((s, e))
    if run is not None:
        windows.append(run)
    return windows, split_lines(text, skipped)


def _widen(text: str, s: int, e: int, context: int) -> Span:
    """``(s, e)`` with up to ``context`` characters either side, cut at a blank."""
    a = s
    if s > 0 and context > 0:
        lo = max(0, s - context)
        m = _BLANK.search(text, lo, s)
        a = m.start() + 1 if m and lo > 0 else lo
    b = e
    if e < len(text) and context > 0:
        hi = min(len(text), e + context)
        ms = [m.start() for m in _BLANK.finditer(text, e, hi)]
        b = ms[-1] if ms and hi < len(text) else hi
    return a, b


def _pieces_context(text: str, pieces: Sequence[Span], context: int) -> list[Span]:
    """Ranges to run the recogniser on: each piece with up to ``context`` characters
    either side, cut at a blank; overlapping ranges merged."""
    out: list[Span] = []
    for s, e in pieces:
        a, b = _widen(text, s, e, context)
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _sentences(nlp: Any, docs: Sequence[QuoteInput], jobs: Sequence[tuple[int, Span]], context: int,
               batch_tokens: int, off: Sequence[str]) -> tuple[list[list[Span]], list[bytes | None]]:
    """Sentence spans inside each job's lines ``(doc index, (start, end))``, parsed with
    up to ``context`` characters of the text either side (the parse near a line's edge
    depends a little on what is next to it); and, where the tagger ran (not in ``off``),
    the tags of each parsed text that is its document's own text (``own_hash``), else None."""
    ranges = [_widen(docs[i].text, s, e, context) for i, (s, e) in jobs]
    texts = [docs[i].text[a:b] for (i, _), (a, b) in zip(jobs, ranges)]
    tagging = "tagger" not in off
    out: list[list[Span]] = []
    tags: list[bytes | None] = []
    for (i, (s, e)), (a, _), text, doc in zip(jobs, ranges, texts, pipe_by_length(nlp, texts, off, batch_tokens)):
        spans = split_lines(docs[i].text, [(a + x.start_char, a + x.end_char) for x in doc.sents])
        out.append([(x, y) for x, y in spans if s <= x and y <= e])
        own = docs[i].own_hash
        tags.append(tags_of(nlp, doc) if tagging and own is not None and content_hash(text) == own else None)
    return out, tags


def quote_documents(docs: Sequence[QuoteInput], opts: QuoteOptions, nlp: Any | None = None, *,
                    batch_tokens: int, context: int = CONTEXT) -> list[DocQuote]:
    """The quote, flagged names and first own sentence of each document (module docstring);
    spaCy parses and recognises in batches of at most ``batch_tokens`` tokens
    (``scale.parse_batch_tokens``, :func:`pipeline.nlp.pipe_by_length`)."""
    if not docs:
        return []
    nlp = nlp or load_nlp()
    nlp.max_length = max(nlp.max_length, max(len(d.text) for d in docs) + 1)
    with enabled(nlp, opts.sentences), numpy_matmul(nlp, ("tok2vec", "tagger", opts.sentences, "ner")):
        return _quote_documents(docs, opts, nlp, batch_tokens, context)


@contextmanager
def enabled(nlp: Any, name: str) -> Iterator[None]:
    """Inside the block, the component ``name`` runs even if the pipeline ships it
    disabled (``senter`` in the small English pipeline); disabled again on leaving, so
    other users of the shared pipeline are untouched. Not for use from two threads."""
    was_off = name in nlp.disabled
    if was_off:
        nlp.enable_pipe(name)
    try:
        yield
    finally:
        if was_off:
            nlp.disable_pipe(name)


def _quote_documents(docs: Sequence[QuoteInput], opts: QuoteOptions, nlp: Any, batch_tokens: int,
                     context: int) -> list[DocQuote]:
    # 1. sentences of the parse windows; each skipped line stands as one (not own) span
    off = PARSE_OFF[opts.sentences]
    tagger = tagger_key(nlp) if opts.sentences == "parser" and any(d.own_hash for d in docs) else None
    if tagger is not None:  # the tagger on the parser's token vectors, for the own texts' tags
        off = tuple(c for c in off if c != "tagger")
    plan = [parse_windows(d.text, d.own) for d in docs]
    jobs = [(i, w) for i, (windows, _) in enumerate(plan) for w in windows]
    sents: list[list[Span]] = [list(skipped) for _, skipped in plan]
    own_tags: list[bytes | None] = [None] * len(docs)
    for (i, _), spans, tags in zip(jobs, *_sentences(nlp, docs, jobs, context, batch_tokens, off)):
        sents[i] += spans
        own_tags[i] = tags if tags is not None else own_tags[i]
    for spans in sents:
        spans.sort()
    # 2. quotes and first sentences (a skipped first line is parsed only when needed)
    quotes = [build_quote(d.text, d.own, sents[i], opts, d.handles) for i, d in enumerate(docs)]
    firsts: list[str | None] = []
    redo: list[tuple[int, Span]] = []
    for i, d in enumerate(docs):
        span = first_own_sentence(d.text, d.own, sents[i]) or (sents[i][0] if sents[i] else None)
        firsts.append(d.text[span[0]:span[1]] if span else None)
        if span and plan[i][1] and span == plan[i][1][0]:
            redo.append((i, span))  # the first line, skipped: parse it for its first sentence
    for (i, _), spans in zip(redo, _sentences(nlp, docs, redo, context, batch_tokens, PARSE_OFF[opts.sentences])[0]):
        firsts[i] = docs[i].text[spans[0][0]:spans[0][1]] if spans else firsts[i]
    # 3. PERSON names inside the pieces
    ner_jobs = [(i, r) for i, q in enumerate(quotes) for r in _pieces_context(docs[i].text, q.pieces, context)]
    persons: list[list[Span]] = [[] for _ in docs]
    ner_texts = [docs[i].text[s:e] for i, (s, e) in ner_jobs]
    for (i, (s, _)), doc in zip(ner_jobs, pipe_by_length(nlp, ner_texts, NER_OFF, batch_tokens)):
        persons[i].extend((s + ent.start_char, s + ent.end_char) for ent in doc.ents if ent.label_ == "PERSON")
    return [DocQuote(q, tuple(names_in(d.text, persons[i], q.pieces)), firsts[i], own_tags[i],
                     tagger if own_tags[i] is not None else None)
            for i, (d, q) in enumerate(zip(docs, quotes))]


__all__ = ["CONTEXT", "DocQuote", "QuoteInput", "parse_windows", "quote_documents"]
