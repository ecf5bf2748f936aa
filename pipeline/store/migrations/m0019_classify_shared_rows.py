"""Classify rows are stored once, not copied into every run (issue 13, scale).

Before, a classify run that found a few new documents copied every unchanged
document's rows from the previous run into its own (``carry_classification``): 817,352
rows and 80 MB of database per nightly run with anything new at 31,000 documents (4.1
million rows at 155,000). Now:

- ``doc_theme_rows``, ``doc_sentiment_rows`` and ``sentence_sentiment_rows`` hold rows
  only under the run that computed them;
- ``classify_doc_inputs`` (one row per run and document it covers) gains ``rows_run_id``:
  the run whose rows hold that document's labels (the run itself for what it classified,
  the earlier run for what it carried);
- ``classify_doc_inputs.input_hash`` is kept once per computed result: NULL on the rows of
  the runs that carried the document (its value is on the computing run's row; at 155,000
  documents the hashes were 22 of the table's 27 blocks per run);
- the table macros ``run_doc_theme_rows()``, ``run_doc_sentiment_rows()`` and
  ``run_sentence_sentiment_rows()`` give every run's rows as before (each run complete,
  its own ``run_id`` on every row), and every view that read the tables reads them
  instead: the public views keep their columns and their rows.

Runs from before migration 17 have no ``classify_doc_inputs`` rows; they get one per
document they hold rows for (``input_hash`` empty: unknown, so the next run classifies
everything again, as it would have). Rows copied before this migration stay where they
are (each run still owns its copies); ``probation-corpus prune`` removes old runs.
"""

import re

from pipeline.store.migrations import view_body

VERSION = 19
NAME = "classify_shared_rows"

TABLES = ("doc_theme_rows", "doc_sentiment_rows", "sentence_sentiment_rows")
MACROS = {table: f"run_{table}" for table in TABLES}

_MACRO = """
CREATE OR REPLACE MACRO {macro}() AS TABLE
SELECT i.run_id, r.* EXCLUDE (run_id)
FROM classify_doc_inputs i JOIN {table} r ON r.run_id = i.rows_run_id AND r.doc_id = i.doc_id
"""


def _reads(sql: str, table: str) -> bool:
    return re.search(rf"\b(FROM|JOIN)\s+{table}\b", sql) is not None


def up(conn) -> None:
    conn.execute("ALTER TABLE classify_doc_inputs ADD COLUMN rows_run_id VARCHAR")
    conn.execute("ALTER TABLE classify_doc_inputs ALTER COLUMN input_hash DROP NOT NULL")
    conn.execute("UPDATE classify_doc_inputs SET rows_run_id = run_id")
    union = " UNION ".join(f"SELECT run_id, doc_id FROM {t}" for t in TABLES)
    conn.execute(
        f"INSERT INTO classify_doc_inputs (run_id, doc_id, input_hash, rows_run_id) "
        f"SELECT r.run_id, r.doc_id, '', r.run_id FROM ({union}) r "
        f"ANTI JOIN classify_doc_inputs i ON i.run_id = r.run_id AND i.doc_id = r.doc_id")
    for table, macro in MACROS.items():
        conn.execute(_MACRO.format(macro=macro, table=table))
    views = conn.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'"
                         ).fetchall()
    for name, sql in views:
        new = sql
        for table, macro in MACROS.items():
            new = re.sub(rf"\b(FROM|JOIN)\s+{table}\b", rf"\1 {macro}()", new)
        if new != sql:
            conn.execute(f'CREATE OR REPLACE VIEW "{name}" AS {view_body(new)}')
    left = [n for n, s in conn.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal "
                                        "AND schema_name = 'main'").fetchall()
            if any(_reads(s, t) for t in TABLES)]
    if left:
        raise RuntimeError(f"views still read the classify tables directly: {left}")
