"""Each piece tokenised once (``pipeline.embed.features``): the counted ids become the
model's features, with the same vectors as ``model.encode(texts)``, and a model whose
preprocessing is something else falls back to encoding texts."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from pipeline.embed.encode import embed_units, model_window
from pipeline.embed.features import PROBES, FeatureTemplate, feature_template
from pipeline.embed.registry import load_model

ENCODE = sys.modules["pipeline.embed.encode"]


def _texts(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    words = ["the", "officer", "said", "napo", "caseload", "prison", "inspection", "pay", "risk", "court"]
    out = []
    for k in rng.integers(1, 14, size=n):
        out.append(" ".join(
            " ".join(rng.choice(words, size=int(rng.integers(2, 12)))).capitalize() + rng.choice([".", "!", "?"])
            for _ in range(int(k))))
    out.append(" ".join(["caseload"] * 120) + ". Short one.")  # a sentence past the 30-token window
    out.append("   ")  # a blank text is its own piece
    return out


def test_features_pad_cut_and_mark_like_a_tokenizer():
    t = FeatureTemplate((7,), (8,), 3, 0, False, True, (("modality", "text"),))
    f = t.features([[1, 2], [3, 4, 5, 6], []])
    assert f["input_ids"].tolist() == [[7, 1, 2, 8, 0], [7, 3, 4, 5, 8], [7, 8, 0, 0, 0]]
    assert f["attention_mask"].tolist() == [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1], [1, 1, 0, 0, 0]]
    assert f["token_type_ids"].tolist() == [[0] * 5] * 3 and f["modality"] == "text"
    assert f["input_ids"].dtype == torch.int64 and f["attention_mask"].dtype == torch.int64
    left = FeatureTemplate((7,), (), 9, 0, True, False, ()).features([[1], [2, 3, 4]])
    assert left["input_ids"].tolist() == [[0, 0, 7, 1], [7, 2, 3, 4]]
    assert left["attention_mask"].tolist() == [[0, 0, 1, 1], [1, 1, 1, 1]]
    assert set(left) == {"input_ids", "attention_mask"}


def test_tokenised_once_gives_the_vectors_of_encoding_texts(tiny_model_dir, monkeypatch):
    model, _ = load_model(str(tiny_model_dir), "cpu")
    template = feature_template(model)
    assert template is not None and template.prefix and template.suffix
    assert template.max_tokens == model_window(model)
    texts = _texts(60, 3)
    calls = []
    original = model.preprocess
    monkeypatch.setattr(model, "preprocess", lambda *a, **k: calls.append(1) or original(*a, **k))
    once = embed_units(model, texts, "sentences", 4, 0, 8, batch_tokens=200)
    assert calls == []  # the model never tokenised a piece again
    known_text = once.sentences[3]
    with_known = embed_units(model, texts, "sentences", 4, 0, 8, batch_tokens=200,
                             known={known_text: np.ones(32, dtype=np.float32)})
    monkeypatch.setattr(ENCODE, "feature_template", lambda m: None)
    twice = embed_units(model, texts, "sentences", 4, 0, 8, batch_tokens=200)
    assert calls  # the way before: model.encode tokenised every piece again
    assert once.sentences == twice.sentences and once.n_chunks == twice.n_chunks
    assert once.n_chunks[-2] > 2  # the long sentence went in windows
    assert np.allclose(once.sentence_vectors, twice.sentence_vectors, rtol=0, atol=1e-6)
    assert np.allclose(once.vectors, twice.vectors, rtol=0, atol=1e-6)
    i = once.sentences.index(known_text)
    assert np.array_equal(with_known.sentence_vectors[i], np.ones(32, dtype=np.float32))
    assert np.array_equal(np.delete(with_known.sentence_vectors, i, 0), np.delete(once.sentence_vectors, i, 0))


def test_a_model_that_preprocesses_otherwise_encodes_texts(tiny_model_dir):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    original = model.preprocess
    model.preprocess = lambda inputs, **k: original([f"napo {x}" for x in inputs], **k)  # a prompt of its own
    assert feature_template(model) is None
    texts = _texts(10, 4)
    res = embed_units(model, texts, "sentences", 4, 0, 8, batch_tokens=200)
    alone = np.vstack([np.asarray(model.encode([s]), dtype=np.float32) for s in res.sentences[:5]])
    normed = alone / np.linalg.norm(alone, axis=1, keepdims=True)
    assert np.allclose(res.sentence_vectors[:5], normed, atol=1e-5)


def test_a_slow_tokenizer_or_no_pad_token_gets_no_template():
    class Tok:
        is_fast = False
        pad_token_id = 0

    class Model:
        tokenizer = Tok()

        def preprocess(self, inputs):
            raise AssertionError("not reached")

    assert feature_template(Model()) is None
    Tok.is_fast, Tok.pad_token_id = True, None
    assert feature_template(Model()) is None


@pytest.mark.slow
def test_the_default_model_takes_the_counted_ids():
    """If a sentence-transformers upgrade changes its preprocessing, the embed stage still
    gives the right vectors (the way before) but tokenises twice again: this says so."""
    from pipeline.config import load_config

    model, _ = load_model(load_config().section("embed")["model"], "cpu")
    assert feature_template(model) is not None
    assert len(PROBES[-1][0].split()) > model_window(model)
