"""Batches sized by tokens (``embed_with(batch_tokens=...)``, what the embed stage and
classify use for sentences): short texts go in large batches, long ones in small, each
batch of one token length, and every text gets the vector it gets alone (in float32, the
same bits)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.embed.encode import embed_units, embed_with, token_batches
from pipeline.embed.registry import load_model


def test_token_batches_fill_the_budget_with_pieces_of_one_length():
    lengths = [100, 90, 50, 50, 20, 20, 20, 20, 20, 10]
    # 200 tokens: 100 and 90 alone; 50 -> 4 (both); 20 -> 10 (all five); 10 alone
    assert token_batches(lengths, 200, 1) == [(0, 1), (1, 2), (2, 4), (4, 9), (9, 10)]
    # never fewer than min_size pieces of a length, even when one alone is over the budget
    assert token_batches(lengths, 60, 3) == [(0, 1), (1, 2), (2, 4), (4, 7), (7, 9), (9, 10)]
    # no budget: min_size pieces a batch, still of one length
    assert token_batches(lengths, 0, 4) == [(0, 1), (1, 2), (2, 4), (4, 8), (8, 9), (9, 10)]
    assert token_batches([], 200, 4) == []
    for budget, least in ((77, 1), (0, 2), (10_000, 32)):
        batches = token_batches(lengths, budget, least)
        assert [i for a, b in batches for i in range(a, b)] == list(range(len(lengths)))
        assert all(len(set(lengths[a:b])) == 1 for a, b in batches)


@pytest.mark.parametrize("batch_tokens", [120, 0])
def test_a_texts_float32_vector_does_not_depend_on_its_neighbours(tiny_model_dir, batch_tokens):
    """The same bits for a text encoded among a few and among many others of every length
    (in another order): batches padded to their longest piece gave other bits."""
    model, _ = load_model(str(tiny_model_dir), "cpu")
    rng = np.random.default_rng(7)
    words = ["rota", "caseload", "office", "napo", "inspection", "court", "report", "pay"]
    texts = [" ".join(rng.choice(words, size=int(n))) for n in rng.integers(1, 60, size=120)]
    few, _ = embed_with(model, texts[:40], batch_size=4, batch_tokens=batch_tokens)
    many, _ = embed_with(model, texts[::-1], batch_size=4, batch_tokens=batch_tokens)
    assert np.array_equal(few, many[::-1][:40])


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


def test_a_text_of_one_sentence_gets_that_sentences_vector_bit_for_bit(tiny_model_dir):
    """A one-sentence text and its sentence share a content hash (stored as a text and as a
    sentence); both must be one vector, or a reader's answer depends on which it reads
    first (the worker processes' classify against the stage process's, once)."""
    model, _ = load_model(str(tiny_model_dir), "cpu")
    rng = np.random.default_rng(3)
    words = ["rota", "caseload", "office", "napo", "inspection", "court", "report", "pay"]
    texts = [" ".join(rng.choice(words, size=int(n))).capitalize() + "." for n in rng.integers(2, 30, size=80)]
    res = embed_units(model, texts, "sentences", 4, batch_tokens=120)
    row = {s: i for i, s in enumerate(res.sentences)}
    assert all(t in row for t in texts)  # each text is one sentence
    assert np.array_equal(res.vectors, res.sentence_vectors[[row[t] for t in texts]])
