"""tabular: CSV/TSV and JSON Lines tables, column mapping, one Reject per bad row."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pipeline.ingest.ids import resolve_outside
from pipeline.ingest.readers.tabular import parse_timestamp, sniff
from pipeline.records import InputError
from tests.ingest.golden import check_golden
from tests.ingest.readers.blogger_fixtures import CSV_MAPPING, FIXTURES, one_line, read_data, read_ok

CASES = {"comments_mapped.csv": {"columns": CSV_MAPPING}, "comments.jsonl": {}}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name):
    check_golden(read_ok(name, "tabular", options=CASES[name]), "tabular", Path(name).stem)


def test_csv_with_mapping_keeps_good_rows_and_rejects_each_bad_row():
    read = read_ok("comments_mapped.csv", "tabular", options=CASES["comments_mapped.csv"])
    assert [(r.locator, r.reason.split(" (")[0]) for r in read.rejects] == [
        ("row 8", "empty body"),
        ("row 9", "unreadable timestamp 'yesterday'"),
        ("row 10", "unknown parent 'C7'"),          # its parent was rejected
        ("row 13", "row has 8 fields, the header has 7"),
        ("row 14", "duplicate id 'C1'"),
    ]
    assert all(r.code == "bad_row" and r.raw for r in read.rejects)
    # a parent and a post in no row of the file: kept with their raw rows, to be placed
    # against what is stored (nothing here: they become unplaced rows)
    assert read.table_ids and set(read.outside_rows) == {"C9", "C10"}
    res, outside = resolve_outside(read, "Europe/London", {})
    assert outside == {} and [(r.locator, r.reason.split(" (")[0], r.code) for r in res.rejects[-2:]] == [
        ("row 11", "unknown parent 'C99'", "unplaced_row"), ("row 12", "unknown post 'P9'", "unplaced_row")]
    assert res.rejects[-1].raw == read.outside_rows["C10"] and "P9" in res.rejects[-1].raw
    docs = {d.local_id: d for d in res.docs}
    assert docs["P1"].kind == "post" and docs["P1"].title == "Rota chaos (CSV copy)"
    assert docs["P1"].text == "An invented post body.\n\nIts second paragraph."
    assert docs["C3"].text == 'A nested reply with "quotes"\nand a second line.'
    assert {k: d.parent_local for k, d in docs.items() if d.kind == "comment"} == {
        "C1": None, "C2": "C1", "C3": "C2", "C4": "C1", "C5": None, "C12": None}
    # by time, file order breaking the C2/C4 tie; a bare date sorts at its midnight
    assert {k: d.position for k, d in docs.items()} == {
        "P1": 0, "C1": 1, "C2": 2, "C4": 3, "C5": 4, "C3": 5, "C12": 6}
    assert docs["C1"].published_at == datetime(2019, 6, 30, 22, 35)   # naive = blog time (BST)
    assert docs["C2"].published_at == datetime(2019, 6, 30, 23, 30)   # Z = UTC
    assert docs["C5"].date_only and docs["C5"].published_at == datetime(2019, 7, 1)
    assert all(d.blogger_id is None for d in res.docs)


def test_jsonl_rows_and_bad_lines():
    res = read_ok("comments.jsonl", "tabular")
    assert [(r.locator, r.reason.split(" (")[0]) for r in res.rejects] == [
        ("line 5", "malformed JSON"), ("line 6", "line is JSON but not an object")]
    post = res.docs[0]
    assert post.kind == "post" and post.blogger_id == "5550001112223330001"
    assert post.published_at == datetime(2010, 11, 9, 22, 20)
    docs = {d.local_id[-2:]: d for d in res.docs[1:]}
    assert docs["01"].published_at == datetime(2010, 11, 9, 23, 0)  # epoch milliseconds
    assert docs["03"].date_only
    assert docs["02"].parent_local == "7200000000000000001"
    assert docs["05"].author is None and docs["05"].published_at is None and docs["05"].position == 4
    # a comment on a Blogger post that is not in the file keeps its post id (joins that post)
    assert docs["06"].post_local == "5550001112223339999" and docs["06"].position == 1


def test_missing_mapped_column_is_an_input_error():
    out = read_data((FIXTURES / "comments_mapped.csv").read_bytes(), "t.csv",
                    options={"columns": {**CSV_MAPPING, "body": "text"}})
    assert out.error.code == "missing_columns" and one_line(out.error.message)
    assert "'text'" in out.error.message and "comment_text" in out.error.message


def test_unknown_mapping_key_is_refused():
    out = read_data(b"id,body\n1,x\n", "t.csv", options={"columns": {"content": "body"}})
    assert out.error.code == "bad_option" and "content" in out.error.message


def test_all_lines_malformed_is_an_input_error():
    out = read_data(b'{"id": 1, "body": "x"\n{"id": 2, "body": \n', "t.jsonl", forced_format="tabular")
    assert out.error.code == "malformed_json" and one_line(out.error.message)


def test_tsv_and_canonical_header():
    data = b"id\tpost\tparent\tauthor\ttimestamp\tbody\n1\t\t\tA\t2020-01-01T10:00:00Z\tA post.\n" \
           b"2\t1\t\tB\t2020-01-01T11:00:00Z\tA comment.\n3\t1\t2\tC\t2020-01-01T12:00:00Z\tA reply.\n"
    assert sniff(data.decode(), "t.dat") == 0.9
    res = read_data(data, "t.dat").result
    assert [(d.local_id, d.kind, d.parent_local, d.position) for d in res.docs] == [
        ("1", "post", None, 0), ("2", "comment", None, 1), ("3", "comment", "2", 2)]


def test_sniff_leaves_other_text_alone():
    assert sniff("Shopping list\neggs\nmilk\n", "x.csv") == 0.0
    assert sniff('{"version": "1.0",\n "feed": {}}', "x.jsonl") == 0.0
    assert sniff('{"some": "json"}', "x.jsonl") == 0.0
    assert sniff("comment_id,post_id,comment_text\n1,,hello\n", "x.txt") == 0.6


@pytest.mark.parametrize("value, expected", [
    ("2019-06-30T22:15:00+01:00", (datetime(2019, 6, 30, 21, 15), False)),
    ("2019-06-30 22:15", (datetime(2019, 6, 30, 21, 15), False)),      # blog local time (BST)
    ("2019-12-30 22:15", (datetime(2019, 12, 30, 22, 15), False)),     # GMT
    ("30/06/2019 22:15", (datetime(2019, 6, 30, 21, 15), False)),
    ("30/06/2019", (datetime(2019, 6, 30), True)),
    ("2019-06-30", (datetime(2019, 6, 30), True)),
    ("1561934100", (datetime(2019, 6, 30, 22, 35), False)),
    ("1561934100000", (datetime(2019, 6, 30, 22, 35), False)),
    ("", (None, False)),
])
def test_parse_timestamp(value, expected):
    assert parse_timestamp(value, "Europe/London") == expected


@pytest.mark.parametrize("value", ["yesterday", "31/02/2019", "2019-13-01"])
def test_parse_timestamp_refuses_non_times(value):
    with pytest.raises(InputError, match="unreadable timestamp"):
        parse_timestamp(value, "Europe/London")
