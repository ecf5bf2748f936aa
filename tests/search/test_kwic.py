"""Keyword in context: the pure core (matches, windows, alignment)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import UserError
from pipeline.search import KwicError, align, compile_term, find_matches, kwic, window

WORDS = st.lists(st.sampled_from(["the", "pay", "award", "office", "napo", "caseload", "Payment", "PAY",
                                  "pay-award", "officers", "(pay)", "a", "b"]), min_size=0, max_size=30)
SPACES = st.sampled_from([" ", "  ", "\n", "\t", " \n "])


def test_literal_terms_match_whole_words_case_insensitively():
    p = compile_term("pay")
    text = "Pay day. No payment, no PAY; repay the pay-award (pay)"
    found = [text[s:e] for s, e in find_matches(text, p)]
    assert found == ["Pay", "PAY", "pay", "pay"]  # not payment, not repay
    phrase = compile_term("pay award")
    other = "the pay\n  award was late"
    assert [other[s:e] for s, e in find_matches(other, phrase)] == ["pay\n  award"]


def test_regex_terms_and_bad_terms():
    p = compile_term(r"restructur\w*", regex=True)
    assert [m.group() for m in p.finditer("Restructure after restructuring")] == ["Restructure", "restructuring"]
    for bad, kw in (("", {}), ("   ", {}), ("(unclosed", {"regex": True}), ("x*", {"regex": True})):
        with pytest.raises(KwicError) as exc:
            compile_term(bad, **kw)
        assert isinstance(exc.value, UserError) and "\n" not in exc.value.one_line()
    # a literal term with regex characters is taken literally
    assert find_matches("costs rose (a lot) today", compile_term("(a lot)")) == [(11, 18)]


def test_window_counts_words_and_collapses_space():
    text = "one two  three\nfour KEY five six\tseven eight"
    s = text.index("KEY")
    assert window(text, s, s + 3, 2) == ("three four", "KEY", "five six")
    assert window(text, s, s + 3, 0) == ("", "KEY", "")
    assert window(text, s, s + 3, 50) == ("one two three four", "KEY", "five six seven eight")


def test_align_puts_every_keyword_in_one_column():
    rows = [("short", "pay", "right one"), ("a much longer left context", "PAY", "r"), ("", "pay", "")]
    lines = align(rows)
    width = len("a much longer left context")
    assert [line[width + 2: width + 5] for line in lines] == ["pay", "PAY", "pay"]
    assert lines[0] == " " * (width - len("short")) + "short  pay  right one"
    assert lines[2] == " " * width + "  pay"
    assert align([]) == []


@settings(max_examples=200, deadline=None)
@given(words=WORDS, seps=st.lists(SPACES, min_size=31, max_size=31), n=st.integers(0, 6))
def test_every_hit_is_the_term_with_its_true_context(words, seps, n):
    text = "".join(w + s for w, s in zip(words, seps))
    pattern = compile_term("pay")
    hits = kwic([("d1", text)], pattern, n)
    # the hits are exactly the whole-word occurrences of "pay", in order
    expected = [m.start() for m in re.finditer(r"(?<!\w)pay(?!\w)", text, re.I)]
    assert [h.start for h in hits] == expected
    for h in hits:
        assert h.keyword.lower() == "pay" and text[h.start:h.end] == h.keyword
        left_words, right_words = h.left.split(), h.right.split()
        assert len(left_words) <= n and len(right_words) <= n
        # the context is the words right next to the match
        before, after = text[:h.start].split(), text[h.end:].split()
        assert left_words == (before[-n:] if n else [])
        assert right_words == after[:n]
    lines = align([(h.left, h.keyword, h.right) for h in hits])
    if lines:
        width = max(len(h.left) for h in hits)
        assert all(line[width + 2: width + 5].lower() == "pay" for line in lines)
