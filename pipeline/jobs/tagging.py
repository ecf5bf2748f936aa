"""A stage's tagger wired to the stored tags (``token_tags``): texts tagged before, by
any stage or run, are rebuilt from their tags; the others are tagged and their tags kept
(``pipeline.nlp.reusing_tagger``). Not a job: the topics and classify jobs use it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.embed import content_hash
from pipeline.nlp import Tagger, reusing_tagger, tagger_key
from pipeline.store.tags import stored_tags, write_tags


def store_tagger(conn: Any, nlp: Any) -> Tagger:
    """A tagger that reads and writes the stored tags through ``conn`` as it runs (writes
    inside the caller's transaction)."""
    key = tagger_key(nlp)
    if key is None:
        return reusing_tagger(nlp)
    return reusing_tagger(nlp, lambda hashes: stored_tags(conn, hashes, key),
                          lambda tags: write_tags(conn, tags, key), key=content_hash)


def read_tags(conn: Any, nlp: Any, hashes: Sequence[str]) -> dict[str, bytes]:
    """The stored tags of these content hashes for ``nlp``'s tagger (none without a tagger
    key), for ``pipeline.nlp.held_tagger`` in a stage that runs with the database closed."""
    key = tagger_key(nlp)
    return stored_tags(conn, hashes, key) if key is not None else {}


def keep_tags(conn: Any, nlp: Any, tags: Mapping[str, bytes]) -> int:
    """Store tags collected by ``pipeline.nlp.held_tagger``; returns the rows added."""
    key = tagger_key(nlp)
    return write_tags(conn, tags, key) if key is not None and tags else 0
