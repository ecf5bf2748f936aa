"""Search and keyword-in-context: small pure functions (no DuckDB here; the SQL of the
BM25 index, semantic search and hybrid ranking lives in ``pipeline.store.search``).

- :mod:`pipeline.search.index`: what the BM25 index holds (a fingerprint of the own texts)
  and whether it must be rebuilt.
- :mod:`pipeline.search.kwic`: finding matches of a term, word windows around them, and
  aligned keyword-in-context lines.
"""

from pipeline.search.index import needs_rebuild, texts_fingerprint
from pipeline.search.kwic import Hit, KwicError, align, compile_term, find_matches, kwic, window
from pipeline.search.settings import SearchSettings

__all__ = ["Hit", "SearchSettings", "KwicError", "align", "compile_term", "find_matches", "kwic",
           "needs_rebuild", "texts_fingerprint", "window"]
