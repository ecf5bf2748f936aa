"""Clean, dedupe and segment: cleaned text, links, mentions, signatures, shingle index,
shared passages, duplicates, segments and own text; the public views over them."""

VERSION = 2
NAME = "clean_dedupe"

SQL = """
CREATE TABLE clean_docs (
    doc_id VARCHAR PRIMARY KEY,
    text_md5 VARCHAR NOT NULL,          -- md5 of document_rows.text it was cleaned from
    options_key VARCHAR NOT NULL,       -- digest of the [clean] settings used
    clean_text VARCHAR NOT NULL,        -- offsets of segments/links/mentions point into this
    clean_hash VARCHAR NOT NULL,        -- fingerprint of the folded clean text (exact duplicates)
    signoff_raw VARCHAR,                -- the sign-off line as written
    signoff VARCHAR,                    -- the pseudonym it gives
    signoff_start INTEGER,
    signoff_end INTEGER,
    run_id VARCHAR
);

CREATE TABLE doc_links (
    doc_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    url VARCHAR NOT NULL,
    domain VARCHAR NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    PRIMARY KEY (doc_id, position)
);

CREATE TABLE doc_mentions (
    doc_id VARCHAR NOT NULL,
    seq INTEGER NOT NULL,
    raw VARCHAR NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    hour INTEGER NOT NULL,
    minute INTEGER NOT NULL,
    on_date DATE,
    days_back INTEGER,
    pattern VARCHAR NOT NULL,
    name VARCHAR,
    target_doc_id VARCHAR,
    PRIMARY KEY (doc_id, seq)
);

CREATE TABLE dedupe_signatures (
    doc_id VARCHAR PRIMARY KEY,
    clean_md5 VARCHAR NOT NULL,         -- md5 of the clean text it was computed from
    options_key VARCHAR NOT NULL,       -- the [dedupe] settings the stored evidence depends on
    n_tokens INTEGER NOT NULL,
    signature BLOB NOT NULL,            -- MinHash values, little-endian uint64
    run_id VARCHAR
);

CREATE TABLE shingle_index (
    hash BIGINT NOT NULL,               -- 64-bit hash of k folded words
    doc_id VARCHAR NOT NULL,
    pos INTEGER NOT NULL                -- word index where the shingle starts
);

CREATE TABLE dedupe_blocks (
    doc_id VARCHAR NOT NULL,            -- a section or paragraph of this document ...
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    hash VARCHAR NOT NULL,              -- ... whose fingerprint may equal a whole document's clean_hash
    n_words INTEGER NOT NULL,
    PRIMARY KEY (doc_id, start, "end")
);

CREATE TABLE dedupe_spans (
    doc_id VARCHAR NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    source_doc_id VARCHAR NOT NULL,     -- the other document holding the passage
    src_start INTEGER NOT NULL,
    src_end INTEGER NOT NULL,
    n_tokens INTEGER NOT NULL,
    PRIMARY KEY (doc_id, start, "end", source_doc_id, src_start)
);

CREATE TABLE dedupe_near_pairs (
    a VARCHAR NOT NULL,
    b VARCHAR NOT NULL,
    jaccard DOUBLE NOT NULL,
    PRIMARY KEY (a, b)
);

CREATE TABLE dedupe_coverage (
    doc_a VARCHAR NOT NULL,
    doc_b VARCHAR NOT NULL,
    cov_a DOUBLE NOT NULL,
    cov_b DOUBLE NOT NULL,
    shared INTEGER NOT NULL,            -- words of doc_a inside the shared passages
    gap_a INTEGER NOT NULL,             -- longest run of doc_a's words outside them
    PRIMARY KEY (doc_a, doc_b)
);

CREATE TABLE duplicate_rows (
    doc_id VARCHAR NOT NULL,
    canonical_id VARCHAR NOT NULL,
    relation VARCHAR NOT NULL CHECK (relation IN ('exact', 'near', 'contains', 'contained_in')),
    similarity DOUBLE NOT NULL,
    method VARCHAR NOT NULL,
    run_id VARCHAR,
    PRIMARY KEY (doc_id, canonical_id)
);

CREATE TABLE doc_segments (
    doc_id VARCHAR NOT NULL,
    seg_no INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    kind VARCHAR NOT NULL CHECK (kind IN ('own', 'quote', 'pasted')),
    source_doc_id VARCHAR,
    signal VARCHAR NOT NULL,
    author VARCHAR,
    PRIMARY KEY (doc_id, seg_no)
);

CREATE TABLE doc_own (
    doc_id VARCHAR PRIMARY KEY,
    own_text VARCHAR NOT NULL,
    post_own_intro VARCHAR,
    author_inferred VARCHAR,
    republished_from VARCHAR,
    republished_author VARCHAR,
    input_key VARCHAR NOT NULL,         -- what the segmentation depended on
    run_id VARCHAR
);

CREATE OR REPLACE VIEW documents AS
SELECT d.doc_id, d.kind, d.post_id, d.parent_id, d.position, d.author, d.published_at, d.title, d.url,
       d.text,
       (SELECT path_or_url FROM source_files s WHERE s.source_id = d.source_id) AS source,
       d.date_only, d.blogger_id, d.flags, d.source_id,
       c.clean_text, o.own_text, o.post_own_intro,
       COALESCE(o.author_inferred, d.author) AS author_inferred,
       c.signoff, o.republished_from, o.republished_author
FROM document_rows d
LEFT JOIN clean_docs c ON c.doc_id = d.doc_id
LEFT JOIN doc_own o ON o.doc_id = d.doc_id;

CREATE VIEW segments AS
SELECT g.doc_id, g.seg_no, g.start, g."end", g.kind, g.source_doc_id, g.signal, g.author,
       substr(c.clean_text, g.start + 1, g."end" - g.start) AS text
FROM doc_segments g JOIN clean_docs c ON c.doc_id = g.doc_id;

CREATE VIEW links AS
SELECT doc_id, url, domain, position, start, "end" FROM doc_links;

CREATE VIEW mentions AS
SELECT doc_id, raw, target_doc_id, seq, start, "end", hour, minute, on_date, days_back, pattern
FROM doc_mentions;

CREATE VIEW duplicates AS
SELECT doc_id, canonical_id, relation, similarity, method FROM duplicate_rows;

CREATE VIEW documents_unique AS
WITH copies AS (
    SELECT canonical_id, count(DISTINCT doc_id) AS n, list(DISTINCT doc_id ORDER BY doc_id) AS ids
    FROM duplicate_rows WHERE relation IN ('exact', 'near', 'contained_in') GROUP BY canonical_id
)
SELECT d.doc_id, d.kind, d.post_id, d.author, d.published_at, d.own_text,
       1 + COALESCE(k.n, 0) AS copies,
       d.parent_id, d.position, d.title, d.url, d.author_inferred, d.clean_text,
       COALESCE(k.ids, []::VARCHAR[]) AS copy_ids
FROM documents d
LEFT JOIN copies k ON k.canonical_id = d.doc_id
WHERE d.doc_id NOT IN (
    SELECT doc_id FROM duplicate_rows WHERE relation IN ('exact', 'near', 'contained_in')
);
"""


def up(conn) -> None:
    conn.execute(SQL)
