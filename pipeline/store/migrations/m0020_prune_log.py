"""``prune_log``: what ``probation-corpus prune --apply`` removed (old classify runs, old
topic models, vectors of other embedders or of texts no longer in the corpus), one row per
thing removed, so a database says what it no longer holds and when it was dropped."""

VERSION = 20
NAME = "prune_log"

SQL = """
CREATE TABLE prune_log (
    run_id VARCHAR NOT NULL,            -- the prune's own run (runs)
    pruned_at TIMESTAMP NOT NULL,
    kind VARCHAR NOT NULL,              -- classify_run | topic_model | doc_vectors | sentence_vectors
    item VARCHAR NOT NULL,              -- the run id, or the model id and chunking of the vectors
    created_at TIMESTAMP,               -- when the run or model was made (NULL for vectors)
    rows BIGINT NOT NULL,               -- rows removed for it, all tables together
    detail VARCHAR                      -- JSON: rows per table, the model folder removed, ...
);
"""


def up(conn) -> None:
    conn.execute(SQL)
