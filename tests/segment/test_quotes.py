from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.segment.quotes import quote_spans


def _texts(text):
    return [text[q.start:q.end] for q in quote_spans(text)]


def test_straight_and_typographic():
    text = 'He said "we are all fine here" and then “nobody listens to us” again.'
    assert _texts(text) == ['"we are all fine here"', "“nobody listens to us”"]


def test_wrong_glyph_closing_and_nested_styles():
    text = "“The report found too few staff on site.“ “Inspectors were concerned.”"
    assert _texts(text) == ["“The report found too few staff on site.“", "“Inspectors were concerned.”"]
    nested = 'the observation: "I’ve even seen “unwanted” feedback reaching inspectors.".'
    assert _texts(nested) == ['"I’ve even seen “unwanted” feedback reaching inspectors."']


def test_block_quote_over_paragraphs_only_when_it_opens_and_closes_a_block():
    block = 'Left on an old post:-\n\n"First para of it.\n\nSecond para of it."\n\nMy view.'
    assert _texts(block) == ['"First para of it.\n\nSecond para of it."']
    stray = 'An open " mark here.\n\nAnd a close" there.'
    assert _texts(stray) == []


def test_single_quotes():
    text = "An email said: 'Given the issues I am writing to request support.' Then ‘reset and raise’ it's fine."
    assert _texts(text) == ["'Given the issues I am writing to request support.'", "‘reset and raise’"]
    assert _texts("it's the members' interests that don't count") == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(['"', "“", "”", "‘", "’", "'", " ", "a", "b.", "\n", "\n\n", ":", "it’s"]),
                max_size=40).map("".join))
def test_spans_are_well_formed(text):
    spans = quote_spans(text)
    for q in spans:
        assert 0 <= q.start < q.inner_start <= q.inner_end < q.end <= len(text)
    for a, b in zip(spans, spans[1:]):
        assert a.end <= b.start  # outermost only, no overlap


def _spans_char_by_char(text):
    """The spans with the marks found as the stage first found them, one character at a
    time (the reference for the regex search that replaced that pass)."""
    from pipeline.segment.quotes import _CLOSE_GLYPH, _FAMILIES, _OPEN_GLYPH, _outermost, _role, _single_role

    families = [[(i, r) for i, ch in enumerate(text) if ch in family
                 for r in [_role(text, i, _OPEN_GLYPH, _CLOSE_GLYPH)] if r] for family in _FAMILIES]
    singles = [(i, r) for i, ch in enumerate(text) if ch in "‘’'" for r in [_single_role(text, i, ch)] if r]
    return _outermost(text, families, singles)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(['"', "“", "”", "„", "«", "»", "‘", "’", "'", ":", " ", "\n", "\n\n", "a", "Word",
                                 ".", ",", "-", "(", "!"]), max_size=60).map("".join))
def test_marks_found_by_the_regex_engine_give_the_character_loops_spans(text):
    assert quote_spans(text) == _spans_char_by_char(text)
