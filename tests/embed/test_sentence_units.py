"""``embed.unit = "sentences"``: each distinct sentence is encoded once; a text's vector
is its sentences' vectors pooled by tokens; the sentences' vectors are the ones each
sentence gets alone (so classify can read them instead of encoding them again)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.config import ConfigError
from pipeline.embed.chunking import chunking_key
from pipeline.embed.encode import embed_units, embed_with, model_window
from pipeline.embed.registry import load_model
from pipeline.sentences import sentence_spans

TEXTS = [
    "The inspection report was damning. Napo balloted members over pay!",
    "Napo balloted members over pay!",
    "Caseloads are too high.\nStaff are off with stress.\n\nThe inspection report was damning.",
    "",
]


@pytest.fixture(scope="module")
def model(tiny_model_dir):
    return load_model(str(tiny_model_dir), "cpu")[0]


def test_sentence_vectors_are_each_sentence_alone_and_texts_pool_them(model):
    res = embed_units(model, TEXTS, "sentences", batch_size=4)
    distinct = list(dict.fromkeys(t[a:b] for t in TEXTS for a, b in sentence_spans(t)))
    assert res.sentences == distinct  # each distinct sentence once, in order of first use
    alone = np.vstack([embed_with(model, [s], batch_size=1)[0] for s in distinct])
    assert np.allclose(res.sentence_vectors, alone, atol=1e-5)
    # text 0: its two sentences pooled, weighted by their tokens, re-normalised
    tok = [len(model.tokenizer(s, add_special_tokens=False)["input_ids"]) for s in distinct[:2]]
    pooled = tok[0] * alone[0] + tok[1] * alone[1]
    assert np.allclose(res.vectors[0], pooled / np.linalg.norm(pooled), atol=1e-5)
    # a one-sentence text is its sentence's vector; a text with no sentence is encoded as it is
    assert np.allclose(res.vectors[1], alone[1], atol=1e-5)
    assert np.allclose(res.vectors[3], embed_with(model, [""], batch_size=1)[0][0], atol=1e-5)
    assert res.n_chunks == [2, 1, 3, 1]
    assert np.allclose(np.linalg.norm(res.vectors, axis=1), 1.0, atol=1e-5)


def test_known_sentences_are_not_encoded_again(model, monkeypatch):
    """``known`` sentences (as stored by the embed stage) are only tokenised, for their
    weight: the texts' vectors are those of encoding everything; nothing is encoded when
    every sentence is known (what classify does for a thread context)."""
    full = embed_units(model, TEXTS, "sentences", batch_size=4)
    known = dict(zip(full.sentences[:2], full.sentence_vectors[:2]))
    encoded: list[str] = []
    real = model.encode
    monkeypatch.setattr(model, "encode", lambda pieces, **kw: real(encoded.extend(pieces) or pieces, **kw))
    part = embed_units(model, TEXTS, "sentences", batch_size=4, known=known)
    assert sorted(encoded) == sorted([*full.sentences[2:], ""])  # the blank text is its own piece
    assert np.allclose(part.vectors, full.vectors, atol=1e-6) and part.n_chunks == full.n_chunks
    assert part.sentences == full.sentences and np.allclose(part.sentence_vectors, full.sentence_vectors, atol=1e-6)
    encoded.clear()
    every = dict(zip(full.sentences, full.sentence_vectors))
    again = embed_units(model, TEXTS[:3], "sentences", batch_size=4, known=every)
    assert encoded == [] and np.allclose(again.vectors, full.vectors[:3], atol=1e-6)


def test_text_unit_is_the_whole_text_and_gives_no_sentences(model):
    res = embed_units(model, TEXTS, "text", batch_size=4)
    whole, _ = embed_with(model, TEXTS, batch_size=4)
    assert res.sentences == [] and len(res.sentence_vectors) == 0
    assert np.allclose(res.vectors, whole, atol=1e-6)
    assert not np.allclose(res.vectors[0], embed_units(model, TEXTS[:1], "sentences").vectors[0], atol=1e-3)


def test_a_sentence_longer_than_the_window_is_chunked_not_cut(model):
    long_sentence = "Caseload " + " ".join(["caseload"] * (model_window(model) * 3)) + "."
    res = embed_units(model, ["Short one. " + long_sentence], "sentences", chunk_tokens=0, chunk_overlap=4)
    assert res.n_chunks[0] > 2 and len(res.sentences) == 2


def test_unknown_unit_and_keys(model):
    with pytest.raises(ConfigError, match="embed.unit"):
        embed_units(model, TEXTS, "paragraphs")
    # vectors of whole texts keep the key they were stored under before units existed
    assert chunking_key(0, 32, "text") == "tokens=model,overlap=32"
    assert chunking_key(0, 32, "sentences") != chunking_key(0, 32, "text")


def test_an_unknown_unit_in_the_config_is_refused():
    from pipeline.config import load_config
    from pipeline.embed.settings import embed_settings

    with pytest.raises(ConfigError, match="embed.unit must be one of sentences, text"):
        embed_settings(load_config(overrides={"embed": {"unit": "paragraphs"}}).section("embed"))
