"""The one sentence splitter (``pipeline.sentences``) that embed, topics and classify share."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.sentences import sentence_spans


def _pieces(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def test_ends_of_sentences_and_lines():
    text = ("The rota is a joke! Nobody reads the reports?\n\nWe are exhausted... 2 more left.\n"
            "Napo said \"no.\" Then what?\nThis line was wrapped\nin the middle of a sentence.")
    assert _pieces(text) == ["The rota is a joke!", "Nobody reads the reports?", "We are exhausted...",
                             "2 more left.", "Napo said \"no.\"", "Then what?",
                             "This line was wrapped\nin the middle of a sentence."]


def test_lower_case_after_a_full_stop_and_blank_text():
    assert _pieces("It went wrong. and nobody cared") == ["It went wrong. and nobody cared"]
    assert sentence_spans("") == [] and sentence_spans("  \n\n \t") == []
    assert sentence_spans("  one  ") == [(2, 5)]


_ALPHABET = st.sampled_from(list("ab AB.!?\n\"')(") + ["\u2026", "\u201d", "1"])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=80))
def test_spans_are_ordered_trimmed_and_split_again_whole(text):
    """What the embed stage and classify rely on: a sentence split again is itself, so
    the sentence classify reads is exactly the piece the embed stage encoded."""
    spans = sentence_spans(text)
    for (a, b), nxt in zip(spans, spans[1:] + [(len(text), len(text))]):
        piece = text[a:b]
        assert 0 <= a < b <= nxt[0]
        assert piece == piece.strip()
        assert sentence_spans(piece) == [(0, len(piece))]
    # nothing but white space is left out
    covered = set(i for a, b in spans for i in range(a, b))
    assert all(text[i].isspace() for i in range(len(text)) if i not in covered)
