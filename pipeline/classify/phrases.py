"""Seed-term matching with spaCy's PhraseMatcher (on lower-cased lemmas or lower-cased words)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from pipeline.classify.errors import ClassifySettingError
from pipeline.classify.taxonomy import Taxonomy
from pipeline.nlp import pipe

ATTRS = ("LEMMA", "LOWER")


def _lemma_doc(doc: Doc) -> Doc:
    """A Doc whose words are the lower-cased lemmas of ``doc`` (so 'Managers' meets 'manager')."""
    return Doc(doc.vocab, words=[(t.lemma_ or t.text).lower() for t in doc],
               spaces=[bool(t.whitespace_) for t in doc])


class SeedMatcher:
    """Counts seed-term matches per theme. ``attr`` LEMMA compares lower-cased lemmas,
    LOWER compares lower-cased words."""

    def __init__(self, taxonomy: Taxonomy, nlp: Language, attr: str = "LEMMA"):
        attr = attr.upper()
        if attr not in ATTRS:
            raise ClassifySettingError(f"classify.phrase_attr must be one of {', '.join(ATTRS)}, got {attr!r}",
                                       "set classify.phrase_attr = \"LEMMA\" or \"LOWER\"")
        self.attr = attr
        self.names = taxonomy.names
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._names = {nlp.vocab.strings.add(name): name for name in self.names}
        for theme in taxonomy:
            if not theme.seed_terms:
                continue
            if attr == "LEMMA":
                patterns = [_lemma_doc(d) for d in pipe(nlp, theme.seed_terms, ("ner",))]
            else:
                patterns = [nlp.make_doc(t) for t in theme.seed_terms]
            self.matcher.add(theme.name, patterns)

    def _target(self, doc: Doc) -> Doc:
        return _lemma_doc(doc) if self.attr == "LEMMA" else doc

    def counts(self, docs: Sequence[Doc]) -> np.ndarray:
        """Matches per (document, theme), shape (len(docs), len(themes))."""
        out = np.zeros((len(docs), len(self.names)), dtype=np.float32)
        index = {n: j for j, n in enumerate(self.names)}
        first: dict[int, int] = {}  # a Doc repeated (one thread context for many replies) is matched once
        for i, doc in enumerate(docs):
            seen = first.setdefault(id(doc), i)
            if seen != i:
                out[i] = out[seen]
                continue
            for match_id, _s, _e in self.matcher(self._target(doc)):
                out[i, index[self._names[match_id]]] += 1
        return out

    def matched_terms(self, doc: Doc) -> dict[str, list[str]]:
        """The matched spans per theme, for explaining a decision."""
        target = self._target(doc)
        found: dict[str, list[str]] = {}
        for match_id, s, e in self.matcher(target):
            found.setdefault(self._names[match_id], []).append(doc[s:e].text)
        return found

    def spans(self, doc: Doc) -> dict[str, list[tuple[int, int]]]:
        """Token spans (start, end) of the matches per theme (the lemma doc keeps the
        original tokenisation, so the spans index ``doc``)."""
        found: dict[str, list[tuple[int, int]]] = {}
        for match_id, s, e in self.matcher(self._target(doc)):
            found.setdefault(self._names[match_id], []).append((s, e))
        return found
