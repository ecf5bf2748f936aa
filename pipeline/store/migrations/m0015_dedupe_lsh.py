"""Dedupe at scale: the LSH bands of every stored MinHash signature, kept between runs,
so a run with new documents queries them instead of rebuilding an index from every
stored signature. Databases from before are backfilled from their stored signatures by
the next dedupe run (no text is re-hashed)."""

VERSION = 15
NAME = "dedupe_lsh"

SQL = """
CREATE TABLE dedupe_lsh_bands (
    band SMALLINT NOT NULL,             -- band number (datasketch's optimum for lsh_threshold, num_perm)
    key BIGINT NOT NULL,                -- 64-bit mix of the band's MinHash values
    doc_id VARCHAR NOT NULL             -- a document with words (dedupe_signatures.n_tokens > 0)
);
"""


def up(conn) -> None:
    conn.execute(SQL)
