"""Foundation: sources, documents, quarantine, runs."""

VERSION = 1
NAME = "foundation"

SQL = """
CREATE TABLE source_files (
    source_id VARCHAR PRIMARY KEY,      -- 's_' + first 16 hex of sha256
    path_or_url VARCHAR NOT NULL,       -- where it was first read from
    format VARCHAR NOT NULL,            -- the reader that parsed it
    sha256 VARCHAR NOT NULL UNIQUE,
    size_bytes BIGINT,
    ingested_at TIMESTAMP NOT NULL,     -- UTC
    declared_comments INTEGER,          -- what the input says (e.g. '28 comments:'), NULL if it does not say
    parsed_comments INTEGER NOT NULL,   -- what we parsed
    warnings VARCHAR[] NOT NULL,
    run_id VARCHAR
);

CREATE TABLE document_rows (
    doc_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL CHECK (kind IN ('post', 'comment')),
    post_id VARCHAR NOT NULL,
    parent_id VARCHAR,
    position INTEGER NOT NULL,
    author VARCHAR,
    published_at TIMESTAMP,             -- UTC; a date-only stamp is midnight of that day
    date_only BOOLEAN NOT NULL DEFAULT false,
    title VARCHAR,
    url VARCHAR,
    text VARCHAR NOT NULL,
    blogger_id VARCHAR,
    flags VARCHAR[] NOT NULL,
    fingerprint VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,         -- the first source it was read from
    locator VARCHAR,
    first_run_id VARCHAR
);

CREATE TABLE document_sources (
    doc_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    locator VARCHAR,
    PRIMARY KEY (doc_id, source_id)
);

CREATE TABLE post_keys (
    key VARCHAR PRIMARY KEY,            -- 'date|title', 'body|<fp>' or 'blogger:<id>'
    doc_id VARCHAR NOT NULL
);

CREATE TABLE quarantine_rows (
    source VARCHAR NOT NULL,            -- path or URL of the input
    sha256 VARCHAR NOT NULL,            -- of the whole input
    locator VARCHAR NOT NULL,           -- '' for the whole input, else where in it
    code VARCHAR NOT NULL,              -- stable reason code: empty, binary, xml_entities, ...
    reason VARCHAR NOT NULL,            -- one line, says what is wrong
    raw BLOB,                           -- the raw bytes (capped at ingest.quarantine_raw_max_bytes)
    raw_truncated BOOLEAN NOT NULL DEFAULT false,
    "at" TIMESTAMP NOT NULL,
    run_id VARCHAR,
    PRIMARY KEY (sha256, locator, code)
);

CREATE TABLE run_log (
    run_id VARCHAR PRIMARY KEY,
    flow VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL,            -- running | completed | failed
    params VARCHAR,                     -- JSON
    code_version VARCHAR,
    config VARCHAR,                     -- JSON of the full resolved config
    model_versions VARCHAR,             -- JSON {component: version}
    summary VARCHAR,                    -- JSON
    error VARCHAR
);

CREATE VIEW documents AS
SELECT doc_id, kind, post_id, parent_id, position, author, published_at, title, url, text,
       (SELECT path_or_url FROM source_files s WHERE s.source_id = d.source_id) AS source,
       date_only, blogger_id, flags, source_id
FROM document_rows d;

CREATE VIEW sources AS
SELECT source_id, path_or_url, format, sha256, ingested_at, declared_comments, parsed_comments,
       warnings, size_bytes, run_id
FROM source_files;

CREATE VIEW quarantine AS
SELECT source, locator, reason, raw, "at", code, sha256, raw_truncated, run_id
FROM quarantine_rows;

CREATE VIEW runs AS
SELECT run_id, flow, started_at, finished_at, status, params, code_version, config,
       model_versions, summary, error
FROM run_log;
"""


def up(conn) -> None:
    conn.execute(SQL)  # duckdb runs a multi-statement script in one call
