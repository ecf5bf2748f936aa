from __future__ import annotations

import numpy as np
import pytest

from pipeline.embed import chunk_text, embed_texts, load_model, pool_chunks, token_windows
from pipeline.embed.chunking import chunk_texts


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
