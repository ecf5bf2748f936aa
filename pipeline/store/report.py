"""Reads for the HTML report and the local explorer (read-only; public views only)."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipeline.store.quotes import QuoteFilter, quote_set, themes_known


# a document's date, else its post's (text copies give comments no time of their own)
POST = "LEFT JOIN documents p ON p.doc_id = d.post_id"
WHEN = "coalesce(d.published_at, p.published_at)"


def _df(conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return conn.execute(sql, params or []).df()


def latest_classify_run(conn: duckdb.DuckDBPyConnection) -> str | None:
    row = conn.execute("SELECT run_id FROM classify_runs ORDER BY created_at DESC LIMIT 1").fetchone()
    return row[0] if row else None


def volume(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Posts and comments per month; a comment without a time of its own counts at its post's date."""
    return _df(conn, f"SELECT date_trunc('month', {WHEN})::DATE AS period, d.kind, count(*) AS n "
                     f"FROM documents d {POST} WHERE {WHEN} IS NOT NULL GROUP BY ALL ORDER BY period, d.kind")


def undated(conn: duckdb.DuckDBPyConnection) -> int:
    """Documents with no date at all (neither their own nor their post's)."""
    return conn.execute(f"SELECT count(*) FROM documents d {POST} WHERE {WHEN} IS NULL").fetchone()[0]


def topics_over_time(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Documents per topic and month of the current topic model, with each topic's label."""
    return _df(conn, "SELECT o.period, o.topic_id, t.label, o.count AS n, o.share "
                     "FROM topics_over_time o JOIN topics t USING (run_id, topic_id) "
                     "WHERE t.is_current ORDER BY o.period, o.topic_id")


def topics_current(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _df(conn, "SELECT topic_id, label, size FROM topics WHERE is_current ORDER BY topic_id")


def stance_by_theme(conn: duckdb.DuckDBPyConnection, run_id: str | None) -> pd.DataFrame:
    """Per theme, year and stance: documents of the classify run (dated as in :func:`volume`)."""
    if not run_id:
        return pd.DataFrame(columns=["theme", "period", "stance", "n"])
    return _df(conn, f"SELECT t.theme, date_trunc('year', {WHEN})::DATE AS period, t.stance, count(*) AS n "
                     f"FROM doc_themes t JOIN documents d USING (doc_id) {POST} "
                     f"WHERE t.run_id = ? AND {WHEN} IS NOT NULL GROUP BY ALL ORDER BY 1, 2, 3", [run_id])


def sentiment_by_theme(conn: duckdb.DuckDBPyConnection, run_id: str | None) -> pd.DataFrame:
    """Per theme and sentiment label: documents of the classify run."""
    if not run_id:
        return pd.DataFrame(columns=["theme", "label", "n"])
    return _df(conn, "SELECT t.theme, s.label, count(*) AS n FROM doc_themes t "
                     "JOIN doc_sentiment s ON s.run_id = t.run_id AND s.doc_id = t.doc_id "
                     "WHERE t.run_id = ? GROUP BY ALL ORDER BY 1, 2", [run_id])


def top_quotes(conn: duckdb.DuckDBPyConnection, per_theme: int, min_chars: int,
               max_chars: int | None, min_confidence: float = 0.0) -> pd.DataFrame:
    """The most confident quotes of each theme (the ``quotes`` view, as `probation-corpus quotes`)."""
    frames = [quote_set(conn, QuoteFilter(theme=theme, min_chars=min_chars, max_chars=max_chars,
                                          min_confidence=min_confidence)).head(per_theme)
              for theme in themes_known(conn)]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def evaluations(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The ``_overall`` row of every method in the latest evaluation of each model kind."""
    return _df(conn, "WITH latest AS (SELECT model_kind, arg_max(run_id, created_at) AS run_id "
                     "FROM model_evaluations GROUP BY model_kind) "
                     "SELECT e.model_kind, e.method, e.macro_f1, e.micro_f1, e.n_items, e.cv_folds, e.run_id, "
                     "e.created_at FROM model_evaluations e JOIN latest USING (model_kind, run_id) "
                     "WHERE e.class = '_overall' ORDER BY e.model_kind, e.macro_f1 DESC NULLS LAST, e.method")


def sources(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _df(conn, "SELECT s.path_or_url, s.format, s.sha256, s.ingested_at, s.declared_comments, "
                     "s.parsed_comments, len(s.warnings) AS warnings, count(d.doc_id) AS documents "
                     "FROM sources s LEFT JOIN documents d ON d.source_id = s.source_id "
                     "GROUP BY ALL ORDER BY s.path_or_url")


def quarantine(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _df(conn, 'SELECT source, locator, code, reason, "at" FROM quarantine ORDER BY "at", source, locator')


def runs(conn: duckdb.DuckDBPyConnection, limit: int) -> pd.DataFrame:
    return _df(conn, "SELECT run_id, flow, started_at, finished_at, status, code_version FROM runs "
                     "ORDER BY started_at DESC LIMIT ?", [int(limit)])


def counts(conn: duckdb.DuckDBPyConnection) -> dict:
    by_kind = dict(conn.execute("SELECT kind, count(*) FROM documents GROUP BY kind").fetchall())
    lo, hi = conn.execute("SELECT min(published_at), max(published_at) FROM documents").fetchone()
    version = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    return {"posts": by_kind.get("post", 0), "comments": by_kind.get("comment", 0), "first": lo, "last": hi,
            "schema_version": version}


# ---- the explorer ---------------------------------------------------------------------


def facets(conn: duckdb.DuckDBPyConnection) -> dict:
    """What the explorer's filters offer: themes with quotes, current topics, date range."""
    topics = conn.execute("SELECT topic_id, label FROM topics WHERE is_current AND topic_id >= 0 "
                          "ORDER BY topic_id").fetchall()
    lo, hi = conn.execute("SELECT min(published_at)::DATE, max(published_at)::DATE FROM quotes").fetchone()
    return {"themes": themes_known(conn), "topics": topics, "first": lo, "last": hi}


def browse_quotes(conn: duckdb.DuckDBPyConnection, theme: str | None = None, stance: str | None = None,
                  topic: int | None = None, since: str | None = None, until: str | None = None,
                  limit: int = 50, offset: int = 0, min_confidence: float = 0.0) -> tuple[pd.DataFrame, int]:
    """Quotes by theme, stance, topic (current model) and date, most confident first; and the total.
    Labels below ``min_confidence`` are left out, as in `probation-corpus quotes`."""
    where, params = ["TRUE"], []
    if theme:
        where.append("q.theme = ?")
        params.append(theme)
    if stance:
        where.append("q.stance = ?")
        params.append(stance.upper())
    if topic is not None:
        where.append("q.topic_id = ?")
        params.append(int(topic))
    if since:
        where.append("q.published_at >= CAST(? AS DATE)")
        params.append(since)
    if until:
        where.append("q.published_at < CAST(? AS DATE) + INTERVAL 1 DAY")
        params.append(until)
    where.append("q.theme_score >= ?")
    params.append(float(min_confidence))
    base = f"FROM quotes q WHERE {' AND '.join(where)}"
    total = conn.execute(f"SELECT count(*) {base}", params).fetchone()[0]
    df = conn.execute(f"SELECT q.* {base} "
                      "ORDER BY q.stance_score DESC NULLS LAST, q.theme_score DESC, q.published_at, q.doc_id, q.theme "
                      "LIMIT ? OFFSET ?", [*params, int(limit), int(offset)]).df()
    return df, total


def thread(conn: duckdb.DuckDBPyConnection, doc_id: str) -> pd.DataFrame:
    """The whole thread around a document: its post and every comment, in reading order."""
    row = conn.execute("SELECT post_id FROM documents WHERE doc_id = ?", [doc_id]).fetchone()
    if row is None:
        return pd.DataFrame()
    return _df(conn, "SELECT d.doc_id, d.kind, d.post_id, d.parent_id, d.position, d.published_at, d.date_only, "
                     "d.title, d.url, d.text, d.own_text, coalesce(d.author_inferred, d.author, 'Anonymous') "
                     "AS pseudonym FROM documents d WHERE d.post_id = ? ORDER BY d.position, d.doc_id", [row[0]])
