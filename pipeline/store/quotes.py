"""Reads and idempotent writes for quotes (the ``quote_docs`` table and ``quotes`` view)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from pipeline.store.connection import registered, type_from_every_row, upsert
from pipeline.store.errors import StoreError


def quote_inputs(conn: duckdb.DuckDBPyConnection, options_key: str) -> pd.DataFrame:
    """Every segmented document with what its quote depends on: ``doc_id, clean_text,
    own_spans`` (list of [start, end] of its own segments), ``handles`` (its author's
    names), ``input_key`` and ``stale`` (no quote stored for that key); and, for stale
    documents, ``own_hash``, the content hash of the own text (sha256 hex of the UTF-8
    text, as ``pipeline.embed.content_hash`` makes it; NULL when it has none, and for
    current documents, whose texts a run does not hash), which its stored tags
    (``token_tags``) are keyed by."""
    return conn.execute(
        """
        WITH own AS (
            SELECT doc_id, list([start, "end"] ORDER BY start) AS own_spans,
                   string_agg(start || ':' || "end", ',' ORDER BY start) AS k
            FROM doc_segments WHERE kind = 'own' GROUP BY doc_id
        ),
        keyed AS (
            SELECT c.doc_id, c.clean_text, COALESCE(own.own_spans, []::INTEGER[][]) AS own_spans,
                   list_filter([d.author, o.author_inferred, c.signoff], x -> x IS NOT NULL) AS handles,
                   o.own_text,
                   md5(concat_ws('|', md5(c.clean_text), COALESCE(own.k, ''), COALESCE(d.author, ''),
                                 COALESCE(o.author_inferred, ''), COALESCE(c.signoff, ''), ?)) AS input_key
            FROM clean_docs c
            JOIN doc_own o ON o.doc_id = c.doc_id
            JOIN document_rows d ON d.doc_id = c.doc_id
            LEFT JOIN own ON own.doc_id = c.doc_id
        ),
        flagged AS (
            SELECT k.*, (q.input_key IS NULL OR q.input_key <> k.input_key) AS stale
            FROM keyed k LEFT JOIN quote_docs q ON q.doc_id = k.doc_id
        )
        SELECT * EXCLUDE (own_text),
               CASE WHEN stale AND length(own_text) > 0 THEN sha256(own_text) END AS own_hash
        FROM flagged ORDER BY doc_id
        """,
        [options_key],
    ).df()


def write_quotes(conn: duckdb.DuckDBPyConnection, rows: pd.DataFrame, run_id: str | None) -> int:
    """Upsert the quotes in ``rows`` (``doc_id, input_key, quote, pieces, n_words,
    reason, names_flagged, first_sentence``; ``pieces`` a list of ``{start, end}``) and
    drop quotes of documents no longer segmented. Call inside ``transaction``."""
    conn.execute("DELETE FROM quote_docs WHERE doc_id NOT IN (SELECT doc_id FROM doc_own)")
    if rows.empty:
        return 0
    df = rows.assign(run_id=run_id)[["doc_id", "input_key", "quote", "pieces", "n_words", "reason",
                                      "names_flagged", "first_sentence", "run_id"]]
    type_from_every_row(conn, len(df))  # most rows have no flagged name (and some no piece)
    with registered(conn, "_quotes", df) as conn:
        upsert(conn, "quote_docs",
               """SELECT doc_id, input_key, quote, CAST(pieces AS STRUCT(start INTEGER, "end" INTEGER)[]), n_words,
                         reason, CAST(names_flagged AS VARCHAR[]), first_sentence, run_id
                  FROM _quotes""")
    return len(df)


@dataclass(frozen=True)
class QuoteFilter:
    """What ``quote_set`` selects. Dates are inclusive; ``topic`` is a topic id of the
    current topic model or words of its label; ``search`` words must all occur in the
    quote (case-insensitive)."""

    theme: str | None = None
    stance: str | None = None
    kind: str | None = None
    min_chars: int = 0
    max_chars: int | None = None
    min_words: int = 0
    max_words: int | None = None
    since: date | None = None
    until: date | None = None
    topic: str | None = None
    search: str | None = None
    min_confidence: float = 0.0
    per_post: int | None = None
    citable_only: bool = False    # only labels whose calibrated precision on real text is >= 0.8


# A label of the classify run's model is citable when its precision on real text (the
# model card's measurement, ``label_quality``) is at least 0.8 at the model's own threshold,
# or, where it is not, when the label's calibrated confidence reaches the confidence at
# which it is (``confidence_for_precision_80``). A model with no ``label_quality`` rows is
# not judged here.
_CITABLE = """(
  NOT EXISTS (SELECT 1 FROM label_quality lq JOIN classify_runs cr ON lq.model_run_id = cr.{model}
              WHERE cr.run_id = quotes.classify_run_id AND lq.label_kind = '{kind}')
  OR EXISTS (SELECT 1 FROM label_quality lq JOIN classify_runs cr ON lq.model_run_id = cr.{model}
             WHERE cr.run_id = quotes.classify_run_id AND lq.label_kind = '{kind}'
               AND lq.label = {label} AND lq.value = {value}
               AND (lq.precision >= 0.8 OR {score} >= lq.confidence_for_precision_80)))"""


def _where(f: QuoteFilter) -> tuple[list[str], list]:
    where, params = ["n_chars >= ?", "n_words >= ?", "theme_score >= ?"], [f.min_chars, f.min_words,
                                                                         f.min_confidence]
    if f.theme:
        where.append("theme = ?")
        params.append(f.theme)
    if f.stance:
        where.append("stance = ? AND stance_score >= ?")
        params += [f.stance.upper(), f.min_confidence]
    if f.citable_only:
        where.append(_CITABLE.format(model="theme_model", kind="theme", score="theme_score", label="theme",
                                     value="'present'"))
        if f.stance:
            where.append(_CITABLE.format(model="stance_model", kind="stance", score="stance_score",
                                         label="'_all'", value="stance"))
    if f.max_chars:
        where.append("n_chars <= ?")
        params.append(f.max_chars)
    if f.max_words:
        where.append("n_words <= ?")
        params.append(f.max_words)
    if f.kind:
        where.append("kind = ?")
        params.append(f.kind)
    if f.since:
        where.append("CAST(published_at AS DATE) >= ?")
        params.append(f.since)
    if f.until:
        where.append("CAST(published_at AS DATE) <= ?")
        params.append(f.until)
    if f.topic is not None and str(f.topic).strip():
        t = str(f.topic).strip()
        if t.lstrip("-").isdigit():
            where.append("topic_id = ?")
            params.append(int(t))
        else:
            where.append("topic_label ILIKE ?")
            params.append(f"%{t}%")
    for word in (f.search or "").split():
        where.append("regexp_matches(quote, ?)")
        params.append(r"(?i)(?:^|\W)" + re.escape(word) + r"(?:\W|$)")
    return where, params


def quote_set(conn: duckdb.DuckDBPyConnection, f: QuoteFilter) -> pd.DataFrame:
    """Every quote matching ``f``, most confident first (stance, then theme). Without a
    theme, each document appears once (under its most confident theme); ``per_post``
    keeps the most confident N of each post."""
    where, params = _where(f)
    sql = f"SELECT * FROM quotes WHERE {' AND '.join(where)}"
    order = "stance_score DESC NULLS LAST, theme_score DESC, published_at NULLS LAST, doc_id, theme"
    if not f.theme:
        sql = (f"SELECT * FROM ({sql}) QUALIFY row_number() OVER (PARTITION BY doc_id "
               "ORDER BY theme_score DESC, theme) = 1")
    if f.per_post:
        sql = (f"SELECT * FROM ({sql}) QUALIFY row_number() OVER (PARTITION BY COALESCE(post_id, doc_id) "
               f"ORDER BY {order}) <= ?")
        params = [*params, int(f.per_post)]
    return conn.execute(f"SELECT * FROM ({sql}) ORDER BY {order}", params).df()


def themes_known(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT theme FROM quotes ORDER BY 1").fetchall()]


def has_quotes(conn: duckdb.DuckDBPyConnection) -> bool:
    try:
        return bool(conn.execute("SELECT count(*) FROM quote_docs").fetchone()[0])
    except duckdb.CatalogException as exc:
        raise StoreError("this database has no quotes table: open it once writable (any `probation-corpus run`) "
                         "to bring its schema up to date") from exc


def handles(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Every author name the corpus holds: source authors, inferred authors, sign-offs
    (as written and as names) and authors of republished comments."""
    rows = conn.execute(
        """
        SELECT author FROM document_rows UNION SELECT author_inferred FROM doc_own
        UNION SELECT republished_author FROM doc_own UNION SELECT signoff FROM clean_docs
        """
    ).fetchall()
    return sorted({r[0] for r in rows if r[0] and str(r[0]).strip()})


def quotes_of(conn: duckdb.DuckDBPyConnection, doc_ids: Sequence[str]) -> pd.DataFrame:
    """Stored quotes of these documents with their clean text (for checks)."""
    with registered(conn, "_ids", pd.DataFrame({"doc_id": pd.Series(list(doc_ids), dtype=object)})) as conn:
        return conn.execute(
            "SELECT q.*, c.clean_text FROM quote_docs q JOIN clean_docs c USING (doc_id) "
            "WHERE doc_id IN (SELECT doc_id FROM _ids) ORDER BY doc_id").df()


__all__ = ["QuoteFilter", "handles", "has_quotes", "quote_inputs", "quote_set", "quotes_of", "themes_known",
           "write_quotes"]
