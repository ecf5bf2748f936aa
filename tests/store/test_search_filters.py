"""The search filters as SQL, on a small in-memory table shaped like search_documents."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from pipeline.store.search import Filters

ROWS = [
    ("a", "post", "2019-03-12 10:00:00", ["napo", "pay"], ["napo:AGAINST", "pay:FAVOR"]),
    ("b", "comment", "2020-06-03 23:59:00", ["napo"], ["napo:FAVOR"]),
    ("c", "comment", "2021-01-20 00:00:00", [], []),
    ("d", "comment", None, ["pay"], ["pay:AGAINST"]),
]


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute("CREATE TABLE d (doc_id VARCHAR, kind VARCHAR, published_at TIMESTAMP, themes VARCHAR[], "
              "theme_stances VARCHAR[])")
    c.executemany("INSERT INTO d VALUES (?, ?, ?, ?, ?)", ROWS)
    yield c
    c.close()


@pytest.mark.parametrize("filters,expected", [
    (Filters(), "abcd"),
    (Filters(theme="napo"), "ab"),
    (Filters(theme="napo", stance="against"), "a"),
    (Filters(stance="AGAINST"), "ad"),
    (Filters(stance="FAVOR", kind="comment"), "b"),
    (Filters(since=date(2020, 6, 3)), "bc"),
    (Filters(until=date(2020, 6, 3)), "ab"),  # the whole day is included
    (Filters(since=date(2019, 3, 13), until=date(2021, 1, 19)), "b"),
])
def test_filters(con, filters, expected):
    where, params = filters.where("d")
    got = "".join(r[0] for r in con.execute(f"SELECT doc_id FROM d WHERE {where} ORDER BY doc_id", params).fetchall())
    assert got == expected
