"""Search on an invented corpus (tests/search/conftest.py): BM25, semantic and hybrid
ranks, filters, the refusal of another embedding model, the index stage's updates
(only new or changed texts), and the Python route documented in docs/search.md."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.api import Corpus
from pipeline.config import load_config
from pipeline.errors import UserError
from pipeline.jobs import STAGES
from tests.search.conftest import THREADS
from tests.stagekit import run_stages, text_dump

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _text(db: str, doc_id: str) -> str:
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute("SELECT own_text FROM search_documents WHERE doc_id = ?", [doc_id]).fetchone()[0]
    finally:
        con.close()


def _thread_of(db: str) -> dict[str, int]:
    """doc_id -> index of its thread in THREADS (by the post's title)."""
    con = duckdb.connect(db, read_only=True)
    try:
        rows = con.execute("SELECT doc_id, post_title FROM search_documents").fetchall()
    finally:
        con.close()
    titles = [t[1] for t in THREADS]
    return {d: titles.index(t) for d, t in rows}


def test_index_is_the_last_stage():
    assert list(STAGES)[-2:] == ["classify", "index"]


def test_bm25_finds_the_documents_with_the_words(search_db):
    df = Corpus(search_db).search("caravan")
    assert len(df) == 2 and list(df["rank"]) == [1, 2]
    assert all("caravan" in t for t in df["own_text"])
    assert df["score"].is_monotonic_decreasing and df["bm25_rank"].notna().all()
    # stemmed: "ballot" finds "balloted" and "Ballots", and nothing else
    df = Corpus(search_db).search("ballot")
    assert sorted(df["own_text"].str.extract(r"(?i)(ballot\w*)")[0].str.lower()) == ["balloted", "ballots"]
    # the document with both rarer words ranks first
    df = Corpus(search_db).search("laptop passwords")
    assert "passwords" in df.iloc[0]["own_text"] and set(df["own_text"].str.contains("laptop")) == {True}
    assert Corpus(search_db).search("zeppelin").empty


def test_semantic_finds_documents_by_meaning(search_db):
    threads = _thread_of(search_db)
    # no query word is in the best documents: only meaning links them
    df = Corpus(search_db).search("the kitchen was flooded when a water main burst", "semantic")
    assert threads[df.iloc[0]["doc_id"]] == 1  # the burst pipe thread
    assert df["semantic_rank"].tolist()[:3] == [1, 2, 3] and df["score"].is_monotonic_decreasing
    df = Corpus(search_db).search("vegetable gardening", "semantic", limit=2)
    assert [threads[d] for d in df["doc_id"]] == [4, 4]  # the allotment thread
    df = Corpus(search_db).search("computers that keep crashing", "semantic", limit=1)
    assert threads[df.iloc[0]["doc_id"]] == 3  # the laptop thread


def test_hybrid_fuses_both_rankings(search_db):
    threads = _thread_of(search_db)
    df = Corpus(search_db).search("caravan holiday in the rain", "hybrid")
    top2 = df.head(2)
    assert [threads[d] for d in top2["doc_id"]] == [0, 0]
    assert top2["bm25_rank"].notna().all() and top2["semantic_rank"].notna().all()
    k = load_config().get("search.rrf_k")
    row = df.iloc[0]
    assert row["score"] == pytest.approx(1 / (k + row["bm25_rank"]) + 1 / (k + row["semantic_rank"]))
    # a larger k flattens the scores but keeps the documents both methods agree on on top
    flat = Corpus(search_db, load_config(overrides={"search": {"rrf_k": 1000}})).search(
        "caravan holiday in the rain", "hybrid")
    assert set(flat.head(2)["doc_id"]) == set(top2["doc_id"]) and flat.iloc[0]["score"] < row["score"]


def test_filters_kind_and_dates(search_db):
    posts = Corpus(search_db).search("office", "semantic", kind="post", limit=100)
    assert set(posts["kind"]) == {"post"} and len(posts) == len(THREADS)
    assert list(posts["rank"]) == list(range(1, len(posts) + 1))  # ranks count what is left
    dated = Corpus(search_db).search("office", "semantic", since=date(2020, 6, 3), until=date(2021, 1, 20),
                                     limit=100)
    years = {ts.year for ts in dated["published_at"]}
    assert years == {2020, 2021} and len(dated) == 6
    with pytest.raises(UserError, match="no document has the theme"):
        Corpus(search_db).search("office", theme="napo")  # never classified here


def test_another_embedding_model_is_refused(search_db, tmp_path):
    from tests.embed.tiny_model import build_tiny_model

    other = build_tiny_model(tmp_path / "tiny")
    config = load_config(overrides={"embed": {"model": str(other), "device": "cpu"}})
    with pytest.raises(UserError, match=r"stored embeddings come from all-MiniLM-L6-v2@\w+ .* but embed.model is"):
        Corpus(search_db, config).search("office", "semantic")
    with pytest.raises(UserError, match="stored embeddings"):
        Corpus(search_db, config).search("office", "hybrid")
    assert len(Corpus(search_db, config).search("office")) > 0  # BM25 needs no model


def test_index_rebuilds_only_when_own_texts_change(search_db, tmp_path):
    db = str(tmp_path / "copy.duckdb")
    shutil.copy(search_db, db)
    again = run_stages(db, [], ("index",))["index"]
    assert (again["update"], again["indexed"], again["documents"]) == ("none", 0, 15)
    new = tmp_path / "in" / "new.txt"
    new.parent.mkdir()
    new.write_text(text_dump("2 February 2024", "Zeppelin sighting", "A zeppelin floated over the probation "
                             "office at lunchtime.", []), encoding="utf-8")
    out = run_stages(db, [new], ("ingest", "clean", "dedupe", "segment", "index"))["index"]
    assert (out["update"], out["indexed"], out["removed"], out["documents"]) == ("changed", 1, 0, 16)
    df = Corpus(db).search("zeppelin")
    assert len(df) == 1 and df.iloc[0]["published_at"].year == 2024
    # another stemmer is another index
    cfg = {"search": {"fts_stemmer": "none"}}
    assert run_stages(db, [], ("index",), **cfg)["index"]["update"] == "full"
    assert Corpus(db).search("zeppelins").empty  # no stemming now
    con = duckdb.connect(db, read_only=True)
    state = con.execute("SELECT n_documents, stemmer FROM search_index_state").fetchone()
    con.close()
    assert state == (16, "none")


def test_python_route_in_the_docs_runs_as_written(search_db):
    """The Python snippet of docs/search.md, on the invented corpus."""
    text = (DOCS / "search.md").read_text(encoding="utf-8")
    block = re.search(r"## From Python\n```python\n(.*?)```", text, flags=re.S).group(1)
    assert "LOAD" in block and "INSTALL" not in block
    ns: dict = {}
    exec(compile(block.replace("outputs/probation.duckdb", search_db), "docs/search.md", "exec"), ns)
    ns["con"].close()
    assert list(ns["hits"].columns) == ["rank", "published_at", "author", "own_text"]
    threads = _thread_of(search_db)
    assert threads[ns["similar"].iloc[0]["doc_id"]] == 1  # "the office flooded": the burst pipe thread
    assert 1 in {threads[d] for d in ns["fused"].head(2)["doc_id"]}
    assert {"bm25_rank", "semantic_rank", "score", "rank"} <= set(ns["fused"].columns)
