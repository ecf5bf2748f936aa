"""Embeddings (a cache keyed by text content and model) and topic models."""

VERSION = 3
NAME = "embed_topics"

SQL = """
CREATE TABLE embedding_rows (
    content_hash VARCHAR NOT NULL,      -- sha256 hex of the exact own text (= DuckDB sha256(own_text))
    model_id VARCHAR NOT NULL,          -- '<model name>@<first 12 hex of the model folder's sha256>'
    chunking VARCHAR NOT NULL,          -- 'tokens=<n|model>,overlap=<n>': how long texts were split
    dim INTEGER NOT NULL,
    vector FLOAT[] NOT NULL,            -- L2-normalised
    n_chunks INTEGER NOT NULL,          -- 1 = the text fitted the model's window
    created_at TIMESTAMP NOT NULL,
    run_id VARCHAR,
    PRIMARY KEY (content_hash, model_id, chunking)
);

CREATE TABLE doc_content_rows (
    doc_id VARCHAR PRIMARY KEY,         -- a canonical document of documents_unique
    content_hash VARCHAR NOT NULL,      -- of its own text when last embedded
    n_chars INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE embed_state (
    key VARCHAR PRIMARY KEY,            -- 'current'
    model VARCHAR NOT NULL,             -- embed.model as configured
    model_id VARCHAR NOT NULL,
    chunking VARCHAR NOT NULL,
    device VARCHAR,
    updated_at TIMESTAMP NOT NULL,
    run_id VARCHAR
);

CREATE TABLE topic_model_rows (
    run_id VARCHAR PRIMARY KEY,         -- the run that fitted it
    model_path VARCHAR NOT NULL,        -- <paths.models_dir>/topics/<run_id>
    created_at TIMESTAMP NOT NULL,
    embedding_model_id VARCHAR NOT NULL,
    embedding_chunking VARCHAR NOT NULL,
    input_hash VARCHAR NOT NULL,
    n_documents INTEGER NOT NULL,
    params VARCHAR NOT NULL,            -- JSON of the [topics] settings
    metrics VARCHAR NOT NULL,           -- JSON: npmi, diversity, outlier shares, LDA baseline, ...
    code_version VARCHAR,
    is_current BOOLEAN NOT NULL
);

CREATE TABLE topic_rows (
    run_id VARCHAR NOT NULL,
    topic_id INTEGER NOT NULL,          -- -1 = outliers
    label VARCHAR NOT NULL,
    top_terms VARCHAR[] NOT NULL,
    fit_size INTEGER NOT NULL,
    npmi DOUBLE,
    PRIMARY KEY (run_id, topic_id)
);

CREATE TABLE doc_topic_rows (
    run_id VARCHAR NOT NULL,            -- the topic model
    doc_id VARCHAR NOT NULL,
    topic_id INTEGER NOT NULL,
    probability DOUBLE,
    method VARCHAR NOT NULL,            -- cluster | reduced | outlier | assigned
    content_hash VARCHAR NOT NULL,      -- of the own text that was assigned
    assigned_run_id VARCHAR,            -- the run that wrote this row
    PRIMARY KEY (run_id, doc_id)
);

CREATE TABLE topic_quote_rows (
    run_id VARCHAR NOT NULL,
    topic_id INTEGER NOT NULL,
    rank INTEGER NOT NULL,
    doc_id VARCHAR NOT NULL,
    quote VARCHAR NOT NULL,
    similarity DOUBLE,
    PRIMARY KEY (run_id, topic_id, rank)
);

CREATE VIEW embeddings AS
SELECT content_hash, model_id, dim, vector, n_chunks, created_at, chunking, run_id
FROM embedding_rows;

CREATE VIEW doc_embeddings AS
SELECT c.doc_id, e.model_id, e.dim, e.vector, e.n_chunks, c.content_hash, e.chunking
FROM doc_content_rows c JOIN embedding_rows e USING (content_hash);

CREATE VIEW topic_models AS
SELECT run_id, model_path, created_at, input_hash, params, metrics, is_current, embedding_model_id,
       embedding_chunking, n_documents, code_version
FROM topic_model_rows;

CREATE VIEW topics AS
SELECT t.run_id, t.topic_id, t.label, t.top_terms,
       (SELECT count(*) FROM doc_topic_rows d WHERE d.run_id = t.run_id AND d.topic_id = t.topic_id) AS size,
       t.fit_size, t.npmi, m.is_current
FROM topic_rows t JOIN topic_model_rows m USING (run_id);

CREATE VIEW doc_topics AS
SELECT run_id, doc_id, topic_id, probability, method, assigned_run_id
FROM doc_topic_rows;

CREATE VIEW topics_over_time AS
WITH dated AS (
    SELECT t.run_id, t.topic_id, CAST(date_trunc('month', d.published_at) AS DATE) AS period
    FROM doc_topic_rows t JOIN document_rows d USING (doc_id)
    WHERE d.published_at IS NOT NULL
)
SELECT run_id, topic_id, period, count(*) AS count,
       count(*) / sum(count(*)) OVER (PARTITION BY run_id, period) AS share
FROM dated
GROUP BY run_id, topic_id, period;

CREATE VIEW topic_quotes AS
SELECT run_id, topic_id, rank, doc_id, quote, similarity
FROM topic_quote_rows;
"""


def up(conn) -> None:
    conn.execute(SQL)
