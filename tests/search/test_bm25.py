"""The BM25 index kept per document (``pipeline.store.search``): the scores of DuckDB's
own fts index (``match_bm25``) for the same texts, and an index updated document by
document equal to one built afresh. Invented texts (synthetic, written for this test)."""

from __future__ import annotations

import random

import duckdb
import pandas as pd
import pytest

from pipeline.config import load_config
from pipeline.jobs.index import update_index
from pipeline.search import SearchSettings
from pipeline.settings import typed
from pipeline.store import connect
from pipeline.store.errors import StoreError
from pipeline.store.search import index_state, load_search_extensions

WORDS = ("probation officer caseload napo ballot ballots balloted union pay award inspection inspectors "
         "SFO review blame manager managers managerialism prison prisons privatisation CRC CRCs café "
         "naïve résumé o'clock don't officer's re-offending co-worker 2014 £300 e-mail and the of to a "
         "is it was not what which through").split()
QUERIES = ["caseload", "ballot", "pay award", "the", "cafe", "Café naïve", "o'clock", "re-offending",
           "officer's caseload", "SFO blame review manager", "zeppelin", "2014", "prisons privatisation CRC",
           "the and of", "", "!!!"]


def _texts(seed: int, n: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = [(f"d{i:03d}", " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 40))))
           for i in range(n)]
    out += [("stop", "the and of it was"), ("digits", "2014 £300 !!! ..."), ("accent", "Café, CAFÉ; cafe.")]
    return out


def _load(conn, texts: list[tuple[str, str]]) -> None:
    conn.execute("CREATE OR REPLACE TABLE texts (doc_id VARCHAR, own_text VARCHAR)")
    conn.executemany("INSERT INTO texts VALUES (?, ?)", [list(t) for t in texts])


def _update(conn, settings: SearchSettings) -> str:
    """What the index job does (``update_index``), over the table ``texts``."""
    plan, n, _ = update_index(conn, settings, "r1", source="texts")
    assert n == conn.execute("SELECT count(*) FROM texts").fetchone()[0]
    return plan.update


def _scores(conn, query: str) -> dict[str, float]:
    return dict(conn.execute("SELECT doc_id, score FROM search_bm25(?)", [query]).fetchall())


def _settings(stemmer: str, stopwords: str) -> SearchSettings:
    from dataclasses import replace

    return replace(typed(load_config(), SearchSettings), fts_stemmer=stemmer, fts_stopwords=stopwords)


@pytest.mark.parametrize("stemmer,stopwords", [("porter", "english"), ("none", "none"), ("english", "english")])
def test_scores_are_duckdb_fts_scores(tmp_path, stemmer, stopwords):
    texts = _texts(1, 120)
    conn = connect(str(tmp_path / "ours.duckdb"))
    _load(conn, texts)
    assert _update(conn, _settings(stemmer, stopwords)) == "full"
    ref = duckdb.connect()
    load_search_extensions(ref)
    _load(ref, texts)
    ref.execute(f"PRAGMA create_fts_index('texts', 'doc_id', 'own_text', stemmer='{stemmer}', stopwords='{stopwords}')")
    found = 0
    for query in QUERIES:
        want = dict(ref.execute("SELECT doc_id, s FROM (SELECT doc_id, fts_main_texts.match_bm25(doc_id, ?) AS s "
                                "FROM texts) WHERE s IS NOT NULL", [query]).fetchall())
        got = _scores(conn, query)
        assert set(got) == set(want), query
        for doc_id, score in want.items():
            assert got[doc_id] == pytest.approx(score, rel=1e-12, abs=0), (query, doc_id)
        found += len(want)
    assert found > 300  # the queries do find documents
    # the documents' lengths are the fts index's too
    lengths = dict(conn.execute("SELECT doc_id, len FROM search_doc_lengths").fetchall())
    assert lengths == dict(ref.execute("SELECT name, len FROM fts_main_texts.docs").fetchall())
    conn.close()
    ref.close()


def test_an_index_updated_by_document_is_the_index_built_afresh(tmp_path):
    settings = _settings("porter", "english")
    first = _texts(2, 80)
    later = [(d, t + " napo ballot" if i % 7 == 0 else t) for i, (d, t) in enumerate(first) if i % 11 != 3]
    later += [(f"n{i}", t) for i, (_, t) in enumerate(_texts(3, 10))]  # new documents
    conn = connect(str(tmp_path / "updated.duckdb"))
    _load(conn, first)
    assert _update(conn, settings) == "full"
    _load(conn, later)
    assert _update(conn, settings) == "changed"
    assert _update(conn, settings) == "none"
    fresh = connect(str(tmp_path / "fresh.duckdb"))
    _load(fresh, later)
    assert _update(fresh, settings) == "full"

    def table(c, name: str) -> pd.DataFrame:
        return c.execute(f"SELECT * FROM {name} ORDER BY ALL").df()

    for name in ("search_postings", "search_doc_lengths", "search_stopwords"):
        pd.testing.assert_frame_equal(table(conn, name), table(fresh, name))
    a, b = index_state(conn), index_state(fresh)
    assert (a["fingerprint"], a["n_documents"]) == (b["fingerprint"], b["n_documents"]) == (
        b["fingerprint"], len(later))
    for query in QUERIES:
        got, want = _scores(conn, query), _scores(fresh, query)
        assert set(got) == set(want) and all(got[d] == pytest.approx(want[d], rel=1e-12) for d in want)
    # another stemmer rebuilds everything, and its stop words go with it
    assert _update(conn, _settings("porter", "none")) == "full"
    assert conn.execute("SELECT count(*) FROM search_stopwords").fetchone()[0] == 0
    assert _scores(conn, "the")
    conn.close()
    fresh.close()


def test_a_failed_update_says_why_and_leaves_the_index_as_it_was(tmp_path):
    conn = connect(str(tmp_path / "failed.duckdb"))
    _load(conn, _texts(4, 20))
    assert _update(conn, _settings("porter", "english")) == "full"
    before = conn.execute("SELECT * FROM search_postings ORDER BY ALL").df()
    state = index_state(conn)
    _load(conn, _texts(5, 25))
    with pytest.raises(StoreError, match="fts extension has no stemmer 'klingon'.*Unrecognized stemmer"):
        _update(conn, _settings("klingon", "english"))
    pd.testing.assert_frame_equal(conn.execute("SELECT * FROM search_postings ORDER BY ALL").df(), before)
    assert index_state(conn) == state
    conn.close()
