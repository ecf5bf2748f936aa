"""Search and keyword-in-context: small pure functions (no DuckDB here; the SQL of the
BM25 index, semantic search and hybrid ranking lives in ``pipeline.store.search``).

- :mod:`pipeline.search.index`: what the BM25 index holds (each document's text hash) and
  what a run must change in it (an :class:`IndexPlan`).
- :mod:`pipeline.search.kwic`: finding matches of a term, word windows around them, and
  aligned keyword-in-context lines.
"""

from pipeline.search.index import IndexPlan, index_fingerprint, index_plan
from pipeline.search.kwic import Hit, KwicError, align, compile_term, find_matches, kwic, window
from pipeline.search.settings import SearchSettings

__all__ = ["Hit", "IndexPlan", "SearchSettings", "KwicError", "align", "compile_term", "find_matches",
           "index_fingerprint", "index_plan", "kwic", "window"]
