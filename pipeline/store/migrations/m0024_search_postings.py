"""The BM25 index kept per document (issue 13, scale): a run indexes only the documents
that are new or whose own text changed, where DuckDB's fts extension (``PRAGMA
create_fts_index``) rebuilt the whole index whenever any text changed (2.2 s at 30,000
documents, about 10 s at 150,000, in every nightly run).

- ``search_doc_lengths``: each indexed document, its length in terms and the sha256 of
  the own text its terms came from (what tells a run that a text changed);
- ``search_postings``: each (document, term) with the term's count in it;
- ``search_stopwords``: the stop words the index left out (``search.fts_stopwords``);
- ``search_tokenize(s)``: the fts extension's tokeniser, as it defines it.

The extension's index (schema ``fts_main_search_text_rows``), the table of texts it was
built on and the macros over it are dropped, and the index's state is cleared: the next
``index`` stage (``probation-corpus run``, or ``run --stage index`` alone) builds the new
index in full and creates ``search_bm25`` and ``search_hybrid`` again. Until then a BM25
search says there is no index yet.
"""

VERSION = 24
NAME = "search_postings"

SQL = r"""
DROP MACRO TABLE IF EXISTS search_hybrid;
DROP MACRO TABLE IF EXISTS search_bm25;
DROP SCHEMA IF EXISTS fts_main_search_text_rows CASCADE;
DROP TABLE IF EXISTS search_text_rows;
DELETE FROM search_index_state WHERE key = 'bm25';

CREATE TABLE search_doc_lengths (
    doc_id VARCHAR NOT NULL,            -- a document of search_documents
    len INTEGER NOT NULL,               -- its terms (tokens less stop words), counted with repeats
    text_hash VARCHAR NOT NULL          -- sha256 of the own text indexed
);

CREATE TABLE search_postings (
    doc_id VARCHAR NOT NULL,
    term VARCHAR NOT NULL,              -- a stemmed token
    tf INTEGER NOT NULL                 -- how often it occurs in the document
);

CREATE TABLE search_stopwords (
    sw VARCHAR NOT NULL
);

CREATE MACRO search_tokenize(s) AS
string_split_regex(regexp_replace(lower(strip_accents(CAST(s AS VARCHAR))),
                                  '[0-9!@#$%^&*()_+={}\[\]:;<>,.?~\\/\|''''"`-]+', ' ', 'g'), '\s+');
"""


def up(conn) -> None:
    conn.execute(SQL)
