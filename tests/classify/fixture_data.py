"""A small labelled fixture (invented texts, no seed text): threads of comments with
themes, stance and sentiment, and a cheap deterministic encoder for tests."""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import HashingVectorizer

_HV = HashingVectorizer(n_features=256, alternate_sign=False, ngram_range=(1, 1))


def hash_encoder(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors of hashed word counts: a stand-in for sentence embeddings."""
    x = _HV.transform(list(texts)).toarray().astype(np.float32)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n == 0, 1.0, n)


def use_hash_encoder(monkeypatch) -> None:
    """Make the classify jobs (classify, train, evaluate) embed with :func:`hash_encoder`
    (model id ``hash-test@0``), reading nothing from the store's vectors."""
    from pipeline.jobs.classify import VectorReader

    monkeypatch.setattr("pipeline.jobs.classify.make_encoder",
                        lambda config, conn=None, cache=False: (hash_encoder, "hash-test@0"))
    monkeypatch.setattr("pipeline.jobs.classify.vector_reader",
                        lambda config, conn=None, cache=False: VectorReader(hash_encoder, "hash-test@0",
                                                                            lambda hashes: {}, lambda hashes: None))


TEMPLATES = [
    # (themes -> stance, sentiment, sentences to draw from)
    ({"pay": "AGAINST"}, "NEGATIVE", ["The pay award is an insult.", "My salary has not moved in years.",
                                      "A bonus of two hundred pounds is a joke.", "Pay progression is frozen again.",
                                      "We are badly paid for this work."]),
    ({"napo": "FAVOR"}, "POSITIVE", ["Napo were brilliant with my case.", "My union rep saved my job.",
                                     "Join the union, it is worth every penny.", "Thank you Napo for the support.",
                                     "The union fought hard for us and won."]),
    ({"napo": "AGAINST"}, "NEGATIVE", ["Napo did nothing for me.", "The union is useless and asleep.",
                                       "Our union rep gave terrible advice.", "Napo never fights for members.",
                                       "The union leadership sold us out."]),
    ({"workload": "AGAINST"}, "NEGATIVE", ["My caseload is over eighty cases.", "Half the team is off sick with stress.",
                                           "I do overtime every weekend to keep up.", "Vacancies are never filled.",
                                           "The workload is impossible and unsafe."]),
    ({"pay": "AGAINST", "workload": "AGAINST"}, "NEGATIVE", ["The pay is poor and the caseload is crushing.",
                                                             "Low salary and endless overtime.",
                                                             "Paid a pittance for an impossible workload."]),
    ({}, "POSITIVE", ["Thanks for the great post.", "Really interesting read, thank you.",
                      "Lovely to hear from old colleagues.", "Brilliant piece, well said."]),
    ({}, "NEUTRAL", ["Does anyone know when the meeting is?", "The link is below.", "Posted on Tuesday.",
                     "Which office is that?"]),
]


def fixture_frames(n_threads: int = 12, per_thread: int = 5, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(docs: doc_id, post_id, own_text, context; gold: doc_id, label_kind, label, value)."""
    rng = random.Random(seed)
    themes = ["napo", "pay", "workload", "inspection"]
    docs, gold = [], []
    k = 0
    for t in range(n_threads):
        for _ in range(per_thread):
            labels, sentiment, pool = TEMPLATES[k % len(TEMPLATES)]
            k += 1
            text = " ".join(rng.sample(pool, 2))
            doc_id = f"c_{t:02d}_{k:03d}"
            docs.append({"doc_id": doc_id, "post_id": f"p_{t:02d}", "own_text": text,
                         "context": f"Thread {t}: news from the office"})
            for name in themes:
                gold.append((doc_id, "theme", name, "present" if name in labels else "absent"))
                if name in labels:
                    gold.append((doc_id, "stance", name, labels[name]))
            gold.append((doc_id, "sentiment", "sentiment", sentiment))
    return pd.DataFrame(docs), pd.DataFrame(gold, columns=["doc_id", "label_kind", "label", "value"])
