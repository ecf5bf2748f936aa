"""What the BM25 index holds, and what a run must change in it.

The index is kept per document (``pipeline.store.search``): each indexed document's
terms and the sha256 of the own text they came from. A run compares those hashes with
the current own texts and re-indexes only the documents that are new or whose text
changed, and removes the ones that are gone; everything is rebuilt only when there is no
index yet or the tokenising settings changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pipeline.search.settings import SearchSettings


def index_fingerprint(pairs: Iterable[tuple[str, str]]) -> str:
    """sha256 over the sorted ``(doc_id, sha256 of its own text)`` pairs: equal iff the same
    documents hold the same texts (order of the input does not matter)."""
    digest = hashlib.sha256()
    for doc_id, text_hash in sorted(pairs):
        digest.update(f"{doc_id}\t{text_hash}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class IndexPlan:
    """What a run does to the index: ``full`` rebuilds it from every document (``add``
    then lists them all); otherwise the documents in ``remove`` lose their terms and
    those in ``add`` are indexed (a changed text is in both)."""

    full: bool
    add: tuple[str, ...]
    remove: tuple[str, ...]

    @property
    def update(self) -> str:
        """``full``, ``changed`` or ``none`` (what the run's summary says)."""
        if self.full:
            return "full"
        return "changed" if self.add or self.remove else "none"


def index_plan(state: Mapping | None, current: Mapping[str, str], indexed: Mapping[str, str],
               settings: SearchSettings, index_exists: bool) -> IndexPlan:
    """The plan for ``current`` (doc_id -> sha256 of its own text) against ``indexed`` (the
    same, for what the index holds), the recorded ``state`` of the last update and whether
    the index's macro exists. A full rebuild when there is no index, the tokenising settings
    changed, or what is indexed is not what the state recorded (a partial index)."""
    if (state is None or not index_exists
            or (state["stemmer"], state["stopwords"]) != (settings.fts_stemmer, settings.fts_stopwords)
            or state["n_documents"] != len(indexed)):
        return IndexPlan(True, tuple(sorted(current)), ())
    add = tuple(sorted(d for d, h in current.items() if indexed.get(d) != h))
    remove = tuple(sorted(d for d, h in indexed.items() if current.get(d) != h))
    return IndexPlan(False, add, remove)
