"""Invented documents on a few known themes, with embeddings that cluster by theme.

Used to test the topic machinery quickly and deterministically without a real
embedding model (the sample-corpus test uses the real one)."""

from __future__ import annotations

import random

import numpy as np

THEMES = {
    "inspection": ["inspector", "inspection", "inspectorate", "report", "rating", "inadequate", "hmip", "visit"],
    "union": ["union", "napo", "ballot", "strike", "member", "branch", "rep", "subs"],
    "sfo": ["sfo", "review", "scapegoat", "blame", "disciplinary", "suspension", "offence", "investigation"],
    "pay": ["pay", "salary", "award", "pension", "bonus", "wage", "increment", "payslip"],
    "workload": ["caseload", "workload", "sickness", "stress", "vacancy", "overtime", "shortage", "burnout"],
}
FILLER = ["colleague", "office", "manager", "week", "month", "team", "staff", "service", "court", "case"]
TEMPLATES = [
    "The {a} was the whole story this week, and the {b} made it worse for every {f}.",
    "Nobody in the {f} believes the {a} will change anything about the {b}.",
    "I raised the {a} with my {f} and was told the {b} is not our concern.",
    "Another {a}, another {b}; the {f} just shrugs and carries on.",
    "When the {a} came up, the {b} and the {c} were all anyone at the {f} talked about.",
]


def synthetic_corpus(per_theme: int = 30, dim: int = 24, seed: int = 7, noise: float = 0.35,
                     prefix: str = "d"):
    """(doc_ids, texts, embeddings, themes) for ``per_theme`` documents of each theme.

    The theme centres are fixed; ``seed`` varies the documents, so two calls with
    different seeds give new documents on the same themes.
    """
    rng = random.Random(seed)
    centre_rng = np.random.default_rng(12345)
    nrng = np.random.default_rng(seed)
    centres = {t: centre_rng.normal(size=dim) for t in THEMES}
    ids, texts, vecs, labels = [], [], [], []
    for theme, words in THEMES.items():
        for i in range(per_theme):
            sentences = []
            for _ in range(rng.randint(2, 4)):
                a, b, c = rng.sample(words, 3)
                sentences.append(rng.choice(TEMPLATES).format(a=a, b=b, c=c, f=rng.choice(FILLER)))
            texts.append(" ".join(sentences))
            ids.append(f"{prefix}_{theme}_{i:03d}")
            v = centres[theme] / np.linalg.norm(centres[theme]) + noise * nrng.normal(size=dim) / np.sqrt(dim)
            vecs.append(v / np.linalg.norm(v))
            labels.append(theme)
    return ids, texts, np.asarray(vecs, dtype=np.float32), labels
