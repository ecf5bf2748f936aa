"""Batches sized by padded tokens (``embed_with(batch_tokens=...)``, what classify uses
for sentences): short texts go in large batches, long ones in small, every text gets the
vector it gets alone."""

from __future__ import annotations

import numpy as np

from pipeline.embed.encode import embed_with, token_batches
from pipeline.embed.registry import load_model


def test_token_batches_fill_the_budget_by_the_longest_piece():
    lengths = [100, 90, 50, 50, 20, 20, 20, 20, 20, 10]
    # 200 tokens: 100 -> 2 pieces; 50 -> 4 (50, 50, 20, 20); 20 -> 10 (the rest)
    assert token_batches(lengths, 200, 1) == [(0, 2), (2, 6), (6, 10)]
    # never fewer than min_size pieces, even when one piece alone is over the budget
    assert token_batches(lengths, 60, 3) == [(0, 3), (3, 6), (6, 9), (9, 10)]
    assert token_batches([], 200, 4) == []
    covered = [i for a, b in token_batches(lengths, 77, 1) for i in range(a, b)]
    assert covered == list(range(len(lengths)))


def test_token_budget_batches_give_the_vectors_of_each_text_alone(tiny_model_dir):
    model, _ = load_model(str(tiny_model_dir), "cpu")
    rng = np.random.default_rng(1)
    words = ["rota", "caseload", "office", "napo", "inspection", "court", "report", "pay"]
    texts = [" ".join(rng.choice(words, size=int(n))) for n in rng.integers(1, 60, size=40)]
    budget, _ = embed_with(model, texts, batch_size=2, batch_tokens=120)
    fixed, _ = embed_with(model, texts, batch_size=4)
    alone = np.vstack([embed_with(model, [t], batch_size=1)[0] for t in texts])
    assert np.allclose(budget, alone, atol=1e-5)
    assert np.allclose(budget, fixed, atol=1e-5)
