"""What the BM25 index holds, and when it must be rebuilt."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from pipeline.search.settings import SearchSettings


def texts_fingerprint(pairs: Iterable[tuple[str, str]]) -> str:
    """sha256 over the sorted ``(doc_id, sha256(text))`` pairs: equal iff the same documents
    hold the same texts (order of the input does not matter)."""
    digest = hashlib.sha256()
    for doc_id, text_hash in sorted((d, hashlib.sha256(t.encode("utf-8")).hexdigest()) for d, t in pairs):
        digest.update(f"{doc_id}\t{text_hash}\n".encode())
    return digest.hexdigest()


def needs_rebuild(state: dict | None, fingerprint: str, settings: SearchSettings, index_exists: bool) -> bool:
    """True when there is no index, the texts changed, or the tokenising settings changed."""
    if state is None or not index_exists:
        return True
    return (state["fingerprint"], state["stemmer"], state["stopwords"]) != (
        fingerprint, settings.fts_stemmer, settings.fts_stopwords)
