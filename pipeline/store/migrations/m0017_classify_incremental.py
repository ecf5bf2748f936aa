"""Incremental classify (issue 13): a cache of the vectors classify embeds itself
(sentences, thread contexts, theme prototypes and targets), keyed like document
embeddings by content hash, model and chunking, so each text is embedded once; and what
each classify run read, so the next run classifies only new or changed own texts.

- ``sentence_embeddings``: content hash, model id, chunking -> vector (never changes).
- ``classify_run_log.settings_key``: the digest of everything a classify result depends on
  besides its input (settings, models, embedder, taxonomy, logic version); a run whose key
  differs from the latest run's classifies every document again. NULL for older runs.
- ``classify_doc_inputs``: the input hash (own text and thread context) of each document a
  run's rows are for; documents whose hash is unchanged are carried into the next run.
"""

VERSION = 17
NAME = "classify_incremental"

SQL = """
CREATE TABLE sentence_embeddings (
    content_hash VARCHAR NOT NULL,
    model_id VARCHAR NOT NULL,
    chunking VARCHAR NOT NULL,
    dim INTEGER NOT NULL,
    vector FLOAT[] NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (content_hash, model_id, chunking)
);

ALTER TABLE classify_run_log ADD COLUMN settings_key VARCHAR;

CREATE TABLE classify_doc_inputs (
    run_id VARCHAR NOT NULL,
    doc_id VARCHAR NOT NULL,
    input_hash VARCHAR NOT NULL,
    PRIMARY KEY (run_id, doc_id)
);
"""


def up(conn) -> None:
    conn.execute(SQL)
