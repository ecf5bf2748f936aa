"""Stored tags (issue 13, scale): the part-of-speech tags spaCy's tagger gave a text,
kept by content hash, so that the topics fit and classify, which both tag every own text,
and later runs (a refit, classify again after training) do not run the tagger's model
over the same text again.

- ``token_tags``: content hash, tagger (``pipeline.nlp.tagger_key``: the spaCy pipeline,
  its version and configuration) -> tags (one byte per token of the tokenised text: the
  index of its tag in the tagger's labels). Never changes; a cache that may be emptied.
"""

VERSION = 23
NAME = "token_tags"

SQL = """
CREATE TABLE token_tags (
    content_hash VARCHAR NOT NULL,
    tagger VARCHAR NOT NULL,
    tags BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (content_hash, tagger)
);
"""


def up(conn) -> None:
    conn.execute(SQL)
