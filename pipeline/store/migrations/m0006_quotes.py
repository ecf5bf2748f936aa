"""Quote sets for writers: the author's own words by theme and stance, with date,
permalink and pseudonym. Copies (exact, near, contained) are left out, and so is any
document whose own words are empty (a pure paste or repost)."""

VERSION = 6
NAME = "quotes"

SQL = """
CREATE VIEW quotes AS
WITH latest AS (
    SELECT run_id FROM classify_run_log ORDER BY created_at DESC LIMIT 1
)
SELECT t.theme, t.stance, t.stance_score, t.score AS theme_score,
       u.own_text AS quote,
       COALESCE(u.author_inferred, u.author, 'Anonymous') AS pseudonym,
       COALESCE(u.published_at, p.published_at) AS published_at,
       CASE WHEN u.published_at IS NOT NULL THEN d.date_only ELSE true END AS date_only,
       u.published_at IS NULL AND p.published_at IS NOT NULL AS date_is_post_date,
       COALESCE(u.url, p.url) AS permalink,
       u.url IS NULL AND p.url IS NOT NULL AS permalink_is_post,
       p.title AS post_title, u.kind, u.doc_id, u.post_id,
       s.label AS sentiment, length(u.own_text) AS n_chars, u.copies,
       t.run_id AS classify_run_id
FROM doc_theme_rows t
JOIN latest l ON t.run_id = l.run_id
JOIN documents_unique u ON u.doc_id = t.doc_id
JOIN document_rows d ON d.doc_id = u.doc_id
LEFT JOIN document_rows p ON p.doc_id = u.post_id AND p.kind = 'post'
LEFT JOIN doc_sentiment_rows s ON s.run_id = t.run_id AND s.doc_id = t.doc_id AND s.is_default
WHERE t.present AND length(trim(u.own_text)) > 0
"""


def up(conn) -> None:
    conn.execute(SQL)
