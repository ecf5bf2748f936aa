"""What the BM25 index holds and when it is rebuilt (pure)."""

from __future__ import annotations

from dataclasses import replace

from pipeline.config import load_config
from pipeline.search import SearchSettings, needs_rebuild, texts_fingerprint
from pipeline.settings import typed

S = replace(typed(load_config(), SearchSettings), fts_stemmer="porter", fts_stopwords="english")


def test_fingerprint_is_the_set_of_texts():
    a = texts_fingerprint([("d1", "one"), ("d2", "two")])
    assert a == texts_fingerprint([("d2", "two"), ("d1", "one")])
    assert a != texts_fingerprint([("d1", "one"), ("d2", "two!")])
    assert a != texts_fingerprint([("d1", "one")])
    assert a != texts_fingerprint([("d1", "two"), ("d2", "one")])


def test_rebuild_only_when_something_changed():
    fp = texts_fingerprint([("d1", "one")])
    state = {"fingerprint": fp, "stemmer": "porter", "stopwords": "english"}
    assert not needs_rebuild(state, fp, S, index_exists=True)
    assert needs_rebuild(None, fp, S, index_exists=True)
    assert needs_rebuild(state, fp, S, index_exists=False)
    assert needs_rebuild(state, texts_fingerprint([("d1", "two")]), S, index_exists=True)
    assert needs_rebuild(state, fp, replace(S, fts_stemmer="none"), index_exists=True)
