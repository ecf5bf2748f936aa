from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from pipeline.clean.mentions import extract_mentions, resolve_mentions


@pytest.mark.parametrize("text,raw,hm,extra", [
    ("Odd thing to say @19:39, which", "@19:39", (19, 39), {}),
    ("Anon 16:13 The altered tone", "Anon 16:13", (16, 13), {"name": "Anon"}),
    ("as I said 11:27 yesterday", "11:27 yesterday", (11, 27), {"days_back": 1}),
    ("the comment at 08.05 was right", "comment at 08.05", (8, 5), {}),
    ("by Anonymous 3 March 2022 at 14:05: yes", "Anonymous 3 March 2022 at 14:05", (14, 5),
     {"on": date(2022, 3, 3), "name": "Anonymous"}),
    ("Agreed.\n07:30. No ACO is top draw", "07:30", (7, 30), {"pattern": "line_start"}),
])
def test_extract(text, raw, hm, extra):
    (m,) = extract_mentions(text)
    assert m.raw == raw and (m.hour, m.minute) == hm and text[m.start:m.end] == raw
    for k, v in extra.items():
        assert getattr(m, k) == v


@pytest.mark.parametrize("text", [
    "The meeting is at 10:30 tomorrow",       # a time, not a reference
    "It rose by 3.50 per cent",
    "@25:00 is no time",
    "a ratio of 1:2",
])
def test_not_mentions(text):
    assert extract_mentions(text) == []


def _frames(mention_rows, comment_rows):
    m = pd.DataFrame(mention_rows, columns=["doc_id", "post_id", "published_at", "date_only", "hour", "minute",
                                            "on", "days_back"])
    c = pd.DataFrame(comment_rows, columns=["doc_id", "post_id", "published_at", "date_only"])
    c["published_at"] = pd.to_datetime(c["published_at"])
    m["published_at"] = pd.to_datetime(m["published_at"])
    return m, c


def test_resolve_in_local_time_nearest_earlier():
    # 18:39 UTC in July is 19:39 in London (BST)
    comments = [
        ("c1", "p", datetime(2021, 7, 1, 18, 39), False),
        ("c2", "p", datetime(2021, 7, 2, 18, 39), False),
        ("c3", "p", datetime(2021, 7, 3, 9, 0), False),
        ("x1", "q", datetime(2021, 7, 2, 18, 39), False),
    ]
    m, c = _frames([("c3", "p", datetime(2021, 7, 3, 9, 0), False, 19, 39, None, None)], comments)
    assert list(resolve_mentions(m, c, "Europe/London")) == ["c2"]


def test_resolve_yesterday_and_named_date():
    comments = [("c1", "p", datetime(2021, 1, 1, 11, 27), False),
                ("c2", "p", datetime(2021, 1, 2, 11, 27), False),
                ("c3", "p", datetime(2021, 1, 3, 12, 0), False)]
    m, c = _frames([("c3", "p", datetime(2021, 1, 3, 12, 0), False, 11, 27, None, 1),
                    ("c3", "p", datetime(2021, 1, 3, 12, 0), False, 11, 27, date(2021, 1, 1), None)], comments)
    assert list(resolve_mentions(m, c, "Europe/London")) == ["c2", "c1"]


def test_unresolved_without_times_or_later_only():
    comments = [("c1", "p", None, False), ("c2", "p", datetime(2021, 1, 1, 19, 0), True),
                ("c4", "p", datetime(2021, 1, 5, 8, 0), False)]
    m, c = _frames([("c3", "p", datetime(2021, 1, 3, 12, 0), False, 19, 0, None, None),
                    ("c3", "p", datetime(2021, 1, 3, 12, 0), False, 8, 0, None, None)], comments)
    assert list(resolve_mentions(m, c, "Europe/London")) == [None, None]
