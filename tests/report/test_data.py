"""The report's pure parts: data preparation, cells, citations, escaping (fast, no database)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pipeline.config import ConfigError
from pipeline.report import data as prep
from pipeline.report.page import chart_ids, render
from pipeline.report.text import cell, citation, shorten


def test_volume_series_bins_and_fills_zeros():
    df = pd.DataFrame({"period": pd.to_datetime(["2019-01-01", "2019-02-01", "2019-05-01", "2020-03-01"]),
                       "kind": ["post", "comment", "comment", "post"], "n": [1, 4, 2, 3]})
    out = prep.volume_series(df, "year")
    assert out["period"].dt.year.tolist() == [2019, 2020]
    assert out["post"].tolist() == [1, 3] and out["comment"].tolist() == [6, 0]
    q = prep.volume_series(df, "quarter")
    assert q["comment"].tolist() == [4, 2, 0]
    with pytest.raises(ConfigError, match="report.time_bin"):
        prep.volume_series(df, "week")


def test_topic_shares_keep_the_largest_topics_and_add_up_to_one():
    df = pd.DataFrame({"period": pd.to_datetime(["2019-01-01"] * 4 + ["2019-07-01"] * 2),
                       "topic_id": [0, 1, 2, -1, 0, 2], "label": ["a", "b", "c", "", "a", "c"],
                       "n": [5, 1, 3, 1, 2, 2]})
    out = prep.topic_shares(df, "year", top_n=2)
    assert set(out["topic"]) == {"0: a", "2: c", "other topics", "no topic"}
    assert math.isclose(out["share"].sum(), 1.0)
    assert out.set_index("topic").loc["0: a", "n"] == 7


def test_stance_series_net_stance():
    df = pd.DataFrame({"theme": ["pay"] * 3, "period": pd.to_datetime(["2019-01-01"] * 3),
                       "stance": ["FAVOR", "AGAINST", "NONE"], "n": [1, 3, 4]})
    row = prep.stance_series(df).iloc[0]
    assert (row["FAVOR"], row["AGAINST"], row["NONE"], row["total"]) == (1, 3, 4, 8)
    assert math.isclose(row["net"], -0.25)


def test_sentiment_shares_cover_every_label():
    df = pd.DataFrame({"theme": ["pay", "pay"], "label": ["NEGATIVE", "POSITIVE"], "n": [3, 1]})
    out = prep.sentiment_shares(df).set_index("label")
    assert out.loc["NEUTRAL", "n"] == 0 and math.isclose(out.loc["NEGATIVE", "share"], 0.75)


def test_missing_values_never_print_as_nan_nat_or_none():
    for v in (None, float("nan"), pd.NaT, pd.NA):
        assert cell(v) == ""
    assert cell(pd.Timestamp("2019-03-12")) == "2019-03-12"
    assert cell(pd.Timestamp("2019-03-12 10:05")) == "2019-03-12 10:05"
    assert citation(float("nan"), pd.NaT, None, float("nan")) == "Anonymous, undated, comment, On Probation blog"
    assert (citation("Old Lag", pd.Timestamp("2019-03-12"), "Pay again", "https://example.org/p#c1")
            == 'Old Lag, 12 March 2019, comment on "Pay again", On Probation blog, https://example.org/p#c1')
    assert shorten("one two three four", 9) == "one two…"


def _data(**frames) -> prep.ReportData:
    empty = pd.DataFrame()
    base = dict(title="T <b>", generated_at="now", database="db", counts={"posts": 1, "comments": 0},
                time_bin="year", volume=empty, undated=0, topics=empty, stance=empty, sentiment=empty,
                quotes=empty, quote_max_chars=100, evaluations=empty, sources=empty, quarantine=empty, runs=empty)
    base.update(frames)
    return prep.ReportData(**base)


def test_page_escapes_corpus_text_and_prints_no_missing_markers():
    """Synthetic quote with markup in every field: it appears escaped, never as markup."""
    quotes = pd.DataFrame([{"theme": "pay", "stance": "AGAINST", "quote": "<script>alert(1)</script> & more",
                            "pseudonym": "<b>Bob</b>", "published_at": pd.NaT, "date_is_post_date": None,
                            "permalink": float("nan"), "post_title": "A \"title\" </script>", "kind": "comment"}])
    runs = pd.DataFrame([{"run_id": "r1", "flow": "main", "started_at": pd.Timestamp("2020-01-01 10:00"),
                          "finished_at": pd.NaT, "status": "running", "code_version": None}])
    html = render(_data(quotes=quotes, runs=runs))
    body = html.split("</head>", 1)[1]
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in body
    assert "&lt;b&gt;Bob&lt;/b&gt;" in body and "<b>Bob" not in body and "T &lt;b&gt;" in html
    for marker in (">nan<", ">NaT<", ">None<", " nan,", "NaT", "None"):
        assert marker not in body
    assert "undated" in body and "no permalink" in body
    assert chart_ids(_data()) == [] and "No data yet for this chart" in body


def test_chart_json_cannot_close_the_script_element():
    topics = pd.DataFrame({"period": pd.to_datetime(["2019-01-01"]), "topic": ["0: </script><b>x"],
                           "n": [1], "share": [1.0]})
    html = render(_data(topics=topics))
    body = html.split("</head>", 1)[1]
    assert "</script><b>x" not in body
    assert chart_ids(_data(topics=topics)) == ["topics"]
