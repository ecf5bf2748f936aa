"""Topic quality measures, implemented here so that they can be checked by hand.

* NPMI coherence (Bouma 2009; as in Röder et al. 2015 'C_NPMI' with whole documents as
  the window): for each pair of a topic's top terms,
  ``NPMI = log(P(a,b) / (P(a) P(b))) / -log P(a,b)``, probabilities being shares of the
  reference documents that contain the terms. A pair that never co-occurs scores -1, a
  pair in every document +1. A topic's score is the mean over its pairs; a model's is
  the mean over its topics (outlier topic excluded).
* Topic diversity (Dieng et al. 2020): unique terms among all topics' top ``n`` terms,
  divided by ``n`` times the number of topics (1 = no term shared).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from itertools import combinations

import numpy as np
from scipy import sparse

from pipeline.topics.errors import TopicsError


def doc_term_sets(lemmas: Sequence[str], ngram_max: int) -> list[set[str]]:
    """The set of 1..ngram_max-gram terms in each lemmatized document."""
    out = []
    for text in lemmas:
        toks = text.split()
        terms: set[str] = set()
        for n in range(1, ngram_max + 1):
            terms.update(" ".join(toks[i:i + n]) for i in range(len(toks) - n + 1))
        out.append(terms)
    return out


def npmi_pair(p_a: float, p_b: float, p_ab: float) -> float:
    """Normalised PMI of two terms from document shares (see module docstring)."""
    if p_ab <= 0.0:
        return -1.0
    if p_ab >= 1.0:
        return 1.0
    return math.log(p_ab / (p_a * p_b)) / -math.log(p_ab)


def npmi_coherence(topics: Sequence[Sequence[str]], docs: Sequence[Iterable[str]],
                   top_n: int = 10) -> tuple[float, list[float]]:
    """Mean NPMI over topics and each topic's NPMI, over the reference ``docs`` (term sets).

    Topics with fewer than two terms get NaN and are left out of the mean.
    """
    tops = [list(dict.fromkeys(t))[:top_n] for t in topics]
    vocab = sorted({w for t in tops for w in t})
    index = {w: i for i, w in enumerate(vocab)}
    n_docs = len(docs)
    if n_docs == 0:
        raise TopicsError("NPMI needs at least one reference document", hint="model more documents")
    rows, cols = [], []
    for r, terms in enumerate(docs):
        for w in set(terms):
            j = index.get(w)
            if j is not None:
                rows.append(r)
                cols.append(j)
    present = sparse.csr_matrix((np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(n_docs, len(vocab)))
    co = (present.T @ present).toarray() / n_docs
    p = np.diag(co).copy()
    per_topic = []
    for t in tops:
        pairs = [npmi_pair(p[index[a]], p[index[b]], co[index[a], index[b]]) for a, b in combinations(t, 2)]
        per_topic.append(float(np.mean(pairs)) if pairs else float("nan"))
    valid = [s for s in per_topic if not math.isnan(s)]
    return (float(np.mean(valid)) if valid else float("nan")), per_topic


def topic_diversity(topics: Sequence[Sequence[str]], top_n: int) -> float:
    """Share of unique terms among the topics' top ``top_n`` terms (Dieng et al. 2020)."""
    tops = [list(t)[:top_n] for t in topics if len(t)]
    if not tops:
        return float("nan")
    total = sum(len(t) for t in tops)
    return len({w for t in tops for w in t}) / total
