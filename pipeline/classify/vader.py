"""VADER, the lexicon baseline for sentiment (the lexicon ships in the vaderSentiment wheel)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# The thresholds VADER's authors recommend for the compound score.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05


@lru_cache(maxsize=1)
def analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def vader_scores(texts: Sequence[str]) -> np.ndarray:
    """(neg, neu, pos, compound) per text, shape (n, 4)."""
    a = analyzer()
    out = np.zeros((len(texts), 4), dtype=np.float32)
    for i, t in enumerate(texts):
        s = a.polarity_scores(t or "")
        out[i] = (s["neg"], s["neu"], s["pos"], s["compound"])
    return out


def sentence_stats(docs) -> np.ndarray:
    """Per parsed document: min, max and mean VADER compound over its sentences, the
    shares of negative and positive sentences, '?' and '!' counts (capped at 3, scaled to
    [0, 1]) and length (capped at 2,000 characters, scaled). Shape (n, 8)."""
    out = np.zeros((len(docs), 8), dtype=np.float32)
    a = analyzer()
    for i, doc in enumerate(docs):
        sents = [s.text for s in doc.sents if s.text.strip()] or [""]
        comp = np.array([a.polarity_scores(t)["compound"] for t in sents], dtype=np.float32)
        text = doc.text
        out[i] = (comp.min(), comp.max(), comp.mean(), np.mean(comp <= NEGATIVE_AT), np.mean(comp >= POSITIVE_AT),
                  min(text.count("?"), 3) / 3, min(text.count("!"), 3) / 3, min(len(text), 2000) / 2000)
    return out


def vader_label(compound: float) -> str:
    """NEGATIVE / NEUTRAL / POSITIVE from a compound score."""
    if compound >= POSITIVE_AT:
        return "POSITIVE"
    if compound <= NEGATIVE_AT:
        return "NEGATIVE"
    return "NEUTRAL"


def vader_predict(scores: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Labels and a confidence in [0, 1] (|compound|, or 1 - |compound| for NEUTRAL)."""
    labels = [vader_label(float(c)) for c in scores[:, 3]]
    comp = np.abs(scores[:, 3])
    conf = np.array([1.0 - c if lab == "NEUTRAL" else c for lab, c in zip(labels, comp)], dtype=np.float32)
    return labels, conf
