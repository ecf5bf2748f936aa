"""Quotes that never rewrite the author: each document's quote as verbatim pieces of its
``clean_text`` (whole sentences of own words) joined by an explicit ``[…]`` where other
words were left out, with the offsets of every piece, names of people flagged, and the
comment it answers as context. The ``quotes`` view keeps every column it had (``quote``
is now the pieces joined; documents without a quote are left out) and gains the rest."""

VERSION = 11
NAME = "quote_pieces"

SQL = """
CREATE TABLE quote_docs (
    doc_id VARCHAR PRIMARY KEY,
    input_key VARCHAR NOT NULL,          -- what the quote depended on (clean text, own segments, author, settings)
    quote VARCHAR,                       -- the pieces joined by ' […] '; NULL: no quote (see reason)
    pieces STRUCT(start INTEGER, "end" INTEGER)[] NOT NULL,  -- offsets into clean_docs.clean_text
    n_words INTEGER NOT NULL,
    reason VARCHAR NOT NULL,             -- ok | no_own_words | too_short
    names_flagged VARCHAR[] NOT NULL,    -- PERSON names (spaCy) inside the pieces
    first_sentence VARCHAR,              -- first sentence of the own words (context for replies to it)
    run_id VARCHAR
);

CREATE OR REPLACE VIEW quotes AS
WITH latest AS (
    SELECT run_id FROM classify_run_log ORDER BY created_at DESC LIMIT 1
),
current_topics AS (
    SELECT dt.doc_id, dt.topic_id, t.label AS topic_label
    FROM doc_topic_rows dt
    JOIN topic_model_rows m ON m.run_id = dt.run_id AND m.is_current
    LEFT JOIN topic_rows t ON t.run_id = dt.run_id AND t.topic_id = dt.topic_id
)
SELECT t.theme, t.stance, t.stance_score, t.score AS theme_score,
       q.quote,
       COALESCE(u.author_inferred, u.author, 'Anonymous') AS pseudonym,
       COALESCE(u.published_at, p.published_at) AS published_at,
       CASE WHEN u.published_at IS NOT NULL THEN d.date_only ELSE true END AS date_only,
       u.published_at IS NULL AND p.published_at IS NOT NULL AS date_is_post_date,
       COALESCE(u.url, p.url) AS permalink,
       u.url IS NULL AND p.url IS NOT NULL AS permalink_is_post,
       p.title AS post_title, u.kind, u.doc_id, u.post_id,
       s.label AS sentiment, length(q.quote) AS n_chars, u.copies,
       t.run_id AS classify_run_id,
       q.pieces, 'clean_text' AS pieces_field, q.n_words, len(q.pieces) AS n_pieces, len(q.pieces) > 1 AS elided,
       q.names_flagged,
       ctx.doc_id AS context_doc_id, ctx.kind AS context_kind,
       COALESCE(ctx.author_inferred, ctx.author, 'Anonymous') AS context_author,
       COALESCE(cq.first_sentence, ctx.title) AS context_text,
       ct.topic_id, ct.topic_label
FROM doc_theme_rows t
JOIN latest l ON t.run_id = l.run_id
JOIN documents_unique u ON u.doc_id = t.doc_id
JOIN quote_docs q ON q.doc_id = u.doc_id AND q.quote IS NOT NULL
JOIN document_rows d ON d.doc_id = u.doc_id
LEFT JOIN document_rows p ON p.doc_id = u.post_id AND p.kind = 'post'
LEFT JOIN documents ctx ON u.kind = 'comment' AND ctx.doc_id = COALESCE(u.parent_id, u.post_id)
LEFT JOIN quote_docs cq ON cq.doc_id = ctx.doc_id
LEFT JOIN doc_sentiment_rows s ON s.run_id = t.run_id AND s.doc_id = t.doc_id AND s.is_default
LEFT JOIN current_topics ct ON ct.doc_id = u.doc_id
WHERE t.present
"""


def up(conn) -> None:
    conn.execute(SQL)
