"""What the BM25 index holds and what a run changes in it (pure)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pipeline.config import ConfigError, load_config
from pipeline.search import SearchSettings, index_fingerprint, index_plan
from pipeline.settings import typed

S = replace(typed(load_config(), SearchSettings), fts_stemmer="porter", fts_stopwords="english")


def _state(indexed: dict, stemmer: str = "porter", stopwords: str = "english") -> dict:
    return {"fingerprint": index_fingerprint(indexed.items()), "n_documents": len(indexed),
            "stemmer": stemmer, "stopwords": stopwords}


def test_fingerprint_is_the_set_of_texts():
    a = index_fingerprint([("d1", "h1"), ("d2", "h2")])
    assert a == index_fingerprint([("d2", "h2"), ("d1", "h1")])
    assert a != index_fingerprint([("d1", "h1"), ("d2", "h3")])
    assert a != index_fingerprint([("d1", "h1")])
    assert a != index_fingerprint([("d1", "h2"), ("d2", "h1")])


def test_only_new_changed_and_gone_documents_are_touched():
    indexed = {"a": "1", "b": "2", "c": "3"}
    current = {"a": "1", "b": "20", "d": "4"}  # b changed, c gone, d new
    plan = index_plan(_state(indexed), current, indexed, S, index_exists=True)
    assert (plan.full, plan.add, plan.remove, plan.update) == (False, ("b", "d"), ("b", "c"), "changed")
    same = index_plan(_state(indexed), dict(indexed), indexed, S, index_exists=True)
    assert (same.add, same.remove, same.update) == ((), (), "none")
    gone = index_plan(_state(indexed), {"a": "1"}, indexed, S, index_exists=True)
    assert (gone.add, gone.remove, gone.update) == ((), ("b", "c"), "changed")


def test_everything_is_rebuilt_without_an_index_or_with_other_settings():
    indexed = {"a": "1", "b": "2"}
    current = {"a": "1", "b": "2", "c": "3"}
    full = ("full", ("a", "b", "c"), ())
    for plan in (
        index_plan(None, current, {}, S, index_exists=False),  # a new database
        index_plan(_state(indexed), current, indexed, S, index_exists=False),  # the macro was dropped
        index_plan(_state(indexed), current, indexed, replace(S, fts_stemmer="none"), index_exists=True),
        index_plan(_state(indexed), current, indexed, replace(S, fts_stopwords="none"), index_exists=True),
        # the index holds other documents than its state says (a partial index): all again
        index_plan(_state(indexed), current, {"a": "1"}, S, index_exists=True),
    ):
        assert (plan.update, plan.add, plan.remove) == full


def test_tokenising_settings_are_checked():
    with pytest.raises(ConfigError, match="fts_stopwords must be one of english, none"):
        replace(S, fts_stopwords="german")
    with pytest.raises(ConfigError, match="fts_stemmer must be a plain name"):
        replace(S, fts_stemmer="porter'); DROP TABLE x; --")
