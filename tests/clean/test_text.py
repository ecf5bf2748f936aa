"""Cleaning functions: examples, and idempotence as a property."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.clean.text import (
    clean_text,
    lines,
    normalise_whitespace,
    paragraphs,
    repair_unicode,
    strip_furniture,
)
from pipeline.config import ConfigError
from tests.stagekit import clean_settings

OPTS = clean_settings().clean_options()

# Text that looks like the blog: words, typographic punctuation, mojibake fragments,
# odd spaces and furniture lines.
BLOGGY = st.lists(
    st.one_of(
        st.text(min_size=0, max_size=30),
        st.sampled_from(["â€™", "â€œ", "Ã©", "&amp;", "\u00a0", "\u200b", "\t", "\r\n", "\n\n\n", "ReplyDelete",
                         "\nDelete\n", "“quoted”", "it’s", "—", "ﬁ", "ＡＢＣ", "\u00ad", "Load more...", " "]),
    ),
    max_size=25,
).map("".join)


def test_repair_unicode_fixes_mojibake_and_keeps_typographic_quotes():
    assert repair_unicode("It\u00e2\u20ac\u2122s", "NFC", True) == "It’s"
    assert repair_unicode("“top draw”", "NFC", True) == "“top draw”"
    assert repair_unicode("ﬁnal &amp; ＡＢＣ", "NFC", True) == "final & ABC"


def test_repair_unicode_can_be_switched_off():
    assert repair_unicode("ﬁnal", "NFC", fix_mojibake=False) == "ﬁnal"


def test_normalise_whitespace():
    raw = "  one\u00a0 two\t three  \r\nfour\u200b\n\n\n\nfive  \n"
    assert normalise_whitespace(raw) == "one two three\nfour\n\nfive"


def test_strip_furniture_drops_whole_lines_only():
    text = "Reply to this: no\nReplyDelete\nLoad more...\nNewer Post Older Post Home\nDelete the files\n8 comments:"
    assert strip_furniture(text) == "Reply to this: no\nDelete the files"


def test_strip_furniture_glued_marker_at_end():
    assert strip_furniture("Thanks all.ReplyDelete") == "Thanks all."
    assert strip_furniture("Undelete") == "Undelete"


def test_clean_text_all_steps():
    raw = "Itâ€™s a mess.\u00a0 Truly.\r\n\r\n\r\nReplyDelete\r\nNext para "
    assert clean_text(raw, OPTS) == "It’s a mess. Truly.\n\nNext para"


def test_extra_furniture_from_config():
    opts = clean_settings(extra_furniture=[r"posted in .*"]).clean_options()
    assert clean_text("Body\nPosted in Probation", opts) == "Body"


def test_bad_options_are_refused():
    import pytest

    with pytest.raises(ConfigError, match="unicode_form"):
        replace(OPTS, unicode_form="NFD")
    with pytest.raises(ConfigError, match="extra_furniture"):
        replace(OPTS, extra_furniture=("(",))


@settings(max_examples=300, deadline=None)
@given(BLOGGY)
def test_clean_text_is_idempotent(s):
    once = clean_text(s, OPTS)
    assert clean_text(once, OPTS) == once


@settings(max_examples=200, deadline=None)
@given(BLOGGY)
@example(s="\x80\r\x8bß¬™")  # C1 controls: ftfy's first pass made letters its second read as mojibake
def test_each_step_is_idempotent(s):
    repair = partial(repair_unicode, form=OPTS.unicode_form, fix_mojibake=OPTS.fix_mojibake)
    repair.__name__ = "repair_unicode"
    for f in (normalise_whitespace, strip_furniture, repair):
        once = f(s)
        assert f(once) == once, f.__name__


@settings(max_examples=200, deadline=None)
@given(BLOGGY)
def test_clean_text_shape(s):
    out = clean_text(s, OPTS)
    assert out == out.strip()
    assert "\n\n\n" not in out and "\r" not in out and "\u00a0" not in out and "  " not in out


def test_paragraphs_and_lines_offsets():
    text = "a b\nc\n\nd e\n\n\nf"
    paras = paragraphs(text)
    assert [text[s:e] for s, e in paras] == ["a b\nc", "d e", "f"]
    assert [text[s:e] for s, e in lines(text)] == ["a b", "c", "d e", "f"]
