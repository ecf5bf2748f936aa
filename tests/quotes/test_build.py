"""A quote never rewrites the author: whole own sentences, verbatim pieces, explicit
elisions. Invented texts only (synthetic)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.config import load_config
from pipeline.quotes import ELISION, QuoteOptions, build_quote, first_sentence, join_pieces, quote_holes
from pipeline.quotes.build import segment_holes
from pipeline.quotes.sentences import sentence_spans

OPTS = QuoteOptions.from_config(load_config().section("quotes"))


def sents(text: str) -> list[tuple[int, int]]:
    """A plain splitter for the pure tests: after . ! ? and at line breaks."""
    spans, pos = [], 0
    for m in re.finditer(r"(?<=[.!?])\s+|\n", text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    return sentence_spans(text, spans)


def own_all(text: str) -> list[tuple[int, int]]:
    return [(0, len(text))]


def spans_of(text: str, *parts: str) -> list[tuple[int, int]]:
    out = []
    for p in parts:
        i = text.index(p)
        out.append((i, i + len(p)))
    return out


def test_contiguous_own_words_are_one_piece():
    text = "I have worked in this office for eleven years. The caseloads have never been this high."
    q = build_quote(text, own_all(text), sents(text), OPTS)
    assert q.pieces == ((0, len(text)),) and q.text == text and not q.elided and q.reason == "ok"


def test_pasted_passage_in_the_middle_becomes_an_elision_mark():
    own1 = "Our area manager sent this round on Friday afternoon, as ever."
    pasted = "Dear colleagues, we are pleased to announce a new operating model for all teams."
    own2 = "Nobody on my team was asked a single question about any of it before it was decided."
    text = f"{own1}\n\n{pasted}\n\n{own2}"
    q = build_quote(text, spans_of(text, own1, own2), sents(text), OPTS)
    assert q.text == f"{own1} {ELISION} {own2}"
    assert [text[s:e] for s, e in q.pieces] == [own1, own2]
    assert "pleased to announce" not in q.text and q.elided


def test_a_sentence_mixing_own_words_and_a_quotation_is_left_out_whole():
    text = ('The statement said "we accept all the recommendations in full". Which is what they always say, '
            "and then nothing at all changes for the people doing the work.")
    quoted = '"we accept all the recommendations in full"'
    qs = text.index(quoted)
    own = [(0, qs - 1), (qs + len(quoted), len(text))]
    q = build_quote(text, own, sents(text), OPTS)
    assert q.text == "Which is what they always say, and then nothing at all changes for the people doing the work."
    assert "said" not in q.text and " ." not in q.text


def test_the_hole_of_the_old_own_text_is_detected():
    text = 'The statement said "we accept all the recommendations". Which is what they always say.'
    quoted = '"we accept all the recommendations"'
    qs = text.index(quoted)
    own = [(0, qs - 1), (qs + len(quoted), len(text))]
    assert segment_holes(text, own, sents(text))  # "The statement said . Which is ..." had a hole
    q = build_quote(text, own, sents(text), OPTS)
    assert q.text is None and q.reason == "too_short"  # six own words left: no quote


def test_speaker_labels_urls_and_short_fragments_are_no_quote():
    for text in ("A:\nB:\nC:", "https://example.org/a-page\nwww.example.org/other",
                 "Well said. Spot on.", "Jim Smith:\nhttps://example.org/x"):
        q = build_quote(text, own_all(text), sents(text), OPTS)
        assert q.text is None and q.pieces == (), text


def test_eight_words_is_the_floor_for_a_quote_and_for_each_piece():
    seven = "One two three four five six seven."
    eight = "One two three four five six seven eight."
    assert build_quote(seven, own_all(seven), sents(seven), OPTS).text is None
    assert build_quote(eight, own_all(eight), sents(eight), OPTS).text == eight
    # a short own fragment between two pasted blocks is dropped, not kept as a piece
    long1 = "I think this is the most honest thing anyone senior has said in years."
    text = f"{long1}\n\nPASTED WORDS HERE.\n\nQuite right.\n\nMORE PASTED WORDS."
    q = build_quote(text, spans_of(text, long1, "Quite right."), sents(text), OPTS)
    assert q.text == long1 and len(q.pieces) == 1
    assert build_quote(eight, own_all(eight), sents(eight), QuoteOptions(min_words=9, sentences="parser")).text is None


def test_labels_intro_lines_and_signoff_are_trimmed_from_the_edges():
    body = "This is exactly what happened in our office last year and nobody listened."
    text = f"Jim Smith:\n{body}\nFrom the staff bulletin:-\nPASTED BULLETIN TEXT GOES HERE.\nKestrel"
    own = spans_of(text, f"Jim Smith:\n{body}\nFrom the staff bulletin:-") + spans_of(text, "Kestrel")
    q = build_quote(text, own, sents(text), OPTS, handles=["KESTREL"])
    assert q.text == body


def test_links_do_not_count_as_words():
    text = "See https://example.org/a/very/long/path here and https://example.org/b now."
    assert build_quote(text, own_all(text), sents(text), OPTS).text is None


def test_no_own_words():
    text = "All of this was pasted from somewhere else entirely, every single word."
    q = build_quote(text, [], sents(text), OPTS)
    assert q.text is None and q.reason == "no_own_words"


def test_first_sentence_prefers_own_words():
    text = "PASTED HEADLINE ABOUT THINGS.\n\nThis is my first own sentence. And a second one."
    assert first_sentence(text, spans_of(text, "This is my first own sentence. And a second one."),
                          sents(text)) == "This is my first own sentence."
    assert first_sentence(text, [], sents(text)) == "PASTED HEADLINE ABOUT THINGS."
    assert first_sentence("", [], []) is None


def test_quote_holes_finds_cuts_inside_sentences_and_missing_marks():
    text = "First sentence has several words in it. Second one also has a few words."
    s = sents(text)
    assert quote_holes(text, [(0, 39)], text[:39], s) == []
    assert any("inside a sentence" in h for h in quote_holes(text, [(6, 39)], text[6:39], s))
    pieces = [(0, 39), (40, len(text))]
    assert any("elision" in h for h in quote_holes(text, pieces, text[0:39] + " " + text[40:], s))
    assert quote_holes(text, pieces, join_pieces(text, pieces), s) == []


# --- property: pieces are verbatim at their offsets, and never someone else's words ---------------

OWN_SENTENCES = st.sampled_from([
    "I have been a probation officer for twenty years and never seen it this bad.",
    "Nobody asked the people who actually do the work.",
    "Well said.",
    "My team lost three experienced officers in a single month this spring.",
    "A:",
    "https://example.org/some/page",
    "Why does every restructure end with fewer of us doing more of the same work?",
])
OTHER_SENTENCES = st.sampled_from([
    "THE MINISTER WELCOMED THE FINDINGS OF THE REVIEW TODAY.",
    "Dear colleague, thank you for your letter of the tenth.",
    "Staff are our greatest asset, the statement added.",
])
SEPARATORS = st.sampled_from([" ", "\n", "\n\n"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), OWN_SENTENCES, OTHER_SENTENCES, SEPARATORS), min_size=1, max_size=12))
def test_pieces_are_verbatim_own_sentences_at_their_offsets(parts):
    text, own = "", []
    for is_own, mine, theirs, sep in parts:
        sentence = mine if is_own else theirs
        if text:
            text += sep
        if is_own:
            own.append((len(text), len(text) + len(sentence)))
        text += sentence
    s = sents(text)
    q = build_quote(text, own, s, OPTS)
    if q.text is None:
        assert q.pieces == ()
        return
    assert join_pieces(text, q.pieces) == q.text
    assert q.text.split(f" {ELISION} ") == [text[a:b] for a, b in q.pieces]
    assert quote_holes(text, q.pieces, q.text, s) == []
    owned = set()
    for a, b in own:
        owned.update(range(a, b))
    for a, b in q.pieces:
        assert all(i in owned or text[i].isspace() for i in range(a, b)), "someone else's words in a quote"
    for x, y in zip(q.pieces, q.pieces[1:]):
        assert text[x[1]:y[0]].strip(), "an elision mark where nothing was left out"
    assert q.n_words >= 8


def test_blank_mask_is_str_isspace_for_every_code_point():
    """The lookup table covers every blank character there is (all below U+3100) and
    nothing else, lone surrogates included."""
    import numpy as np

    from pipeline.quotes.build import blank_mask

    text = "".join(map(chr, range(0x110000)))
    assert np.array_equal(blank_mask(text), np.array([c.isspace() for c in text]))
    assert blank_mask("").shape == (0,)
