"""What ``prune`` may remove, and removing it: old classify runs, old topic models,
vectors no current setting or text can use, and stored tags of another spaCy pipeline.
Every plan keeps the latest classify run, the current topic model and the current
embedder's vectors of current texts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from pipeline.store.classify import ROW_TABLES
from pipeline.store.connection import registered
from pipeline.store.documents import now_utc
from pipeline.store.embed import embed_state

TOPIC_TABLES = ("topic_quote_rows", "topic_rows", "doc_topic_rows")


@dataclass(frozen=True)
class Item:
    """One thing to remove: its kind, its key, when it was made and its rows per table."""

    kind: str  # classify_run | topic_model | doc_vectors | sentence_vectors | token_tags
    item: str
    created_at: object = None
    rows: dict[str, int] = field(default_factory=dict)
    folder: str | None = None  # a topic model's folder on disk

    @property
    def n_rows(self) -> int:
        return sum(self.rows.values())


def _count(conn, sql: str, params: list) -> int:
    return int(conn.execute(sql, params).fetchone()[0])


def old_classify_runs(conn: duckdb.DuckDBPyConnection, keep: int) -> list[Item]:
    """Classify runs older than the newest ``keep`` (at least 1: the latest is never
    removed), with the rows that would go with each: its ``classify_doc_inputs`` rows and
    the label rows no kept run reads (counted under the newest removed run that read
    them: rows an older run computed and a removed newer run carried go with the newer)."""
    runs = conn.execute("SELECT run_id, created_at FROM classify_run_log ORDER BY created_at DESC, run_id DESC"
                        ).fetchall()[max(1, keep):]
    if not runs:
        return []
    ids = [r for r, _ in runs]
    with registered(conn, "_drop", pd.DataFrame({"run_id": ids})) as c:
        inputs = dict(c.execute("SELECT run_id, count(*) FROM classify_doc_inputs "
                                "WHERE run_id IN (SELECT run_id FROM _drop) GROUP BY 1").fetchall())
        freed = ("WITH freed AS (SELECT i.rows_run_id, i.doc_id, arg_max(i.run_id, l.created_at) AS last_reader "
                 "FROM classify_doc_inputs i JOIN classify_run_log l USING (run_id) "
                 "GROUP BY i.rows_run_id, i.doc_id HAVING bool_and(i.run_id IN (SELECT run_id FROM _drop))) ")
        per_table = {table: dict(c.execute(
            freed + f"SELECT f.last_reader, count(*) FROM {table} r JOIN freed f "
                    f"ON r.run_id = f.rows_run_id AND r.doc_id = f.doc_id GROUP BY 1").fetchall())
            for table in ROW_TABLES}
    return [Item("classify_run", r, created,
                 {"classify_doc_inputs": inputs.get(r, 0), **{t: per_table[t].get(r, 0) for t in ROW_TABLES},
                  "classify_run_log": 1})
            for r, created in runs]


def old_topic_models(conn: duckdb.DuckDBPyConnection, keep: int) -> list[Item]:
    """Topic models beyond the newest ``keep`` (at least 1), never the current one."""
    models = conn.execute("SELECT run_id, created_at, model_path, is_current FROM topic_model_rows "
                          "ORDER BY created_at DESC, run_id DESC").fetchall()
    out = []
    for run_id, created, path, current in models[max(1, keep):]:
        if current:
            continue
        rows = {t: _count(conn, f"SELECT count(*) FROM {t} WHERE run_id = ?", [run_id]) for t in TOPIC_TABLES}
        out.append(Item("topic_model", run_id, created, {**rows, "topic_model_rows": 1}, path))
    return out


def unused_vectors(conn: duckdb.DuckDBPyConnection) -> list[Item]:
    """Document vectors of another embedder or of a text no document has now
    (``doc_content_rows``), and sentence vectors of another embedder. Nothing before the
    embed stage has run (no current embedder). Sentence vectors of the current embedder
    stay: classify reads them, and thread contexts and prototypes are cached there too."""
    state = embed_state(conn)
    if state is None:
        return []
    model_id, chunking = state["model_id"], state["chunking"]
    out = []
    for mid, chk, n in conn.execute(
            "SELECT model_id, chunking, count(*) FROM embedding_rows WHERE model_id <> ? OR chunking <> ? "
            "GROUP BY 1, 2 ORDER BY 1, 2", [model_id, chunking]).fetchall():
        out.append(Item("doc_vectors", f"{mid} {chk}", None, {"embedding_rows": int(n)}))
    gone = _count(conn, "SELECT count(*) FROM embedding_rows e WHERE e.model_id = ? AND e.chunking = ? "
                        "AND e.content_hash NOT IN (SELECT content_hash FROM doc_content_rows)", [model_id, chunking])
    if gone:
        out.append(Item("doc_vectors", f"{model_id} {chunking} (texts no longer in the corpus)", None,
                        {"embedding_rows": gone}))
    for mid, chk, n in conn.execute(
            "SELECT model_id, chunking, count(*) FROM sentence_embeddings WHERE model_id <> ? OR chunking <> ? "
            "GROUP BY 1, 2 ORDER BY 1, 2", [model_id, chunking]).fetchall():
        out.append(Item("sentence_vectors", f"{mid} {chk}", None, {"sentence_embeddings": int(n)}))
    return out


def unused_tags(conn: duckdb.DuckDBPyConnection, tagger: str | None) -> list[Item]:
    """Stored tags (``token_tags``) of another spaCy pipeline than ``tagger``, the current
    one (``pipeline.nlp.tagger_key``): no stage reads them. Nothing when it is None."""
    if tagger is None:
        return []
    return [Item("token_tags", t, None, {"token_tags": int(n)}) for t, n in conn.execute(
        "SELECT tagger, count(*) FROM token_tags WHERE tagger <> ? GROUP BY 1 ORDER BY 1", [tagger]).fetchall()]


def remove(conn: duckdb.DuckDBPyConnection, items: list[Item], run_id: str) -> dict[str, int]:
    """Remove ``items`` (call inside ``transaction``) and record each in ``prune_log``;
    returns the rows removed per table."""
    removed: dict[str, int] = {}

    def gone(table: str, n: int) -> None:
        removed[table] = removed.get(table, 0) + int(n)

    runs = [i.item for i in items if i.kind == "classify_run"]
    if runs:
        with registered(conn, "_drop", pd.DataFrame({"run_id": runs})) as c:
            # a kept run that carries a removed run's labels takes over their input hash
            # (stored once, on the computing run's row: pipeline.store.classify.INPUT_HASHES)
            c.execute("UPDATE classify_doc_inputs k SET input_hash = d.input_hash FROM classify_doc_inputs d "
                      "WHERE d.run_id = k.rows_run_id AND d.doc_id = k.doc_id AND k.input_hash IS NULL "
                      "AND d.run_id IN (SELECT run_id FROM _drop) AND k.run_id NOT IN (SELECT run_id FROM _drop)")
            gone("classify_doc_inputs", len(c.execute("DELETE FROM classify_doc_inputs WHERE run_id IN "
                                                      "(SELECT run_id FROM _drop) RETURNING 1").fetchall()))
            gone("classify_run_log", len(c.execute("DELETE FROM classify_run_log WHERE run_id IN "
                                                   "(SELECT run_id FROM _drop) RETURNING 1").fetchall()))
            for table in ROW_TABLES:  # rows no remaining run reads
                gone(table, len(c.execute(
                    f"DELETE FROM {table} r WHERE NOT EXISTS (SELECT 1 FROM classify_doc_inputs i "
                    f"WHERE i.rows_run_id = r.run_id AND i.doc_id = r.doc_id) RETURNING 1").fetchall()))
    for i in items:
        if i.kind == "topic_model":
            for table in (*TOPIC_TABLES, "topic_model_rows"):
                gone(table, len(conn.execute(f"DELETE FROM {table} WHERE run_id = ? RETURNING 1", [i.item]).fetchall()))
    state = embed_state(conn)
    if state is not None and any(i.kind in ("doc_vectors", "sentence_vectors") for i in items):
        model_id, chunking = state["model_id"], state["chunking"]
        if any(i.kind == "doc_vectors" for i in items):
            gone("embedding_rows", len(conn.execute(
                "DELETE FROM embedding_rows e WHERE e.model_id <> ? OR e.chunking <> ? OR e.content_hash NOT IN "
                "(SELECT content_hash FROM doc_content_rows) RETURNING 1", [model_id, chunking]).fetchall()))
        if any(i.kind == "sentence_vectors" for i in items):
            gone("sentence_embeddings", len(conn.execute(
                "DELETE FROM sentence_embeddings WHERE model_id <> ? OR chunking <> ? RETURNING 1",
                [model_id, chunking]).fetchall()))
    for i in items:
        if i.kind == "token_tags":
            gone("token_tags", len(conn.execute("DELETE FROM token_tags WHERE tagger = ? RETURNING 1",
                                                [i.item]).fetchall()))
    now = now_utc()
    for i in items:
        detail = {"rows": i.rows, **({"folder": i.folder} if i.folder else {})}
        conn.execute("INSERT INTO prune_log VALUES (?, ?, ?, ?, ?, ?, ?)",
                     [run_id, now, i.kind, i.item, i.created_at, i.n_rows, json.dumps(detail, sort_keys=True)])
    return removed


__all__ = ["Item", "old_classify_runs", "old_topic_models", "remove", "unused_tags", "unused_vectors"]
