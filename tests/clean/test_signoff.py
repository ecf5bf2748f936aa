from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.clean.signoff import find_signoff, is_anonymous
from tests.stagekit import clean_settings

SIGNOFF = clean_settings().signoff_options()


@pytest.mark.parametrize("text,name", [
    ("It never ends.\n\nAnon", "Anon"),
    ("Worth a read.\n\n'Getafix", "Getafix"),
    ("Planned inspections aren't cutting it.\n\nBIONIC", "BIONIC"),
    ("Then, maybe, progress.\nYours,\n\nAnon", "Anon"),
    ("Rant over.\n- Dave H.", "Dave H"),
    ("Rant over.\nRegards, Netnanny", "Netnanny"),
])
def test_signoff_found(text, name):
    so = find_signoff(text, 0, None, SIGNOFF)
    assert so is not None and so.name == name
    assert text[so.start:so.end] == so.raw


@pytest.mark.parametrize("text", [
    "Anon",                                   # the whole comment
    "What a mess.\n\nThanks",                 # a closing word
    "What a mess.\n\nShocking.",
    "What a mess.\n\nNapo out",               # a phrase (function word)
    "What a mess.\n\nindeed",                 # lower case
    "What a mess.\n\nThis is not a name at all really",
    "What a mess.\n\nhttps://example.org",
    "What a mess.\n\nNo!",
])
def test_signoff_not_found(text):
    assert find_signoff(text, 0, None, SIGNOFF) is None


def test_signoff_in_a_region():
    text = "first part\nAnon\n*****\nsecond part\nBIONIC"
    so = find_signoff(text, 0, text.index("*****"), SIGNOFF)
    assert so.name == "Anon" and text[so.start:so.end] == "Anon"


def test_options_limit_words():
    assert find_signoff("Body.\n\nJohn Paul Smith", 0, None, SIGNOFF) is not None
    assert find_signoff("Body.\n\nJohn Paul Smith", 0, None, replace(SIGNOFF, signoff_max_words=2)) is None


def test_is_anonymous():
    assert is_anonymous(None, ["Anonymous"]) and is_anonymous(" anonymous ", ["Anonymous"])
    assert not is_anonymous("Jim Brown", ["Anonymous"])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_signoff_is_a_slice_of_the_last_line(text):
    so = find_signoff(text, 0, None, SIGNOFF)
    if so is not None:
        assert text[so.start:so.end] == so.raw
        assert not text[so.end:].strip()
