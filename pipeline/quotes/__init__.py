"""Publishable quotes: the author's own words exactly as written. Pure.

A quote is built from a document's stored segments (``doc_segments``, offsets into
``clean_text``) and its sentences: only whole sentences whose every character is the
author's own are kept; consecutive kept sentences form one verbatim *piece*, and pieces
are joined by an explicit elision mark ``[…]`` where anything else (someone else's
words, a link line, a fragment too short to stand alone) was left out. Every piece is
a ``(start, end)`` into ``clean_text``, so anyone can check a quote against its source.

Modules: :mod:`~pipeline.quotes.build` (pieces, holes, context sentence),
:mod:`~pipeline.quotes.sentences` (spaCy sentences and PERSON names, model loaded once),
:mod:`~pipeline.quotes.batch` (many documents at once, parsing only what a quote can use),
:mod:`~pipeline.quotes.pseudonym` (keyed-hash pseudonyms), :mod:`~pipeline.quotes.render`
(Markdown and docx).
"""

from pipeline.quotes.build import (
    ELISION,
    LOGIC_VERSION,
    Quote,
    QuoteOptions,
    build_quote,
    first_sentence,
    join_pieces,
    quote_holes,
    segment_holes,
)

__all__ = ["ELISION", "LOGIC_VERSION", "Quote", "QuoteOptions", "build_quote", "first_sentence", "join_pieces",
           "quote_holes", "segment_holes"]
