"""Search inside DuckDB: the BM25 index over own words (kept per document, so that a run
updates only what changed; tokenised and scored as DuckDB's fts extension does, whose
``stem`` it uses, loaded from the duckdb-ext-fts package, never downloaded), semantic
search over the stored embeddings, hybrid ranking (reciprocal rank fusion),
keyword-in-context candidates and export of public views. Every SQL of these features
lives here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.search.settings import STOPWORD_LISTS
from pipeline.store.connection import drop_tables, load_extension, registered
from pipeline.store.documents import now_utc
from pipeline.store.errors import StoreError

K1, B = "1.2", "0.75"
"""BM25's constants, as DuckDB's fts extension has them by default (``match_bm25``'s k and b)."""


def bm25_macro(stemmer: str) -> str:
    """``search_bm25(query)``: every document holding a term of ``query`` (tokenised by
    ``search_tokenize`` and stemmed as the index was), BM25-scored. The formula, its types
    and its literals are those of DuckDB's fts extension (``match_bm25``), over the index's
    per-document tables instead of the extension's: the same scores (tested)."""
    return f"""
CREATE OR REPLACE MACRO search_bm25(query) AS TABLE
WITH tokens AS (SELECT DISTINCT stem(unnest(search_tokenize(query)), '{stemmer}') AS term),
stats AS (SELECT count(*) AS num_docs, sum(len) / count(len) AS avgdl FROM search_doc_lengths),
hits AS (SELECT p.doc_id, p.term, CAST(p.tf AS BIGINT) AS tf FROM search_postings p JOIN tokens USING (term)),
dfs AS (SELECT term, count(*) AS df FROM hits GROUP BY term),
scores AS (
    SELECT h.doc_id,
           sum(log(((((SELECT num_docs FROM stats) - df) + 0.5) / (df + 0.5)) + 1)
               * ((tf * ({K1} + 1)) / (tf + ({K1} * ((1 - {B}) + ({B} * (CAST(d.len AS BIGINT)
                                                                  / (SELECT avgdl FROM stats)))))))) AS score
    FROM hits h JOIN dfs USING (term) JOIN search_doc_lengths d USING (doc_id)
    GROUP BY h.doc_id
)
SELECT doc_id, score, row_number() OVER (ORDER BY score DESC, doc_id) AS rank FROM scores
"""


HYBRID_MACRO = """
CREATE OR REPLACE MACRO search_hybrid(query, query_vector, k := 60, candidates := 100) AS TABLE
SELECT doc_id, sum(1.0 / (k + rank)) AS score,
       min(bm25_rank) AS bm25_rank, min(semantic_rank) AS semantic_rank,
       row_number() OVER (ORDER BY sum(1.0 / (k + rank)) DESC, doc_id) AS rank
FROM (
    SELECT doc_id, rank, rank AS bm25_rank, NULL::BIGINT AS semantic_rank
    FROM search_bm25(query) WHERE rank <= candidates
    UNION ALL
    SELECT doc_id, rank, NULL::BIGINT, rank
    FROM search_semantic(query_vector) WHERE rank <= candidates
)
GROUP BY doc_id
"""


def load_search_extensions(conn: duckdb.DuckDBPyConnection) -> None:
    """LOAD the fts extension from its package folder (offline; never INSTALL)."""
    load_extension(conn, "fts")


# ---- the index -------------------------------------------------------------------------


SEARCHED = "search_documents"
"""What the BM25 index holds: the view of searchable documents (``doc_id``, ``own_text``)."""


def own_text_hashes(conn: duckdb.DuckDBPyConnection, source: str = SEARCHED) -> pd.DataFrame:
    """``doc_id, text_hash`` (sha256 of the UTF-8 own text, hex) of every document of
    ``source`` (the searchable documents; a test may name a table of its own), by doc_id."""
    return conn.execute(f"SELECT doc_id, sha256(own_text) AS text_hash FROM {source} ORDER BY doc_id").df()


def indexed_hashes(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``doc_id, text_hash`` of every document the BM25 index holds."""
    return conn.execute("SELECT doc_id, text_hash FROM search_doc_lengths ORDER BY doc_id").df()


def index_state(conn: duckdb.DuckDBPyConnection) -> dict | None:
    row = conn.execute("SELECT fingerprint, n_documents, stemmer, stopwords, built_at, run_id "
                       "FROM search_index_state WHERE key = 'bm25'").fetchone()
    if row is None:
        return None
    return dict(zip(("fingerprint", "n_documents", "stemmer", "stopwords", "built_at", "run_id"), row))


def bm25_ready(conn: duckdb.DuckDBPyConnection) -> bool:
    """True when the BM25 index and the ``search_bm25`` macro exist."""
    return conn.execute("SELECT count(*) FROM duckdb_functions() WHERE function_name = 'search_bm25'"
                        ).fetchone()[0] > 0


def fts_stopwords(name: str) -> list[str]:
    """The stop words of ``search.fts_stopwords``: ``english`` is DuckDB fts's own list (read
    from the extension, by indexing one row in a database in memory), ``none`` none."""
    if name not in STOPWORD_LISTS:
        raise StoreError(f"search.fts_stopwords must be one of {', '.join(STOPWORD_LISTS)}, got {name!r}")
    if name == "none":
        return []
    mem = duckdb.connect()
    try:
        load_search_extensions(mem)
        mem.execute("CREATE TABLE t (id INTEGER, s VARCHAR)")
        mem.execute("INSERT INTO t VALUES (1, 'a')")
        mem.execute(f"PRAGMA create_fts_index('t', 'id', 's', stopwords='{name}')")
        return [r[0] for r in mem.execute("SELECT sw FROM fts_main_t.stopwords ORDER BY sw").fetchall()]
    finally:
        mem.close()


def update_bm25(conn: duckdb.DuckDBPyConnection, add: Sequence[str], remove: Sequence[str], full: bool,
                fingerprint: str, stemmer: str, stopwords: str, run_id: str | None, source: str = SEARCHED) -> int:
    """Bring the BM25 index up to date: with ``full``, empty it and index the documents in
    ``add``; otherwise drop the terms of those in ``remove`` and index those in ``add``
    (their own texts as ``source``, the searchable documents, has them now). Each
    document's terms are the tokens of ``search_tokenize`` less the stop words, stemmed,
    with their counts. Records ``fingerprint`` (of every document now indexed) and the
    settings; returns the number of documents indexed. Run it inside a transaction."""
    load_search_extensions(conn)
    try:  # a parameter: only a stemmer DuckDB knows (a plain name) reaches the SQL below
        conn.execute("SELECT stem('probation', ?)", [stemmer]).fetchone()
    except duckdb.Error as exc:
        raise StoreError(f"search.fts_stemmer: DuckDB's fts extension has no stemmer {stemmer!r} "
                         f"({str(exc).splitlines()[0]})") from exc
    if full:  # the stop words with the settings: an update keeps those of the last full build
        for table in ("search_postings", "search_doc_lengths", "search_stopwords"):
            conn.execute(f"DELETE FROM {table}")
        words = fts_stopwords(stopwords)
        with registered(conn, "_sw", pd.DataFrame({"sw": pd.Series(words, dtype=object)})) as scoped:
            scoped.execute("INSERT INTO search_stopwords SELECT sw FROM _sw")
    elif remove:
        with registered(conn, "_gone", pd.DataFrame({"doc_id": list(remove)})) as scoped:
            for table in ("search_postings", "search_doc_lengths"):
                scoped.execute(f"DELETE FROM {table} WHERE doc_id IN (SELECT doc_id FROM _gone)")
    if add:
        with registered(conn, "_add", pd.DataFrame({"doc_id": list(add)})) as scoped:
            scoped.execute("CREATE OR REPLACE TEMP TABLE _index_texts AS SELECT d.doc_id, d.own_text, "
                           f"sha256(d.own_text) AS text_hash FROM {source} d JOIN _add USING (doc_id)")
        try:
            conn.execute(
                "CREATE OR REPLACE TEMP TABLE _index_terms AS "
                f"SELECT doc_id, stem(w, '{stemmer}') AS term, CAST(count(*) AS INTEGER) AS tf "
                "FROM (SELECT doc_id, unnest(search_tokenize(own_text)) AS w FROM _index_texts) "
                "WHERE w IS NOT NULL AND len(w) > 0 AND w NOT IN (SELECT sw FROM search_stopwords) GROUP BY ALL")
            conn.execute("INSERT INTO search_postings SELECT doc_id, term, tf FROM _index_terms")
            conn.execute("INSERT INTO search_doc_lengths SELECT t.doc_id, CAST(coalesce(sum(p.tf), 0) AS INTEGER), "
                         "t.text_hash FROM _index_texts t LEFT JOIN _index_terms p USING (doc_id) "
                         "GROUP BY t.doc_id, t.text_hash")
        finally:
            drop_tables(conn, "_index_terms", "_index_texts")
    if full:
        conn.execute(bm25_macro(stemmer))
        conn.execute(HYBRID_MACRO)
    n_documents = int(conn.execute("SELECT count(*) FROM search_doc_lengths").fetchone()[0])
    conn.execute(
        "INSERT INTO search_index_state VALUES ('bm25', ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
        "fingerprint = excluded.fingerprint, n_documents = excluded.n_documents, stemmer = excluded.stemmer, "
        "stopwords = excluded.stopwords, built_at = excluded.built_at, run_id = excluded.run_id",
        [fingerprint, n_documents, stemmer, stopwords, now_utc(), run_id],
    )
    return len(add)


# ---- queries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What a search or KWIC is narrowed to (every field optional)."""

    theme: str | None = None
    stance: str | None = None
    since: date | None = None
    until: date | None = None  # inclusive
    kind: str | None = None

    def where(self, alias: str = "d") -> tuple[str, list]:
        clauses, params = ["true"], []
        if self.theme and self.stance:
            clauses.append(f"list_contains({alias}.theme_stances, ?)")
            params.append(f"{self.theme}:{self.stance.upper()}")
        elif self.theme:
            clauses.append(f"list_contains({alias}.themes, ?)")
            params.append(self.theme)
        elif self.stance:
            clauses.append(f"len(list_filter({alias}.theme_stances, x -> split_part(x, ':', 2) = ?)) > 0")
            params.append(self.stance.upper())
        if self.since:
            clauses.append(f"{alias}.published_at >= ?")
            params.append(self.since)
        if self.until:
            clauses.append(f"{alias}.published_at < ?")
            params.append(self.until + timedelta(days=1))
        if self.kind:
            clauses.append(f"{alias}.kind = ?")
            params.append(self.kind)
        return " AND ".join(clauses), params


def known_themes(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT unnest(themes) FROM search_documents ORDER BY 1").fetchall()]


RESULT_COLUMNS = ("doc_id, kind, post_id, author, published_at, post_title, permalink, own_text, "
                  "themes, theme_stances")


def search(conn: duckdb.DuckDBPyConnection, mode: str, query: str, query_vector: Sequence[float] | None,
           filters: Filters, limit: int, rrf_k: int, candidates: int) -> pd.DataFrame:
    """Ranked documents for ``query``: ``mode`` is ``bm25``, ``semantic`` or ``hybrid``.

    Columns: rank (1 = best, after the filters), score, the per-method ranks (hybrid), and
    the columns of ``search_documents``. Filters apply after ranking.
    """
    if mode in ("bm25", "hybrid"):
        if not bm25_ready(conn):
            raise StoreError("no full-text index yet: run `probation-corpus run` (the index stage) first")
        load_search_extensions(conn)
    if mode == "bm25":
        source, params = "SELECT doc_id, score, rank AS bm25_rank, NULL::BIGINT AS semantic_rank FROM search_bm25(?)", [query]
    elif mode == "semantic":
        source, params = ("SELECT doc_id, score, NULL::BIGINT AS bm25_rank, rank AS semantic_rank "
                          "FROM search_semantic(?)"), [list(map(float, query_vector))]
    elif mode == "hybrid":
        source = ("SELECT doc_id, score, bm25_rank, semantic_rank "
                  "FROM search_hybrid(?, ?, k := ?, candidates := ?)")
        params = [query, list(map(float, query_vector)), int(rrf_k), int(candidates)]
    else:
        raise StoreError(f"unknown search mode {mode!r}; use bm25, semantic or hybrid")
    where, fparams = filters.where("d")
    sql = (f"SELECT row_number() OVER (ORDER BY r.score DESC, r.doc_id) AS rank, r.score, r.bm25_rank, "
           f"r.semantic_rank, {', '.join('d.' + c.strip() for c in RESULT_COLUMNS.split(','))} "
           f"FROM ({source}) r JOIN search_documents d USING (doc_id) WHERE {where} "
           "ORDER BY r.score DESC, r.doc_id LIMIT ?")
    try:
        return conn.execute(sql, [*params, *fparams, int(limit)]).df()
    except duckdb.CatalogException as exc:
        raise StoreError(f"search is not set up in this database: {str(exc).splitlines()[0]} "
                         "(run `probation-corpus run` first)") from exc


def kwic_documents(conn: duckdb.DuckDBPyConnection, filters: Filters, contains: str | None = None) -> pd.DataFrame:
    """Searchable documents (own words only) matching ``filters`` and, as a cheap prefilter,
    holding ``contains`` (case-insensitive)."""
    where, params = filters.where("d")
    if contains:
        where += " AND strpos(lower(d.own_text), lower(?)) > 0"
        params.append(contains)
    return conn.execute(f"SELECT {RESULT_COLUMNS} FROM search_documents d WHERE {where} "
                        "ORDER BY d.published_at NULLS LAST, d.doc_id", params).df()


# ---- export ----------------------------------------------------------------------------


def public_views(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' ORDER BY 1"
    ).fetchall()]


_COPY_OPTIONS = {"parquet": "FORMAT parquet", "csv": "FORMAT csv, HEADER true",
                 "jsonl": "FORMAT json"}


def blob_columns(conn: duckdb.DuckDBPyConnection, view: str) -> list[str]:
    return [name for name, kind in view_columns(conn, view) if kind == "BLOB"]


def export_view(conn: duckdb.DuckDBPyConnection, view: str, path: Path, fmt: str) -> int:
    """Write every row of ``view`` to ``path`` (COPY); returns the row count. In JSON Lines
    a BLOB column (``quarantine.raw``) is written as base64 text (JSON has no bytes)."""
    if view not in public_views(conn):
        raise StoreError(f"unknown view {view!r}; views: {', '.join(public_views(conn))}")
    options = _COPY_OPTIONS[fmt]
    target = str(path).replace("'", "''")
    select = "*"
    blobs = blob_columns(conn, view) if fmt == "jsonl" else []
    if blobs:
        select = "* REPLACE (" + ", ".join(f'base64("{c}") AS "{c}"' for c in blobs) + ")"
    conn.execute(f'COPY (SELECT {select} FROM "{view}") TO \'{target}\' ({options})')
    return int(conn.execute(f'SELECT count(*) FROM "{view}"').fetchone()[0])


def view_columns(conn: duckdb.DuckDBPyConnection, view: str) -> list[tuple[str, str]]:
    """(name, type) of each column of ``view``."""
    return [(r[0], r[1]) for r in conn.execute(f'DESCRIBE SELECT * FROM "{view}"').fetchall()]


def provenance(conn: duckdb.DuckDBPyConnection) -> dict:
    """Schema version, completed runs and the model versions they used (for a manifest)."""
    version = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    runs = conn.execute("SELECT run_id, flow, started_at, finished_at, code_version, model_versions "
                        "FROM runs WHERE status = 'completed' ORDER BY started_at, run_id").fetchall()
    models: dict = {}
    for *_, mv in runs:
        models.update(json.loads(mv or "{}"))
    return {
        "schema_version": int(version or 0),
        "runs": [{"run_id": r[0], "flow": r[1], "started_at": r[2].isoformat() if r[2] else None,
                  "finished_at": r[3].isoformat() if r[3] else None, "code_version": r[4]} for r in runs],
        "model_versions": models,
    }
