"""Reads and idempotent writes for the dedupe stage: signatures, the shingle index,
shared passages, pair evidence and the duplicates table."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipeline.store.connection import drop_tables, registered, set_memory, upsert


AFFECTED = "_dedupe_affected"  # temp table of ``affected_docs``: the documents a run's rebuild reads
_RELATABLE = "_dedupe_relatable"  # temp table of ``affected_docs``: every relatable pair (a < b)

# What a document's publication rank depends on (``relations.chronological_rank``), as one
# digest: its time (else its post's), post, kind and position (``d``: the document's
# ``document_rows``, ``p``: its post's).
_ORDER_KEY = ("md5(concat_ws('|', COALESCE(CAST(COALESCE(d.published_at, p.published_at) AS VARCHAR), ''), "
              "COALESCE(d.post_id, ''), COALESCE(d.kind, ''), COALESCE(CAST(d.position AS VARCHAR), '')))")


def _in_affected(*columns: str) -> str:
    return " AND ".join(f"{c} IN (SELECT doc_id FROM {AFFECTED})" for c in columns)


def _id_range(doc_ids: list[str]) -> list[str | None]:
    """``[min, max]`` of ``doc_ids`` (``[None, None]``, which matches nothing, when
    empty), for ``doc_id BETWEEN ? AND ?`` beside ``doc_id IN (...)``. The range adds
    no row; it lets DuckDB skip the row groups it cannot reach by their min/max. A run
    links its new documents in chunks of consecutive ids (``docs_to_dedupe`` orders
    them), and the tables a link step reads them from were written in that order: on the
    first run over 150,000 documents, reads inside the run's transaction took 0.22 s a
    step without it and 0.03 s with it, where a semi join alone scanned the table."""
    return [min(doc_ids), max(doc_ids)] if doc_ids else [None, None]


def doc_order_frame(conn: duckdb.DuckDBPyConnection, affected: bool = False) -> pd.DataFrame:
    """What publication order needs, for every cleaned document (or, with ``affected``,
    those of ``affected_docs``): ``doc_id, post_id, kind, position, published_at,
    post_published_at``."""
    where = f"WHERE {_in_affected('d.doc_id')}" if affected else ""
    return conn.execute(
        f"""
        SELECT d.doc_id, d.post_id, d.kind, d.position, d.published_at, p.published_at AS post_published_at
        FROM document_rows d
        JOIN clean_docs c ON c.doc_id = d.doc_id
        LEFT JOIN document_rows p ON p.doc_id = d.post_id
        {where}
        ORDER BY d.doc_id
        """
    ).df()


def stale_signature_keys(conn: duckdb.DuckDBPyConnection, options_key: str) -> bool:
    """True when some stored signature was made with other settings (all must be redone)."""
    row = conn.execute("SELECT count(*) FROM dedupe_signatures WHERE options_key <> ?", [options_key]).fetchone()
    return bool(row[0])


def reset(conn: duckdb.DuckDBPyConnection) -> None:
    """Forget every signature, shingle and pair (settings changed). Call inside ``transaction``."""
    for table in ("dedupe_signatures", "shingle_index", "dedupe_lsh_bands", "dedupe_blocks", "dedupe_spans", "dedupe_near_pairs", "dedupe_coverage",
                  "duplicate_rows", "dedupe_groups", "dedupe_build"):
        conn.execute(f"DELETE FROM {table}")


def docs_to_dedupe(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``doc_id, clean_text, clean_md5`` of cleaned documents without a signature of
    their current clean text."""
    return conn.execute(
        """
        SELECT c.doc_id, c.clean_text, md5(c.clean_text) AS clean_md5
        FROM clean_docs c LEFT JOIN dedupe_signatures s ON s.doc_id = c.doc_id
        WHERE s.doc_id IS NULL OR s.clean_md5 <> md5(c.clean_text)
        ORDER BY c.doc_id
        """
    ).df()


def forget_docs(conn: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> None:
    """Drop the index rows and pair evidence of documents about to be re-hashed."""
    if not doc_ids:
        return
    with registered(conn, "_forget", pd.DataFrame({"doc_id": pd.Series(doc_ids, dtype=object)})) as conn:
        conn.execute("DELETE FROM shingle_index WHERE doc_id IN (SELECT doc_id FROM _forget)")
        conn.execute("DELETE FROM dedupe_lsh_bands WHERE doc_id IN (SELECT doc_id FROM _forget)")
        conn.execute("DELETE FROM dedupe_blocks WHERE doc_id IN (SELECT doc_id FROM _forget)")
        conn.execute("DELETE FROM dedupe_spans WHERE doc_id IN (SELECT doc_id FROM _forget) "
                     "OR source_doc_id IN (SELECT doc_id FROM _forget)")
        conn.execute("DELETE FROM dedupe_near_pairs WHERE a IN (SELECT doc_id FROM _forget) "
                     "OR b IN (SELECT doc_id FROM _forget)")
        conn.execute("DELETE FROM dedupe_coverage WHERE doc_a IN (SELECT doc_id FROM _forget) "
                     "OR doc_b IN (SELECT doc_id FROM _forget)")


def write_signatures(conn: duckdb.DuckDBPyConnection, rows: pd.DataFrame, options_key: str,
                     run_id: str | None) -> None:
    """Upsert ``doc_id, clean_md5, n_tokens, signature`` (bytes)."""
    if rows.empty:
        return
    df = rows.copy()
    df["options_key"] = options_key
    df["run_id"] = run_id
    with registered(conn, "_sigs", df) as conn:
        upsert(conn, "dedupe_signatures", "SELECT doc_id, clean_md5, options_key, CAST(n_tokens AS INTEGER), "
               "signature, run_id FROM _sigs")


def write_shingles(conn: duckdb.DuckDBPyConnection, shingles: pd.DataFrame) -> None:
    """Append ``hash, doc_id, pos`` rows (``forget_docs`` first for re-hashed documents)."""
    if shingles.empty:
        return
    with registered(conn, "_sh", shingles) as conn:
        conn.execute("INSERT INTO shingle_index SELECT CAST(hash AS BIGINT), doc_id, CAST(pos AS INTEGER) FROM _sh")


def write_blocks(conn: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> None:
    """Append ``doc_id, start, end, hash, n_words`` block rows."""
    if rows.empty:
        return
    with registered(conn, "_blocks", rows) as conn:
        upsert(conn, "dedupe_blocks", 'SELECT doc_id, start, "end", hash, n_words FROM _blocks')


def blocks_for(conn: duckdb.DuckDBPyConnection, new_ids: list[str]) -> pd.DataFrame:
    """Stored blocks (``doc_id, start, end, hash, n_words``) of the new documents, or whose
    hash is a new document's clean hash."""
    with registered(conn, "_new", pd.DataFrame({"doc_id": pd.Series(new_ids, dtype=object)})) as conn:
        return conn.execute(
            """
            SELECT b.doc_id, b.start, b."end", b.hash, b.n_words FROM dedupe_blocks b
            WHERE b.doc_id IN (SELECT doc_id FROM _new)
               OR b.hash IN (SELECT c.clean_hash FROM clean_docs c JOIN _new n USING (doc_id))
            ORDER BY b.doc_id, b.start
            """
        ).df()


def doc_hashes_for(conn: duckdb.DuckDBPyConnection, hashes: list[str], new_ids: list[str]) -> pd.DataFrame:
    """``doc_id, clean_hash`` of cleaned documents with one of ``hashes``, or new."""
    with (
        registered(conn, "_h", pd.DataFrame({"hash": pd.Series(hashes, dtype=object)})) as conn,
        registered(conn, "_new", pd.DataFrame({"doc_id": pd.Series(new_ids, dtype=object)})) as conn,
    ):
        return conn.execute(
            "SELECT doc_id, clean_hash FROM clean_docs WHERE clean_hash IN (SELECT hash FROM _h) "
            "OR doc_id IN (SELECT doc_id FROM _new) ORDER BY doc_id"
        ).df()


def write_bands(conn: duckdb.DuckDBPyConnection, bands: pd.DataFrame) -> None:
    """Append ``band, key, doc_id`` LSH band rows (``forget_docs`` first for re-hashed ones)."""
    if bands.empty:
        return
    with registered(conn, "_bands", bands) as conn:
        conn.execute("INSERT INTO dedupe_lsh_bands SELECT CAST(band AS SMALLINT), CAST(key AS BIGINT), doc_id "
                     "FROM _bands")


def bands_matching(conn: duckdb.DuckDBPyConnection, query: pd.DataFrame) -> pd.DataFrame:
    """Stored band rows (``band, key, doc_id``) that share a band key with ``query``."""
    with registered(conn, "_qb", query[["band", "key"]].drop_duplicates()) as conn:
        return conn.execute("SELECT b.band, b.key, b.doc_id FROM dedupe_lsh_bands b "
                            "JOIN _qb q ON q.band = b.band AND q.key = b.key").df()


def bands_of(conn: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> pd.DataFrame:
    """Stored band rows of these documents."""
    with registered(conn, "_ids", pd.DataFrame({"doc_id": pd.Series(doc_ids, dtype=object)})) as conn:
        return conn.execute("SELECT band, key, doc_id FROM dedupe_lsh_bands "
                            "WHERE doc_id IN (SELECT doc_id FROM _ids) AND doc_id BETWEEN ? AND ? "
                            "ORDER BY doc_id, band", _id_range(doc_ids)).df()


def signatures_of(conn: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> dict[str, bytes]:
    """Stored signatures (doc_id -> bytes) of these documents."""
    with registered(conn, "_ids", pd.DataFrame({"doc_id": pd.Series(doc_ids, dtype=object)})) as conn:
        rows = conn.execute("SELECT doc_id, signature FROM dedupe_signatures "
                            "WHERE doc_id IN (SELECT doc_id FROM _ids)").fetchall()
    return {d: bytes(b) for d, b in rows}


def signatures_without_bands(conn: duckdb.DuckDBPyConnection, limit: int) -> dict[str, bytes]:
    """Up to ``limit`` stored signatures (doc_id -> bytes) of documents with words that
    have no LSH bands yet (a database from before the bands were kept)."""
    rows = conn.execute(
        "SELECT s.doc_id, s.signature FROM dedupe_signatures s WHERE s.n_tokens > 0 AND NOT EXISTS "
        "(SELECT 1 FROM dedupe_lsh_bands b WHERE b.doc_id = s.doc_id) ORDER BY s.doc_id LIMIT ?", [limit]).fetchall()
    return {d: bytes(b) for d, b in rows}


def doc_info(conn: duckdb.DuckDBPyConnection, affected: bool = False) -> pd.DataFrame:
    """``doc_id, clean_hash, n_tokens`` of every hashed document (or, with ``affected``,
    of those of ``affected_docs``)."""
    where = f"WHERE {_in_affected('s.doc_id')} " if affected else ""
    return conn.execute(
        "SELECT s.doc_id, c.clean_hash, s.n_tokens FROM dedupe_signatures s JOIN clean_docs c USING (doc_id) "
        f"{where}ORDER BY s.doc_id"
    ).df()


def postings_needed(conn: duckdb.DuckDBPyConnection, query_ids: list[str], rank: pd.Series,
                    max_sources: int) -> pd.DataFrame:
    """The stored postings (``hash, doc_id, pos``) that ``source_matches`` needs for the
    query documents, and no others: for each of their hashes that two documents or more
    hold (a hash of one document can link nothing), the postings of its
    ``max_sources`` earliest documents (by ``rank``, then doc_id), and every posting of
    a hash where a query document is among those. A common phrase held by thousands of
    documents costs ``max_sources`` documents' rows, not thousands (DuckDB does the
    ranking, spilling to disk if it must). The job reads the same rows with
    ``sources_for_run`` and ``postings_for_chunk``, which rank once per run; this one
    query is their reference (tests compare them)."""
    cols = {"hash": np.int64, "doc_id": object, "pos": np.int64}
    if not query_ids:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})
    ranks = pd.DataFrame({"doc_id": pd.Series(rank.index, dtype=object), "rnk": rank.to_numpy(np.int64)})
    with (
        registered(conn, "_q", pd.DataFrame({"doc_id": pd.Series(query_ids, dtype=object)})) as conn,
        registered(conn, "_rank", ranks) as conn,
    ):
        return conn.execute(
            """
            WITH qh AS (SELECT DISTINCT s.hash FROM shingle_index s JOIN _q USING (doc_id)),
            holders AS (
                SELECT hash, doc_id FROM (SELECT DISTINCT s.hash, s.doc_id FROM shingle_index s JOIN qh USING (hash))
                QUALIFY count(*) OVER (PARTITION BY hash) > 1
            ),
            firsts AS (
                SELECT h.hash, h.doc_id FROM holders h LEFT JOIN _rank r USING (doc_id)
                QUALIFY row_number() OVER (PARTITION BY h.hash ORDER BY r.rnk NULLS LAST, h.doc_id) <= ?
            ),
            open_hashes AS (SELECT DISTINCT f.hash FROM firsts f JOIN _q USING (doc_id))
            SELECT s.hash, s.doc_id, CAST(s.pos AS BIGINT) AS pos FROM shingle_index s JOIN open_hashes USING (hash)
            UNION ALL
            SELECT s.hash, s.doc_id, CAST(s.pos AS BIGINT) AS pos FROM shingle_index s
            JOIN firsts f ON f.hash = s.hash AND f.doc_id = s.doc_id
            WHERE f.hash NOT IN (SELECT hash FROM open_hashes)
            ORDER BY 1, 2, 3
            """, [max_sources]).df()


@contextmanager
def sources_for_run(conn: duckdb.DuckDBPyConnection, new_ids: list[str], rank: pd.Series,
                    max_sources: int) -> Iterator[None]:
    """For the whole run, once, two temporary tables that the link steps read
    (``link_weights``, ``linkable_shingles``, ``postings_for_chunk``):

    - ``_dedupe_shared``: every posting of each hash a new document holds that two
      documents or more hold. A hash held by one document can link nothing; on real
      text most are (150k documents: 14.1 million postings, 2.0 million of them shared).
      The steps read this table, not the whole shingle index: at 150k a step's reads
      of the index were 3.7 s, and with one step per ``chunk_size`` documents that
      was quadratic in the run.
    - ``_dedupe_sources``: the sources (``max_sources`` earliest holders, by ``rank``
      then doc_id) of each of those hashes. Ranking the holders of the common hashes
      once per run, not once per chunk, keeps a first run over many chunks linear;
      only hashes held by more than ``max_sources`` documents are ranked (the window
      runs over their holders, not over every posting)."""
    ranks = pd.DataFrame({"doc_id": pd.Series(rank.index, dtype=object), "rnk": rank.to_numpy(np.int64)})
    with (
        registered(conn, "_q", pd.DataFrame({"doc_id": pd.Series(new_ids, dtype=object)})) as conn,
        registered(conn, "_rank", ranks) as conn,
    ):
        conn.execute(
            """
            CREATE OR REPLACE TEMP TABLE _dedupe_shared AS
            WITH qh AS (SELECT DISTINCT s.hash FROM shingle_index s JOIN _q USING (doc_id)),
            shared AS (SELECT s.hash FROM shingle_index s SEMI JOIN qh USING (hash)
                       GROUP BY s.hash HAVING count(DISTINCT s.doc_id) > 1)
            SELECT s.hash, s.doc_id, CAST(s.pos AS BIGINT) AS pos FROM shingle_index s SEMI JOIN shared USING (hash)
            ORDER BY s.doc_id, s.pos
            """)
        conn.execute(
            """
            CREATE OR REPLACE TEMP TABLE _dedupe_sources AS
            WITH holders AS MATERIALIZED (SELECT DISTINCT hash, doc_id FROM _dedupe_shared),
            busy AS MATERIALIZED (SELECT hash FROM holders GROUP BY hash HAVING count(*) > $1)
            SELECT h.hash, h.doc_id FROM holders h ANTI JOIN busy USING (hash)
            UNION ALL
            SELECT h.hash, h.doc_id FROM holders h SEMI JOIN busy USING (hash) LEFT JOIN _rank r USING (doc_id)
            QUALIFY row_number() OVER (PARTITION BY h.hash ORDER BY r.rnk NULLS LAST, h.doc_id) <= $1
            """, [max_sources])
    try:
        yield
    finally:
        drop_tables(conn, "_dedupe_sources", "_dedupe_shared")


def link_weights(conn: duckdb.DuckDBPyConnection, new_ids: list[str], max_sources: int) -> dict[str, int]:
    """Inside ``sources_for_run``: for each new document, about how many stored postings
    ``postings_for_chunk`` reads to link it alone. For each of its hashes: every posting
    of the hash if the document is one of its sources (its later holders are linked to
    it), else the sources' share of them (``max_sources`` of the hash's holders);
    nothing for a hash it alone holds (``sources_for_run`` leaves those out). An
    estimate (the postings per holder are averaged; a hash two documents of a chunk
    share is read once) that ``weighted_chunks`` splits the link steps by."""
    if not new_ids:
        return {}
    with registered(conn, "_q", pd.DataFrame({"doc_id": pd.Series(new_ids, dtype=object)})) as conn:
        rows = conn.execute(
            """
            WITH own AS MATERIALIZED (SELECT DISTINCT s.doc_id, s.hash FROM _dedupe_shared s SEMI JOIN _q USING (doc_id)),
            per_hash AS MATERIALIZED (
                SELECT s.hash, count(*) AS n, count(DISTINCT s.doc_id) AS k FROM _dedupe_shared s
                SEMI JOIN (SELECT DISTINCT hash FROM own) o USING (hash) GROUP BY s.hash)
            SELECT o.doc_id, CAST(round(sum(CASE WHEN f.doc_id IS NOT NULL THEN h.n
                                               ELSE h.n * least(1.0, $1 / h.k) END)) AS BIGINT)
            FROM own o JOIN per_hash h USING (hash)
            LEFT JOIN _dedupe_sources f ON f.hash = o.hash AND f.doc_id = o.doc_id
            GROUP BY o.doc_id
            """, [max_sources]).fetchall()
    return {d: int(w) for d, w in rows}


def linkable_shingles(conn: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> pd.DataFrame:
    """Inside ``sources_for_run``: ``hash, doc_id, pos`` of these new documents' hashes
    that another document holds, by ``doc_id, pos``. These are all the
    postings of theirs that linking can match (``align.source_match_codes`` pairs a
    query posting only with another document's posting of its hash)."""
    with registered(conn, "_ids", pd.DataFrame({"doc_id": pd.Series(doc_ids, dtype=object)})) as conn:
        return conn.execute("SELECT hash, doc_id, pos FROM _dedupe_shared "
                            "WHERE doc_id IN (SELECT doc_id FROM _ids) AND doc_id BETWEEN ? AND ? "
                            "ORDER BY doc_id, pos", _id_range(doc_ids)).df()


def postings_for_chunk(conn: duckdb.DuckDBPyConnection, query_ids: list[str]) -> pd.DataFrame:
    """``postings_needed`` for a chunk of the run's new documents, from the tables
    ``sources_for_run`` made: the same rows, in the same order."""
    cols = {"hash": np.int64, "doc_id": object, "pos": np.int64}
    if not query_ids:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})
    with registered(conn, "_q", pd.DataFrame({"doc_id": pd.Series(query_ids, dtype=object)})) as conn:
        return conn.execute(
            """
            WITH qh AS (SELECT DISTINCT s.hash FROM _dedupe_shared s JOIN _q USING (doc_id)
                        WHERE s.doc_id BETWEEN $1 AND $2),
            firsts AS (SELECT f.hash, f.doc_id FROM _dedupe_sources f JOIN qh USING (hash)),
            open_hashes AS (SELECT DISTINCT f.hash FROM firsts f JOIN _q USING (doc_id))
            SELECT s.hash, s.doc_id, s.pos FROM _dedupe_shared s JOIN open_hashes USING (hash)
            UNION ALL
            SELECT s.hash, s.doc_id, s.pos FROM _dedupe_shared s
            JOIN firsts f ON f.hash = s.hash AND f.doc_id = s.doc_id
            WHERE f.hash NOT IN (SELECT hash FROM open_hashes)
            ORDER BY 1, 2, 3
            """, _id_range(query_ids)).df()


def write_pairs(conn: duckdb.DuckDBPyConnection, spans: pd.DataFrame, near: pd.DataFrame,
                coverage: pd.DataFrame) -> None:
    """Store shared passages (character offsets), verified near pairs and coverage.
    Rows for the same key are replaced."""
    with registered(conn, "_spans", spans) as conn, registered(conn, "_near", near) as conn, \
            registered(conn, "_cov", coverage) as conn:
        _insert_pairs(conn, "_spans" if len(spans) else None, "_near" if len(near) else None,
                      "_cov" if len(coverage) else None)


def _insert_pairs(conn: duckdb.DuckDBPyConnection, spans: str | None, near: str | None, coverage: str | None) -> None:
    """``write_pairs`` from SQL sources (a registered frame, ``read_parquet(...)``); None: none."""
    if spans:
        upsert(conn, "dedupe_spans", 'SELECT doc_id, start, "end", source_doc_id, src_start, src_end, n_tokens '
               f"FROM {spans}")
    if near:
        upsert(conn, "dedupe_near_pairs", f"SELECT a, b, jaccard FROM {near}")
    if coverage:
        upsert(conn, "dedupe_coverage", "SELECT doc_a, doc_b, cov_a, cov_b, CAST(shared AS INTEGER), "
               f"CAST(gap_a AS INTEGER) FROM {coverage}")


class StagedPairs:
    """Pair evidence kept in Parquet files, in order, until ``staged_pairs`` writes it.

    The dedupe stage links new documents in many steps inside one transaction; rows it
    inserted stay in memory with their key indexes until the commit, so writing each
    step's evidence as it went grew the stage's memory by every step's rows, under the
    later steps' own working memory (150k documents: about 2 GiB by the last step).
    Staged on disk, the evidence is inserted once linking is done, step by step in the
    same order, so the stored rows are those ``write_pairs`` per step would store."""

    _TABLES = ("spans", "near", "coverage")

    def __init__(self, conn: duckdb.DuckDBPyConnection, folder: Path):
        self._conn, self._folder = conn, folder
        self._steps: list[dict[str, Path]] = []

    def add(self, spans: pd.DataFrame, near: pd.DataFrame, coverage: pd.DataFrame) -> None:
        """Stage one step's evidence (``write_pairs``' arguments)."""
        step: dict[str, Path] = {}
        for name, frame in zip(self._TABLES, (spans, near, coverage)):
            if len(frame):
                path = self._folder / f"{len(self._steps):06d}_{name}.parquet"
                with registered(self._conn, "_staged", frame) as conn:
                    conn.execute(f"COPY (SELECT * FROM _staged) TO {_sql_path(path)} (FORMAT parquet)")
                step[name] = path
        self._steps.append(step)

    def write(self) -> int:
        """Insert every staged step, in order (``write_pairs``); the number of steps."""
        for step in self._steps:
            _insert_pairs(self._conn, *(f"read_parquet({_sql_path(step[t])})" if t in step else None
                                        for t in self._TABLES))
        return len(self._steps)


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


@contextmanager
def staged_pairs(conn: duckdb.DuckDBPyConnection, under: Path | None) -> Iterator[StagedPairs]:
    """A ``StagedPairs`` in a new temporary folder inside ``under`` (``None``: the system's
    temporary folder); when the block ends normally its evidence is written (in the
    caller's transaction), and the folder is removed either way (a failed block writes
    nothing)."""
    with tempfile.TemporaryDirectory(prefix="probation-dedupe-", dir=under) as folder:
        stage = StagedPairs(conn, Path(folder))
        yield stage
        stage.write()


def all_pairs(conn: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every stored near pair (``a, b, jaccard``) and coverage row (the job rebuilds from
    ``relatable_pairs``; this is its reference)."""
    near = conn.execute("SELECT a, b, jaccard FROM dedupe_near_pairs ORDER BY a, b").df()
    cov = conn.execute("SELECT doc_a, doc_b, cov_a, cov_b, shared, gap_a FROM dedupe_coverage "
                       "ORDER BY doc_a, doc_b").df()
    return near, cov


def relatable_pairs(conn: duckdb.DuckDBPyConnection, near_threshold: float,
                    floor: float, affected: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stored near pairs (``a, b, jaccard``) and coverage rows of the pairs that can
    be related: a Jaccard of at least ``near_threshold`` or a coverage, either way
    round, of at least ``floor``; in ``all_pairs`` order. The same filter as
    ``pipeline.dedupe.relations.pair_can_relate``, so the duplicates are rebuilt from
    these rows alone, and memory follows the related pairs, not every LSH candidate.
    With ``affected``: only the pairs between documents of ``affected_docs`` (whole
    groups: no relatable pair leaves them)."""
    if affected:  # the relatable pairs ``affected_docs`` found, between affected documents
        conn.execute(f"CREATE OR REPLACE TEMP TABLE _relatable AS SELECT a, b FROM {_RELATABLE} "
                     f"WHERE {_in_affected('a', 'b')}")
    else:
        conn.execute(
            """
            CREATE OR REPLACE TEMP TABLE _relatable AS
            SELECT a, b FROM dedupe_near_pairs WHERE jaccard >= ?
            UNION
            SELECT least(doc_a, doc_b), greatest(doc_a, doc_b) FROM dedupe_coverage WHERE cov_a >= ? OR cov_b >= ?
            """, [near_threshold, floor, floor])
    try:
        near = conn.execute("SELECT n.a, n.b, n.jaccard FROM dedupe_near_pairs n JOIN _relatable r USING (a, b) "
                            "ORDER BY n.a, n.b").df()
        cov = conn.execute(
            "SELECT c.doc_a, c.doc_b, c.cov_a, c.cov_b, c.shared, c.gap_a FROM dedupe_coverage c "
            "JOIN _relatable r ON r.a = least(c.doc_a, c.doc_b) AND r.b = greatest(c.doc_a, c.doc_b) "
            "ORDER BY c.doc_a, c.doc_b").df()
    finally:
        drop_tables(conn, "_relatable")
    return near, cov


def replace_duplicates(conn: duckdb.DuckDBPyConnection, dups: pd.DataFrame, run_id: str | None,
                       affected: bool = False) -> dict[str, int]:
    """Replace the duplicates table (with ``affected``: only the rows of the documents of
    ``affected_docs``; every other row stays as stored); returns how many rows were
    added and removed."""
    scope = f" WHERE {_in_affected('doc_id')} OR {_in_affected('canonical_id')}" if affected else ""
    before = set(map(tuple, conn.execute(
        f"SELECT doc_id, canonical_id, relation FROM duplicate_rows{scope}").fetchall()))
    after = set(map(tuple, dups[["doc_id", "canonical_id", "relation"]].itertuples(index=False, name=None)))
    conn.execute(f"DELETE FROM duplicate_rows{scope}")
    if not dups.empty:
        df = dups.copy()
        df["run_id"] = run_id
        with registered(conn, "_dups", df) as conn:
            conn.execute("INSERT INTO duplicate_rows SELECT doc_id, canonical_id, relation, similarity, method, run_id "
                         "FROM _dups")
    return {"added": len(after - before), "removed": len(before - after)}


def relation_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Stored duplicate rows per relation."""
    return {r: int(n) for r, n in conn.execute(
        "SELECT relation, count(*) FROM duplicate_rows GROUP BY relation ORDER BY relation").fetchall()}


def build_key(conn: duckdb.DuckDBPyConnection) -> str | None:
    """The relation settings the stored groups and duplicates were built with (None:
    never built, or a database from before they were kept)."""
    row = conn.execute("SELECT relations_key FROM dedupe_build").fetchone()
    return row[0] if row else None


def write_build_key(conn: duckdb.DuckDBPyConnection, key: str, run_id: str | None) -> None:
    conn.execute("DELETE FROM dedupe_build")
    conn.execute("INSERT INTO dedupe_build VALUES (?, ?)", [key, run_id])


@contextmanager
def affected_docs(conn: duckdb.DuckDBPyConnection, new_ids: list[str], near_threshold: float,
                  floor: float) -> Iterator[int]:
    """The documents whose duplicate rows a run with these new (re-hashed) documents may
    change, as the temporary table ``AFFECTED`` for the scoped reads and writes; yields
    how many there are. Call after the run's evidence is written.

    Changed documents: the new ones, and every stored group member whose
    publication-order fields changed since its group was built (the order decides
    which document of a pair is the later, hence the pair's relation). Seeds: the
    changed documents; the other end of every relatable pair (the filter of
    ``relatable_pairs``) with one of them; the documents with words sharing a new
    document's clean hash. Then every member of a seed's stored group. A link that
    takes part in the build (``relations.duplicates_and_groups``) and was not there
    before, or is gone, has an end among the seeds (its evidence, its order or a clean
    hash changed); every other link lies inside one stored group. So the result is
    whole groups, old and new."""
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_RELATABLE} AS
        SELECT a, b FROM dedupe_near_pairs WHERE jaccard >= $1
        UNION
        SELECT least(doc_a, doc_b), greatest(doc_a, doc_b) FROM dedupe_coverage WHERE cov_a >= $2 OR cov_b >= $2
        """, [near_threshold, floor])
    with registered(conn, "_new", pd.DataFrame({"doc_id": pd.Series(new_ids, dtype=object)})) as conn:
        conn.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _dedupe_seeds AS
            WITH changed AS (
                SELECT doc_id FROM _new
                UNION SELECT g.doc_id FROM dedupe_groups g
                      LEFT JOIN document_rows d ON d.doc_id = g.doc_id
                      LEFT JOIN document_rows p ON p.doc_id = d.post_id
                      WHERE {_ORDER_KEY} IS DISTINCT FROM g.order_key
            ),
            new_hashes AS (
                SELECT DISTINCT c.clean_hash FROM clean_docs c JOIN _new USING (doc_id)
                JOIN dedupe_signatures s USING (doc_id) WHERE s.n_tokens > 0
            )
            SELECT doc_id FROM changed
            UNION SELECT a FROM {_RELATABLE} WHERE b IN (SELECT doc_id FROM changed)
            UNION SELECT b FROM {_RELATABLE} WHERE a IN (SELECT doc_id FROM changed)
            UNION SELECT c.doc_id FROM clean_docs c JOIN dedupe_signatures s USING (doc_id)
                  WHERE s.n_tokens > 0 AND c.clean_hash IN (SELECT clean_hash FROM new_hashes)
            """)
    try:
        conn.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {AFFECTED} AS
            SELECT doc_id FROM _dedupe_seeds
            UNION SELECT g.doc_id FROM dedupe_groups g
                  WHERE g.group_id IN (SELECT g2.group_id FROM dedupe_groups g2 JOIN _dedupe_seeds USING (doc_id))
            """)
        yield int(conn.execute(f"SELECT count(*) FROM {AFFECTED}").fetchone()[0])
    finally:
        drop_tables(conn, "_dedupe_seeds", AFFECTED, _RELATABLE)


def affected_with_pairs(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The documents of ``affected_docs`` with a relatable pair (with any document): in a
    full rebuild they are ends of the pairs read, so they have a stored group (of their
    own if no pair of theirs takes part), whose order is watched."""
    return [r[0] for r in conn.execute(
        f"SELECT a FROM {_RELATABLE} WHERE {_in_affected('a')} "
        f"UNION SELECT b FROM {_RELATABLE} WHERE {_in_affected('b')} ORDER BY 1").fetchall()]


def replace_groups(conn: duckdb.DuckDBPyConnection, groups: pd.DataFrame, affected: bool = False) -> None:
    """Replace the stored groups (``doc_id, group_id``; with ``affected``: those of the
    documents of ``affected_docs``), each with its publication-order digest."""
    scope = f" WHERE {_in_affected('doc_id')}" if affected else ""
    conn.execute(f"DELETE FROM dedupe_groups{scope}")
    if groups.empty:
        return
    with registered(conn, "_groups", groups[["doc_id", "group_id"]]) as conn:
        conn.execute(
            f"""
            INSERT INTO dedupe_groups
            SELECT g.doc_id, g.group_id, {_ORDER_KEY} FROM _groups g
            LEFT JOIN document_rows d ON d.doc_id = g.doc_id
            LEFT JOIN document_rows p ON p.doc_id = d.post_id
            """)


__all__ = ["AFFECTED", "affected_docs", "affected_with_pairs", "build_key", "write_build_key", "replace_groups", "relation_counts",
           "set_memory", "doc_order_frame", "stale_signature_keys", "reset", "docs_to_dedupe", "forget_docs",
           "write_signatures", "write_shingles", "write_blocks", "blocks_for", "doc_hashes_for", "doc_info",
           "write_bands", "bands_matching", "bands_of", "signatures_of", "signatures_without_bands", "postings_needed",
           "sources_for_run", "link_weights", "linkable_shingles", "postings_for_chunk",
           "write_pairs", "StagedPairs", "staged_pairs", "all_pairs", "relatable_pairs", "replace_duplicates"]
