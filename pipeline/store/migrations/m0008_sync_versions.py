"""Live-blog sync and document history: watermarks per blog and feed, the fetch log,
earlier versions of edited documents and deletions noticed on the blog.

Documents are never removed: an edited document keeps its id, ``document_rows`` holds
its current text and ``document_version_rows`` every earlier text; a comment gone from
its post's complete comments feed gets a ``document_deletion_rows`` row.
"""

VERSION = 8
NAME = "sync_versions"

SQL = """
CREATE TABLE sync_state (
    blog VARCHAR NOT NULL,              -- the blog's feeds root, e.g. https://x.blogspot.com/feeds
    feed VARCHAR NOT NULL,              -- posts | comments
    watermark VARCHAR,                  -- the latest <updated> synced, as the feed spells it (next updated-min)
    synced_at TIMESTAMP NOT NULL,       -- UTC
    run_id VARCHAR,
    PRIMARY KEY (blog, feed)
);

CREATE TABLE sync_fetch_rows (
    run_id VARCHAR NOT NULL,
    seq INTEGER NOT NULL,               -- request order within the run
    blog VARCHAR NOT NULL,
    feed VARCHAR NOT NULL,              -- posts | comments | post_comments
    url VARCHAR NOT NULL,
    status INTEGER,
    path VARCHAR NOT NULL,              -- the raw file under sync.raw_dir
    sha256 VARCHAR NOT NULL,
    size_bytes BIGINT,
    fetched_at TIMESTAMP NOT NULL,      -- UTC
    outcome VARCHAR NOT NULL,           -- ok | malformed
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE document_version_rows (
    doc_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,           -- 1 = the first text seen
    text VARCHAR NOT NULL,              -- the text this version had
    fingerprint VARCHAR NOT NULL,
    source_id VARCHAR,                  -- the source that carried this text
    replaced_at TIMESTAMP NOT NULL,     -- UTC: when a different text was noticed
    replaced_by_source_id VARCHAR,      -- the source with the next text
    run_id VARCHAR,                     -- the run that noticed the change
    PRIMARY KEY (doc_id, version)
);

CREATE TABLE document_deletion_rows (
    doc_id VARCHAR PRIMARY KEY,
    deleted_at TIMESTAMP NOT NULL,      -- UTC: when the sync noticed it was gone
    noticed_in VARCHAR,                 -- the comments feed it was missing from
    run_id VARCHAR
);

CREATE VIEW document_versions AS
SELECT v.doc_id, v.version, v.text, false AS is_current, v.source_id, v.replaced_at,
       v.replaced_by_source_id, v.run_id, d.kind, d.post_id, d.blogger_id
FROM document_version_rows v JOIN document_rows d ON d.doc_id = v.doc_id
UNION ALL
SELECT d.doc_id, m.n + 1 AS version, d.text, true AS is_current, m.last_source AS source_id,
       NULL::TIMESTAMP AS replaced_at, NULL::VARCHAR AS replaced_by_source_id, m.last_run AS run_id,
       d.kind, d.post_id, d.blogger_id
FROM document_rows d
JOIN (SELECT doc_id, max(version) AS n, arg_max(replaced_by_source_id, version) AS last_source,
             arg_max(run_id, version) AS last_run
      FROM document_version_rows GROUP BY doc_id) m ON m.doc_id = d.doc_id;

CREATE VIEW deleted_documents AS
SELECT x.doc_id, x.deleted_at, x.noticed_in, x.run_id, d.kind, d.post_id, d.blogger_id, d.author,
       d.published_at, d.text
FROM document_deletion_rows x JOIN document_rows d ON d.doc_id = x.doc_id;

CREATE VIEW sync_watermarks AS
SELECT blog, feed, watermark, synced_at, run_id FROM sync_state;

CREATE VIEW sync_fetches AS
SELECT f.run_id, f.seq, f.blog, f.feed, f.url, f.status, f.path, f.sha256, f.size_bytes, f.fetched_at,
       f.outcome, s.source_id
FROM sync_fetch_rows f LEFT JOIN source_files s ON s.sha256 = f.sha256;
"""


def up(conn) -> None:
    conn.execute(SQL)
