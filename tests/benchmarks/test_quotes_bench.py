"""benchmarks/quotes_bench.py: the differences it counts, and on the bundled SYNTHETIC
sample the windowed quotes equal the whole-text ones (no document differs)."""

from __future__ import annotations

import re

import pytest

from benchmarks import quotes_bench as qb
from pipeline.quotes import Quote
from pipeline.quotes.batch import DocQuote


def _dq(text, names=(), first="First."):
    pieces = ((0, len(text)),) if text else ()
    return DocQuote(Quote(pieces, text, len((text or "").split()), "ok" if text else "too_short"), names, first)


def test_differences_count_documents_and_fields():
    a = [_dq("one two"), _dq("three"), _dq(None, first=None)]
    b = [_dq("one two"), _dq("three", names=("Jo",), first="Other."), _dq(None, first=None)]
    got = qb.differences(a, b)
    assert got["rows"] == 1 and got["names"] == 1 and got["first_sentence"] == 1 and got["quote"] == 0


@pytest.mark.slow
def test_sample_quotes_are_the_same_either_way(capsys):
    assert qb.main(["--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert int(re.search(r"documents: (\d+)", out).group(1)) > 100
    assert "differing documents: {'rows': 0," in out, out
