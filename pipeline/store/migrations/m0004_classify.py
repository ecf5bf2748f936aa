"""Classification and the human-coding loop: coders' codes, model evaluations, theme,
stance and sentiment outputs per run."""

VERSION = 4
NAME = "classify"

SQL = """
CREATE TABLE annotation_codes (
    doc_id VARCHAR NOT NULL,
    coder VARCHAR NOT NULL,
    label_kind VARCHAR NOT NULL CHECK (label_kind IN ('theme', 'stance', 'sentiment')),
    label VARCHAR NOT NULL,             -- theme name, or 'sentiment'
    value VARCHAR NOT NULL,             -- present/absent, FAVOR/AGAINST/NONE, NEGATIVE/NEUTRAL/POSITIVE
    imported_at TIMESTAMP NOT NULL,
    source_file VARCHAR,
    PRIMARY KEY (doc_id, coder, label_kind, label)
);

CREATE TABLE model_evaluation_rows (
    run_id VARCHAR NOT NULL,
    model_kind VARCHAR NOT NULL,        -- theme | sentiment | stance
    method VARCHAR NOT NULL,            -- supervised, domain, vader, keyword, ...
    class VARCHAR NOT NULL,             -- a label, or '_overall'
    precision DOUBLE,
    recall DOUBLE,
    f1 DOUBLE,
    support INTEGER,
    macro_f1 DOUBLE,
    micro_f1 DOUBLE,
    confusion VARCHAR,                  -- JSON {"labels": [...], "matrix": [[...]]}
    cv_folds INTEGER,
    n_items INTEGER,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, model_kind, method, class)
);

CREATE TABLE classify_run_log (
    run_id VARCHAR PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    theme_model VARCHAR,
    sentiment_model VARCHAR,
    stance_model VARCHAR,
    stance_backend VARCHAR,
    sentiment_default VARCHAR,
    embedding_model VARCHAR,
    taxonomy VARCHAR,                   -- JSON of the themes used
    documents INTEGER
);

CREATE TABLE doc_theme_rows (
    run_id VARCHAR NOT NULL,
    doc_id VARCHAR NOT NULL,
    theme VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    present BOOLEAN NOT NULL,
    method VARCHAR NOT NULL,
    stance VARCHAR,
    stance_score DOUBLE,
    stance_method VARCHAR,
    PRIMARY KEY (run_id, doc_id, theme)
);

CREATE TABLE doc_sentiment_rows (
    run_id VARCHAR NOT NULL,
    doc_id VARCHAR NOT NULL,
    method VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    is_default BOOLEAN NOT NULL,
    PRIMARY KEY (run_id, doc_id, method)
);

CREATE TABLE sentence_sentiment_rows (
    run_id VARCHAR NOT NULL,
    doc_id VARCHAR NOT NULL,
    sentence_no INTEGER NOT NULL,
    method VARCHAR NOT NULL,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    text VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    is_default BOOLEAN NOT NULL,
    PRIMARY KEY (run_id, doc_id, sentence_no, method)
);

CREATE VIEW annotations AS
SELECT doc_id, coder, label_kind, label, value, imported_at, source_file FROM annotation_codes;

CREATE VIEW model_evaluations AS
SELECT run_id, model_kind, method, class, precision, recall, f1, support, macro_f1, confusion, cv_folds,
       created_at, micro_f1, n_items
FROM model_evaluation_rows;

CREATE VIEW classify_runs AS
SELECT run_id, created_at, theme_model, sentiment_model, stance_model, stance_backend, sentiment_default,
       embedding_model, taxonomy, documents
FROM classify_run_log;

CREATE VIEW doc_themes AS
SELECT run_id, doc_id, theme, score, stance, stance_score, method, stance_method
FROM doc_theme_rows WHERE present;

CREATE VIEW doc_theme_scores AS
SELECT run_id, doc_id, theme, score, present, method FROM doc_theme_rows;

CREATE VIEW doc_sentiment AS
SELECT run_id, doc_id, label, score, method FROM doc_sentiment_rows WHERE is_default;

CREATE VIEW doc_sentiment_all AS
SELECT run_id, doc_id, label, score, method, is_default FROM doc_sentiment_rows;

CREATE VIEW sentence_sentiment AS
SELECT run_id, doc_id, sentence_no, start_char, end_char, text, label, score, method
FROM sentence_sentiment_rows WHERE is_default;

CREATE VIEW sentence_sentiment_all AS
SELECT run_id, doc_id, sentence_no, start_char, end_char, text, label, score, method, is_default
FROM sentence_sentiment_rows;
"""


def up(conn) -> None:
    conn.execute(SQL)
