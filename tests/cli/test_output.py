"""The one output helper: every format, missing values never 'nan'/'NaT'/'None'."""

from __future__ import annotations

import io
import json
from datetime import datetime

import numpy as np
import pandas as pd

from pipeline.cli.output import display, emit, emit_frame


ROWS = [("a", 1, None, float("nan"), pd.NaT, datetime(2020, 1, 2, 3, 4)), ("b", np.int64(2), "x", 0.5, pd.Timestamp("2021-05-06"), None)]
COLS = ["name", "n", "note", "score", "when", "at"]


def _out(fmt):
    buf = io.StringIO()
    emit(COLS, ROWS, fmt, out=buf)
    return buf.getvalue()


def test_missing_values_are_empty_in_every_format():
    for fmt in ("table", "csv"):
        text = _out(fmt)
        for bad in ("nan", "NaT", "None"):
            assert bad not in text, (fmt, bad, text)
    data = json.loads(_out("json"))
    assert data[0]["note"] is None and data[0]["score"] is None and data[0]["when"] is None
    assert data[1]["n"] == 2 and data[0]["at"] == "2020-01-02T03:04:00"


def test_csv_round_trips_through_pandas():
    back = pd.read_csv(io.StringIO(_out("csv")))
    assert list(back.columns) == COLS and list(back["name"]) == ["a", "b"]


def test_emit_frame_and_display():
    buf = io.StringIO()
    emit_frame(pd.DataFrame({"x": [1.5, np.nan]}), "csv", out=buf)
    assert buf.getvalue() == 'x\n1.5\n""\n'  # a lone empty field is quoted, as CSV requires
    assert display(pd.Timestamp("2021-05-06")) == "2021-05-06 00:00:00"
    assert display(None) == "" and display(float("nan")) == "" and display(pd.NA) == ""
    assert display(pd.array([1, None], dtype="Int64")[1]) == ""
    assert display([1, 2]) == "[1, 2]"
