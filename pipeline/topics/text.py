"""Text for topic terms: spaCy lemmas with English and domain stop words; sentences."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from pipeline.nlp import Tagger, tagged
from pipeline.topics.errors import TopicsError

_TERM = re.compile(r"^[a-z][a-z0-9]*[a-z]$")
# BERTopic (language "english") deletes every character but these before it counts terms
# (BERTopic._preprocess_text): a term must survive that unchanged, or it gets zero
# document frequency and c-TF-IDF fails ("Input contains infinity").
_NOT_BERTOPIC = re.compile(r"[^A-Za-z0-9]+")


@lru_cache(maxsize=1 << 18)
def term_form(word: str) -> str:
    """A word as BERTopic's vectoriser sees it: accents folded (café -> cafe), then every
    character but ASCII letters and digits removed (o'clock -> oclock, well-being -> wellbeing).
    Cached: a corpus repeats its words millions of times (2.8 million calls for 30,000
    documents)."""
    folded = unicodedata.normalize("NFKD", word)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _NOT_BERTOPIC.sub("", folded).lower()


def as_terms(lemma_text: str) -> str:
    """Space-separated lemmas with every term in ``term_form`` (for lemmas stored earlier)."""
    return " ".join(t for t in (term_form(w) for w in lemma_text.split()) if t)
TERM_PATTERN = r"\S+"


@lru_cache(maxsize=2)
def spacy_pipeline(model: str = "en_core_web_sm") -> Any:
    """spaCy's small English pipeline: the one the quotes and classify stages share
    (``pipeline.nlp.english``, loaded once per process; :func:`lemmatize` runs only its
    tagger and lemmatiser), or another installed spaCy model by name."""
    if model != "en_core_web_sm":
        import spacy

        return spacy.load(model, disable=["parser", "ner"])
    from pipeline.nlp import english

    return english()


def stop_words(domain: Iterable[str] = ()) -> frozenset[str]:
    """English stop words (scikit-learn's and spaCy's) plus ``domain`` ones, lower-cased."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(w.lower() for w in (*ENGLISH_STOP_WORDS, *STOP_WORDS, *domain))


def lemmatize(texts: Sequence[str], stop: frozenset[str], keep_pos: Sequence[str], min_chars: int,
              batch_size: int = 64, nlp: Any = None, tagger: Tagger | None = None) -> list[str]:
    """Each text as space-separated lower-case lemmas (tagged by ``tagger`` when given:
    ``pipeline.nlp.reusing_tagger``, stored tags reused; else by ``pipeline.nlp.tagged``).

    Kept: lemmas in ``term_form`` (letters and digits only, as BERTopic counts them),
    starting and ending with a letter, of at least
    ``min_chars`` characters, whose part of speech is in ``keep_pos`` and which are not
    stop words (checked on the word and on its lemma).
    """
    pos = set(keep_pos)
    out = []
    docs = tagger(texts) if tagger is not None else tagged(nlp or spacy_pipeline(), texts, batch_size)
    for doc in docs:
        out.append(" ".join(_terms(doc, pos, stop, min_chars)))
    return out


def _terms(doc: Any, pos: set[str], stop: frozenset[str], min_chars: int) -> list[str]:
    terms = []
    for tok in doc:
        if tok.pos_ not in pos:
            continue
        raw = tok.lemma_.lower().strip()
        if raw in stop or tok.lower_ in stop:
            continue
        lemma = term_form(raw)
        if len(lemma) < min_chars or not _TERM.match(lemma) or lemma in stop:
            continue
        terms.append(lemma)
    return terms


def term_analyzer(ngram_max: int) -> CountVectorizer:
    """A vectorizer over lemmatized text (terms are the space-separated tokens)."""
    return CountVectorizer(token_pattern=TERM_PATTERN, lowercase=False, ngram_range=(1, ngram_max))


def build_vocabulary(lemmas: Sequence[str], ngram_max: int, min_df: int, max_df: float) -> list[str]:
    """Terms (1..ngram_max-grams) in at least ``min_df`` documents and at most a ``max_df`` share of them.

    Computed over documents, not over BERTopic's per-topic concatenations (where
    ``min_df`` would drop exactly the words that are specific to one topic).
    """
    cv = CountVectorizer(token_pattern=TERM_PATTERN, lowercase=False, ngram_range=(1, ngram_max),
                         min_df=min_df, max_df=max_df)
    try:
        cv.fit(lemmas)
    except ValueError as exc:
        raise TopicsError(f"no topic terms left after stop words and min_df={min_df}: {exc}", hint="lower topics.min_df or model more documents") from exc
    return sorted(cv.vocabulary_)
