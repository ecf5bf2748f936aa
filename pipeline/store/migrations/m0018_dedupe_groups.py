"""Incremental dedupe (issue 13): the duplicate groups the duplicates table was built
from, so a run recomputes only the groups a new or changed document touches.

- ``dedupe_groups``: each document with a relatable pair or an exact copy, its group
  (a connected component of the links that took part in the build,
  ``pipeline.dedupe.relations.duplicates_and_groups``; the group's smallest doc_id),
  and the digest of what its publication rank depended on when the group was built (a
  document whose date changes since is rebuilt with its group and its partners).
- ``dedupe_build``: one row, the digest of the relation settings the stored groups and
  duplicates were built with; a different one (or none: a new database, or one from
  before this migration) rebuilds every group.
"""

VERSION = 18
NAME = "dedupe_groups"

SQL = """
CREATE TABLE dedupe_groups (
    doc_id VARCHAR PRIMARY KEY,
    group_id VARCHAR NOT NULL,          -- the smallest doc_id of the group
    order_key VARCHAR NOT NULL          -- md5 of the document's publication-order fields at build time
);

CREATE TABLE dedupe_build (
    relations_key VARCHAR NOT NULL,     -- the relation settings the groups and duplicate_rows were built with
    run_id VARCHAR
);
"""


def up(conn) -> None:
    conn.execute(SQL)
