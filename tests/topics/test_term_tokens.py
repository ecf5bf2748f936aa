"""Topic terms are tokenised the way BERTopic's vectoriser sees them (issue 14): BERTopic
strips every character but ASCII letters, digits and spaces before counting, so a term
such as "o'clock" that keeps its apostrophe had zero document frequency and c-TF-IDF
failed with ``ValueError: Input contains infinity``. Synthetic text only."""

from __future__ import annotations

import random
import re

import numpy as np

from pipeline.topics import fit_topics
from pipeline.topics.text import lemmatize, stop_words
from tests.topics.synthetic import synthetic_corpus

HOSTILE = [
    "We met at nine o'clock and the o'clock meeting overran again.",
    "I don't know why the practitioners' room was locked; the practitioners’ kettle too.",
    "Staff well-being and a co-worker's half-hearted risk-assessment, 2019-20 figures, Tier-3 cases.",
    "The “so-called” re-organisation of 24/7 rota’s ‘hot-desking’ left ex-colleagues rock'n'roll tired.",
    "Anyone's guess: the ne'er-do-well naïve café rôle, 3rd time, 100% o'clock.",
]


def _hostile_corpus():
    ids, texts, emb, labels = synthetic_corpus(per_theme=30)
    rng = random.Random(3)
    texts = [f"{t} {rng.choice(HOSTILE)} {rng.choice(HOSTILE)}" for t in texts]
    return ids, texts, emb, labels


def test_lemmas_are_terms_bertopic_can_count(topic_settings):
    lemmas = lemmatize(HOSTILE * 2, stop_words(topic_settings.domain_stop_words), topic_settings.keep_pos,
                       topic_settings.min_term_chars)
    for doc in lemmas:
        for term in doc.split():
            # BERTopic's own preprocessing must leave every term unchanged
            assert re.sub(r"[^A-Za-z0-9 ]+", "", term) == term, term


def test_fit_on_apostrophes_hyphens_digits_and_unicode_quotes(topic_settings):
    ids, texts, emb, _ = _hostile_corpus()
    fit = fit_topics(ids, texts, emb, topic_settings)
    real = fit.topics[fit.topics.topic_id != -1]
    assert len(real) >= 3
    assert all(terms for terms in real.top_terms)
    for _, weights in fit.model.get_topics().items():
        assert all(np.isfinite(w) for _, w in weights)
