"""spaCy processing shared by seed-term matching and sentence splitting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from pipeline.nlp import english, pipe

OFF = ("ner",)
"""Components classify never needs (people's names)."""


def load_nlp() -> Language:
    """The process's one small English pipeline (``pipeline.nlp.english``)."""
    return english()


@dataclass(frozen=True)
class Sentence:
    """One sentence of a document's own text, by character offsets into that text."""

    index: int
    start: int
    end: int
    text: str


def parse(texts: Sequence[str], nlp: Language | None = None, batch_size: int = 32) -> list[Doc]:
    """Tokenise, tag, lemmatise and sentence-split ``texts`` (one spaCy Doc each)."""
    nlp = nlp or load_nlp()
    return list(pipe(nlp, [t or "" for t in texts], OFF, batch_size))


def sentences(doc: Doc) -> list[Sentence]:
    """The non-blank sentences of a parsed document."""
    out: list[Sentence] = []
    for sent in doc.sents:
        text = sent.text.strip()
        if not text:
            continue
        start = sent.start_char + (len(sent.text) - len(sent.text.lstrip()))
        out.append(Sentence(len(out), start, start + len(text), text))
    return out


def sentence_doc(doc: Doc, sentence: Sentence) -> Doc:
    """One sentence of a parsed document as a Doc of its own, taken from that parse (its
    tags, lemmas and boundaries; nothing is parsed again). A sentence whose offsets do not
    fall on token boundaries (never seen) is parsed alone."""
    span = doc.char_span(sentence.start, sentence.end)
    if span is None:
        return parse([sentence.text])[0]
    return span.as_doc()


def sentence_doc_text(doc: Doc, sentence: Sentence) -> str:
    """The text of ``sentence_doc(doc, sentence)`` without building that Doc: the
    sentence and its last token's trailing space (a Doc keeps it)."""
    span = doc.char_span(sentence.start, sentence.end)
    if span is None:
        return sentence_doc(doc, sentence).text
    return sentence.text + span[-1].whitespace_
