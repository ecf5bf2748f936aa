"""Sentences and PERSON names from spaCy's small English pipeline (invented texts)."""

from __future__ import annotations

import pytest

from pipeline.config import load_config
from pipeline.quotes import QuoteOptions, build_quote, quote_holes
from pipeline.quotes.sentences import analyse, load_nlp, names_in, split_lines

OPTS = QuoteOptions.from_config(load_config().section("quotes"))

pytestmark = pytest.mark.slow


def test_model_is_loaded_once_with_parser_and_ner():
    """One spaCy pipeline per process, shared with classify; quotes turns its tagger and
    lemmatiser off (they would not change the parse) and keeps parser and NER."""
    from pipeline.classify.text import load_nlp as classify_nlp
    from pipeline.quotes.sentences import OFF

    nlp = load_nlp()
    assert load_nlp() is nlp and classify_nlp() is nlp
    assert "parser" in nlp.pipe_names and "ner" in nlp.pipe_names
    assert "parser" not in OFF and "ner" not in OFF and "lemmatizer" in OFF


def test_sentences_split_at_line_breaks_and_cover_every_word():
    text = ("Mr. Hargreaves told the meeting that nothing would change. I did not believe him!\n"
            "A:\nWhat happens now?")
    (a,) = analyse([text])
    got = [text[s:e] for s, e in a.sentences]
    assert got[-2:] == ["A:", "What happens now?"]
    assert "Mr. Hargreaves told the meeting that nothing would change." in got  # "Mr." does not end it
    covered = set()
    for s, e in a.sentences:
        covered.update(range(s, e))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_person_names_inside_the_quote_are_flagged():
    text = ("I spoke to Margaret Okonjo about the rota and she agreed it was unworkable for everyone.\n\n"
            "PASTED: Councillor Desmond Farthing opened the new office.")
    own_end = text.index("\n\n")
    (a,) = analyse([text])
    q = build_quote(text, [(0, own_end)], a.sentences, OPTS)
    assert q.text and "Farthing" not in q.text
    names = names_in(text, a.persons, q.pieces)
    assert any("Okonjo" in n for n in names) and not any("Farthing" in n for n in names)


def test_real_sentences_give_quotes_without_holes():
    text = ("The inspectors came on a Tuesday. They saw the files we were told to show them, and nothing else.\n\n"
            "“Leaders have a clear vision,” the report said.\n\n"
            "My own view is that the vision is clear only from the top floor of head office.")
    quoted_start = text.index("“Leaders")
    quoted_end = text.index("said.") + len("said.")
    own = [(0, quoted_start - 2), (quoted_end + 2, len(text))]
    (a,) = analyse([text])
    q = build_quote(text, own, a.sentences, OPTS)
    assert q.text is not None and "Leaders" not in q.text and "[…]" in q.text
    assert quote_holes(text, q.pieces, q.text, a.sentences) == []


def test_split_lines_trims_blanks():
    assert split_lines("  a b \n\n c\n", [(0, 11)]) == [(2, 5), (9, 10)]


def test_acronyms_are_not_flagged_as_names():
    text = "Mary Okafor from HMIP and OMiC staff met Jo."
    persons = [(0, 11), (17, 21), (26, 30), (41, 43)]
    assert names_in(text, persons, [(0, len(text))]) == ["Mary Okafor", "Jo"]
