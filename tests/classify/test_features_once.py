"""Classify scores VADER once per sentence and builds no Doc per sentence (issue 13): the
features it computes that way are those of the old route (each sentence parsed out as a
Doc of its own, every sentence scored again for the document statistics and for itself).
Texts are SYNTHETIC (invented here)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.classify.features import SentenceSplit, build_features, features_of_parsed, sentence_features
from pipeline.classify.phrases import SeedMatcher
from pipeline.classify.text import load_nlp, parse, sentence_doc, sentences
from pipeline.classify.themes import RuleParams, detect_themes
from pipeline.classify.vader import analyzer
from tests.classify.fixture_data import hash_encoder

TEXTS = [
    "The rota is a joke!  Nobody reads the reports?\n\nWe are exhausted. Really exhausted!!",
    "Napo balloted members on pay.   The offer was dreadful, frankly.",
    "   ",
    "One line only",
    "Great news: the inspection praised the team. Well done everyone. I'm so pleased :)\n",
    "Why? Why again? Why do managers never listen?? \n\n Tick boxes, targets, restructures.",
]


def _old_stats(docs) -> np.ndarray:
    """The document statistics as they were computed before: every sentence scored again."""
    a = analyzer()
    out = np.zeros((len(docs), 8), dtype=np.float32)
    for i, doc in enumerate(docs):
        sents = [s.text for s in sentences(doc)] or [""]
        comp = np.array([a.polarity_scores(t)["compound"] for t in sents], dtype=np.float32)
        text = doc.text
        out[i] = (comp.min(), comp.max(), comp.mean(), np.mean(comp <= -0.05), np.mean(comp >= 0.05),
                  min(text.count("?"), 3) / 3, min(text.count("!"), 3) / 3, min(len(text), 2000) / 2000)
    return out


def test_document_statistics_from_one_scoring_of_each_sentence():
    feats = build_features(TEXTS, hash_encoder)
    assert np.allclose(feats.stats, _old_stats(feats.docs), atol=1e-6)
    a = analyzer()
    split = feats.split
    assert [s.text for s in split.sentences] == [s.text for d in feats.docs for s in sentences(d)]
    assert np.allclose(split.vader[:, 3], [a.polarity_scores(s.text)["compound"] for s in split.sentences])


def test_sentence_features_equal_those_of_each_sentence_parsed_out():
    feats = build_features(TEXTS, hash_encoder)
    new = sentence_features(feats, hash_encoder)
    spans = [(r, s) for r, d in enumerate(feats.docs) for s in sentences(d)]
    old = features_of_parsed([s.text for _, s in spans], [sentence_doc(feats.docs[r], s) for r, s in spans],
                             hash_encoder)
    assert new.texts == old.texts
    assert np.array_equal(new.embeddings, old.embeddings)
    assert np.allclose(new.vader, old.vader) and np.allclose(new.stats, old.stats, atol=1e-6)
    # the sentence Docs are still there for a backend that reads them, built when read
    assert [d.text for d in new.docs] == [d.text for d in old.docs]
    assert len(new.subset([1, 0]).docs) == 2


def test_split_subset_keeps_each_rows_sentences():
    docs = parse(TEXTS)
    split = SentenceSplit.of(docs)
    sub = split.subset([4, 0, 4])
    want = [s.text for r in (4, 0, 4) for s in sentences(docs[r])]
    assert [s.text for s in sub.sentences] == want
    counts = [len(sentences(docs[r])) for r in (4, 0, 4)]
    assert sub.owner.tolist() == [i for i, c in enumerate(counts) for _ in range(c)]
    assert len(split.subset([]).sentences) == 0


def test_a_repeated_doc_is_matched_once_with_the_same_counts(taxonomy):
    docs = parse(["Napo called a strike ballot over pay.", "The managers set more targets."])
    matcher = SeedMatcher(taxonomy, load_nlp(), "LEMMA")
    once = matcher.counts(docs)
    repeated = matcher.counts([docs[0], docs[1], docs[0], docs[0]])
    assert np.array_equal(repeated, once[[0, 1, 0, 0]])
    assert once.sum() > 0


def test_rule_detection_rows_in_document_then_theme_order(taxonomy):
    feats = build_features(["Napo called a strike ballot over pay.", "Nothing much to say here."], hash_encoder)
    protos = np.eye(len(taxonomy), feats.embeddings.shape[1], dtype=np.float32)
    det = detect_themes(feats, taxonomy, protos, None, RuleParams(1.01, -1.0, "LEMMA"), 0.5)
    assert det["row"].tolist() == [r for r in (0, 1) for _ in taxonomy.names]
    assert det["theme"].tolist() == list(taxonomy.names) * 2
    assert set(det["method"]) <= {"similarity", "seed_terms"}
    hit = det[(det["row"] == 0) & (det["theme"] == "napo")].iloc[0]
    assert bool(hit["present"]) and hit["method"] == "seed_terms"
    assert isinstance(det, pd.DataFrame) and not det.loc[det["row"] == 1, "present"].any()


def test_sentence_stats_alone_equal_the_old_computation():
    docs = parse(TEXTS)
    from pipeline.classify.vader import sentence_stats

    assert np.allclose(sentence_stats(docs), _old_stats(docs), atol=1e-6)
    assert sentence_stats(docs).shape == (len(TEXTS), 8)
