"""VADER, the lexicon baseline for sentiment (the lexicon ships in the vaderSentiment wheel)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from pipeline.classify.text import sentences

# The thresholds VADER's authors recommend for the compound score.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05


class Analyzer(SentimentIntensityAnalyzer):
    """VADER's analyser with the same scores, without its quadratic steps.

    For every sentiment word of a text VADER's ``_negation_check`` lower-cases *all* the
    text's words, then reads at most the three before the word (indices ``i - 3`` to
    ``i - 1``, never below 0: its caller checks ``i > start_i``). Handing it only those
    words gives the same valence; on whole comments (613 characters on average) it
    scores in about 55% of the CPU time. ``_special_idioms_check`` does the same and
    reads the words from ``i - 3`` to ``i + 2`` (its caller calls it only for ``i >= 3``;
    it looks past ``i`` only when the text has the words), so it is handed those six
    (fewer at the end of the text). A test compares both analysers' scores.
    """

    @staticmethod
    def _negation_check(valence, words_and_emoticons, start_i, i):
        lo = max(0, i - 3)
        return SentimentIntensityAnalyzer._negation_check(valence, words_and_emoticons[lo:i + 1], start_i, i - lo)

    @staticmethod
    def _special_idioms_check(valence, words_and_emoticons, i):
        if i < 3:  # never called so (see above); VADER's own would read from the text's end
            return SentimentIntensityAnalyzer._special_idioms_check(valence, words_and_emoticons, i)
        return SentimentIntensityAnalyzer._special_idioms_check(valence, words_and_emoticons[i - 3:i + 3], 3)


@lru_cache(maxsize=1)
def analyzer() -> SentimentIntensityAnalyzer:
    return Analyzer()


def vader_scores(texts: Sequence[str]) -> np.ndarray:
    """(neg, neu, pos, compound) per text, shape (n, 4)."""
    a = analyzer()
    out = np.zeros((len(texts), 4), dtype=np.float32)
    for i, t in enumerate(texts):
        s = a.polarity_scores(t or "")
        out[i] = (s["neg"], s["neu"], s["pos"], s["compound"])
    return out


def sentence_stats(docs, compounds: np.ndarray | None = None, owner: np.ndarray | None = None,
                   texts: Sequence[str] | None = None) -> np.ndarray:
    """Per parsed document: min, max and mean VADER compound over its sentences, the
    shares of negative and positive sentences, '?' and '!' counts (capped at 3, scaled to
    [0, 1]) and length (capped at 2,000 characters, scaled). Shape (n, 8).

    ``compounds`` (with ``owner``, each sentence's document row) are the compounds of
    every document's non-blank sentences when already scored (``text.sentences``' texts:
    VADER ignores the whitespace they are stripped of); otherwise they are scored here.
    ``texts``: the documents' texts when at hand (a parse keeps its text exactly)."""
    if compounds is None:
        a = analyzer()
        sents, rows = [], []
        for i, doc in enumerate(docs):
            for s in sentences(doc):
                sents.append(s.text)
                rows.append(i)
        compounds = np.array([a.polarity_scores(t)["compound"] for t in sents], dtype=np.float32)
        owner = np.asarray(rows, dtype=int)
    return stats_of_compounds(compounds, owner, list(texts) if texts is not None else [doc.text for doc in docs])


def stats_of_compounds(compounds: np.ndarray, owner: np.ndarray, texts: Sequence[str]) -> np.ndarray:
    """``sentence_stats`` from each sentence's compound (``owner[i]``: the row of sentence
    i, ascending or not) and each row's whole text. A row without sentences counts as one
    empty sentence (compound 0). Vectorised: no Python loop over sentences."""
    n = len(texts)
    out = np.zeros((n, 8), dtype=np.float32)
    if n == 0:
        return out
    comp = np.asarray(compounds, dtype=np.float32).reshape(-1)
    owner = np.asarray(owner if owner is not None else np.zeros(0), dtype=np.int64).reshape(-1)
    empty = np.flatnonzero(np.bincount(owner, minlength=n)[:n] == 0)
    if len(empty):
        owner = np.concatenate([owner, empty])
        comp = np.concatenate([comp, np.zeros(len(empty), dtype=np.float32)])
    order = np.argsort(owner, kind="stable")
    owner, comp = owner[order], comp[order]
    starts = np.searchsorted(owner, np.arange(n))
    count = np.bincount(owner, minlength=n).astype(np.float64)
    out[:, 0] = np.minimum.reduceat(comp, starts)
    out[:, 1] = np.maximum.reduceat(comp, starts)
    out[:, 2] = np.add.reduceat(comp, starts) / count
    out[:, 3] = np.add.reduceat((comp <= NEGATIVE_AT).astype(np.float64), starts) / count
    out[:, 4] = np.add.reduceat((comp >= POSITIVE_AT).astype(np.float64), starts) / count
    out[:, 5] = [min(t.count("?"), 3) / 3 for t in texts]
    out[:, 6] = [min(t.count("!"), 3) / 3 for t in texts]
    out[:, 7] = [min(len(t), 2000) / 2000 for t in texts]
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
