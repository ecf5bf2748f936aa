"""spaCy processing shared by seed-term matching and sentence splitting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from pipeline.nlp import Tagger, english, tagged
from pipeline.sentences import sentence_spans

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


def parse(texts: Sequence[str], nlp: Language | None = None, batch_size: int = 32,
          tagger: Tagger | None = None) -> list[Doc]:
    """Tokenise, tag and lemmatise ``texts`` (one spaCy Doc each; ``pipeline.nlp.tagged``:
    no dependency parse, since sentences come from ``pipeline.sentences``), or with
    ``tagger`` (``pipeline.nlp.reusing_tagger``: stored tags reused) the same Docs from it."""
    texts = [t or "" for t in texts]
    if tagger is not None:
        return list(tagger(texts))
    return list(tagged(nlp or load_nlp(), texts, batch_size))


def sentences(doc: Doc) -> list[Sentence]:
    """The non-blank sentences of a parsed document: ``pipeline.sentences``' split of its
    text (the one the embed stage encodes), not the parser's, so that each sentence's
    vector is the one the embed stage stored."""
    text = doc.text
    return [Sentence(i, a, b, text[a:b]) for i, (a, b) in enumerate(sentence_spans(text))]


def token_bounds(doc: Doc, sentence: Sentence) -> tuple[int, int]:
    """The token span ``(start, end)`` of ``sentence`` in ``doc`` (widened to whole tokens)."""
    span = doc.char_span(sentence.start, sentence.end, alignment_mode="expand")
    return (span.start, span.end) if span is not None else (0, len(doc))  # None only outside the text


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
