"""Search: the table of own texts the BM25 index is built on, the record of what was
indexed, the ``search_documents`` view (what a search result shows and is filtered on)
and the ``search_semantic`` macro.

The BM25 index itself (schema ``fts_main_search_text_rows``) and the ``search_bm25`` and
``search_hybrid`` macros are (re)built by the ``index`` stage: DuckDB binds a macro when
it is created, and the index's functions exist only once the index does.
"""

VERSION = 10
NAME = "search"

SQL = """
CREATE TABLE search_text_rows (
    doc_id VARCHAR PRIMARY KEY,         -- a canonical document (documents_unique) with own words
    own_text VARCHAR NOT NULL
);

CREATE TABLE search_index_state (
    key VARCHAR PRIMARY KEY,            -- 'bm25'
    fingerprint VARCHAR NOT NULL,       -- sha256 over (doc_id, sha256(own_text)) of every indexed text
    n_documents INTEGER NOT NULL,
    stemmer VARCHAR NOT NULL,
    stopwords VARCHAR NOT NULL,
    built_at TIMESTAMP NOT NULL,
    run_id VARCHAR
);

CREATE VIEW search_documents AS
WITH latest AS (
    SELECT run_id FROM classify_run_log ORDER BY created_at DESC LIMIT 1
), labels AS (
    SELECT t.doc_id, list(t.theme ORDER BY t.theme) AS themes,
           list(t.theme || ':' || t.stance ORDER BY t.theme) AS theme_stances
    FROM doc_theme_rows t JOIN latest l ON t.run_id = l.run_id
    WHERE t.present GROUP BY t.doc_id
)
SELECT u.doc_id, u.kind, u.post_id,
       COALESCE(u.author_inferred, u.author, 'Anonymous') AS author,
       COALESCE(u.published_at, p.published_at) AS published_at,
       p.title AS post_title,
       COALESCE(u.url, p.url) AS permalink,
       u.own_text,
       COALESCE(b.themes, []::VARCHAR[]) AS themes,
       COALESCE(b.theme_stances, []::VARCHAR[]) AS theme_stances
FROM documents_unique u
LEFT JOIN document_rows p ON p.doc_id = u.post_id AND p.kind = 'post'
LEFT JOIN labels b ON b.doc_id = u.doc_id
WHERE u.own_text IS NOT NULL AND length(trim(u.own_text)) > 0;

CREATE MACRO search_semantic(query_vector) AS TABLE
SELECT doc_id, score, row_number() OVER (ORDER BY score DESC, doc_id) AS rank
FROM (
    SELECT e.doc_id, list_cosine_similarity(e.vector, CAST(query_vector AS FLOAT[])) AS score
    FROM doc_embeddings e
    JOIN embed_state s ON s.key = 'current' AND e.model_id = s.model_id AND e.chunking = s.chunking
    JOIN search_documents d ON d.doc_id = e.doc_id
)
WHERE score IS NOT NULL;
"""


def up(conn) -> None:
    conn.execute(SQL)
