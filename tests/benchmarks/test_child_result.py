"""A benchmark child's result line is found even when a progress bar shares its line."""

from __future__ import annotations

import json

from benchmarks.child import find_result


def test_the_result_is_found_after_a_progress_bar_on_the_same_line():
    payload = {"wall": 59.0, "cpu": 104.4, "summary": {"stage": "classify"}}
    bar = "\r 73% ▕███▏ (<1 second remaining)     \r 76% ▕████▏ (<1 second remaining)     "
    assert find_result(bar + "RESULT " + json.dumps(payload) + "\n") == payload
    assert find_result("noise\nRESULT " + json.dumps({"a": 1}) + "\nmore\nRESULT " + json.dumps(payload)) == payload
    assert find_result("\r 76% ▕████▏ no result here\n") is None
