from __future__ import annotations

import numpy as np
import pytest

from pipeline.embed import chunk_text, embed_texts, load_model, pool_chunks, token_windows
from pipeline.embed.chunking import chunk_texts, token_ids


def test_token_windows_hand_examples():
    assert token_windows(3, 4, 1) == [(0, 3)]
    assert token_windows(4, 4, 1) == [(0, 4)]
    assert token_windows(10, 4, 1) == [(0, 4), (3, 7), (6, 10)]
    assert token_windows(9, 4, 0) == [(0, 4), (4, 8), (8, 9)]
    assert token_windows(0, 4, 1) == [(0, 0)]


@pytest.mark.parametrize("window,overlap", [(0, 0), (4, 4), (4, -1)])
def test_token_windows_rejects_bad_settings(window, overlap):
    with pytest.raises(ValueError):
        token_windows(10, window, overlap)


def test_every_token_is_covered():
    for n in range(1, 60):
        covered = set()
        for a, b in token_windows(n, 7, 2):
            assert 0 < b - a <= 7
            covered.update(range(a, b))
        assert covered == set(range(n))


def test_chunk_text_keeps_the_whole_text(tiny_model_dir):
    model, _ = load_model(str(tiny_model_dir))
    text = " ".join(f"officer report {i % 7} union pay" for i in range(40))
    chunks = chunk_text(text, model.tokenizer, 20, 5)
    assert len(chunks) > 1
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for prev, nxt in zip(chunks, chunks[1:]):
        assert nxt.start < prev.end  # overlapping windows, no gap
    assert all(c.text == text[c.start:c.end] for c in chunks)
    assert all(c.n_tokens <= 20 for c in chunks)
    short = chunk_text("the union", model.tokenizer, 20, 5)
    assert [c.text for c in short] == ["the union"]


def test_chunk_texts_is_chunk_text_of_each(tiny_model_dir):
    """Counting all the texts' tokens in one call cuts them as one call each does: the
    short ones whole (with their token counts), the long ones in the same windows."""
    model, _ = load_model(str(tiny_model_dir))
    assert model.tokenizer.is_fast
    texts = ["the union", "", "  ", "café o'clock well-being", " ".join(f"officer report {i % 7}" for i in range(30)),
             "Napo said no.", "x" * 300]
    for window in (1, 5, 20, 200):
        assert chunk_texts(texts, model.tokenizer, window, window // 4) == \
            [chunk_text(t, model.tokenizer, window, window // 4) for t in texts]
    assert chunk_texts([], model.tokenizer, 20, 5) == []


def test_token_ids_are_the_tokenizers_own(tiny_model_dir):
    """The ids asked of a fast tokenizer's backend are the ones the tokenizer gives, also
    after a call that left truncation and padding set on the backend."""
    model, _ = load_model(str(tiny_model_dir))
    tok = model.tokenizer
    texts = ["the union", "", "  ", "Café o'clock – well-being 🙂", "Napo said no.\nThen the SFO came",
             " ".join(["probation officer report"] * 40)]
    own = tok(texts, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
    assert [list(x) for x in token_ids(tok, texts)] == [list(x) for x in own]
    assert max(len(x) for x in own) > 20
    tok(texts, truncation=True, max_length=8, padding=True)  # sentence-transformers' own calls leave such state
    assert tok.backend_tokenizer.truncation is not None and tok.backend_tokenizer.padding is not None
    assert [list(x) for x in token_ids(tok, texts)] == [list(x) for x in own]
    assert max(len(x) for x in tok(texts, truncation=True, max_length=8)["input_ids"]) == 8  # its own calls still cut
    assert token_ids(tok, []) == []


def _pool_reference(vecs, weights, owners, n_texts):
    """pool_chunks as first written: np.add.at of the weighted, normalised chunk vectors."""
    def norm(x):
        n = np.linalg.norm(x, axis=1, keepdims=True)
        return (x / np.where(n == 0, 1.0, n)).astype(np.float32)
    v = norm(np.asarray(vecs, dtype=np.float32))
    out = np.zeros((n_texts, v.shape[1]), dtype=np.float64)
    np.add.at(out, np.asarray(owners, dtype=np.intp), v * np.maximum(np.asarray(weights, np.float64), 1.0)[:, None])
    return norm(out)


def test_pool_chunks_sums_each_texts_chunks_in_their_order():
    """The same bits as summing each text's chunks one after the other (np.add.at), for
    owners in any order, texts of 1 to 60 chunks, texts without any, zero weights."""
    rng = np.random.default_rng(3)
    counts = rng.integers(1, 60, 200)
    counts[::7] = 1
    owners = np.repeat(np.arange(200), counts)
    for shuffled in (False, True):
        own = rng.permutation(owners) if shuffled else owners.copy()
        own[own == 5] = 6  # text 5 has no chunks
        vecs = rng.standard_normal((len(own), 16)).astype(np.float32)
        weights = rng.integers(0, 300, len(own))
        got = pool_chunks(vecs, weights, own, 201)  # text 200: none either
        assert got.dtype == np.float32 and got.shape == (201, 16)
        assert got.tobytes() == _pool_reference(vecs, weights, own, 201).tobytes()
        assert not got[5].any() and not got[200].any()
    empty = pool_chunks(np.zeros((0, 4), np.float32), [], [], 3)
    assert empty.shape == (3, 4) and not empty.any()


def test_pool_chunks_is_length_weighted_mean():
    vecs = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    out = pool_chunks(vecs, weights=[3, 1, 5], owners=[0, 0, 1], n_texts=2)
    expected0 = np.array([3.0, 1.0]) / np.linalg.norm([3.0, 1.0])
    np.testing.assert_allclose(out[0], expected0, rtol=1e-6)
    np.testing.assert_allclose(out[1], [0.6, 0.8], rtol=1e-6)


def test_long_text_is_pooled_not_truncated(tiny_model_dir):
    model, _ = load_model(str(tiny_model_dir))
    head = " ".join(["probation officer report"] * 12)
    tail = " ".join(["prison strike pay union"] * 30)
    long_text = head + " " + tail
    window = model.max_seq_length - 2
    res = embed_texts([long_text], str(tiny_model_dir), chunk_tokens=window, chunk_overlap=4)
    assert res.n_chunks[0] > 1
    truncated = model.encode([long_text], convert_to_numpy=True)  # the model alone cuts at its window
    truncated /= np.linalg.norm(truncated)
    assert not np.allclose(res.vectors[0], truncated[0], atol=1e-4)
    # Reproduce the pooling by hand from the chunks.
    chunks = chunk_text(long_text, model.tokenizer, window, 4)
    vecs = model.encode([c.text for c in chunks], convert_to_numpy=True)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    manual = (vecs * np.array([c.n_tokens for c in chunks])[:, None]).sum(0)
    np.testing.assert_allclose(res.vectors[0], manual / np.linalg.norm(manual), atol=1e-5)
    assert res.vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(res.vectors, axis=1), 1.0, atol=1e-5)


def test_chunk_tokens_above_model_window_is_refused(tiny_model_dir):
    with pytest.raises(ValueError, match="exceeds the model's window"):
        embed_texts(["x"], str(tiny_model_dir), chunk_tokens=10_000)
