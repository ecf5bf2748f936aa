"""Classify in shards that carry their stored vectors (what a Dask worker runs): the
same labels as the in-process encoder, nothing embedded when everything was sent, and
what was not sent embedded once and handed back for the sentence cache. Invented text
(synthetic)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pipeline.embed as embed
from pipeline.classify.apply import classify_texts
from pipeline.classify.encoder import reusing_encoder
from pipeline.classify.models import apply_params, load_models
from pipeline.classify.settings import classify_settings
from pipeline.classify.shard import ClassifyShard, classify_shard, shard_requests
from pipeline.classify.taxonomy import taxonomy_from_config
from pipeline.config import load_config, resolve_path
from pipeline.embed import Embedded, content_hash, model_id_for
from pipeline.embed.settings import embed_settings
from pipeline.sections import PathsSettings
from pipeline.settings import typed

TEXTS = ["Napo balloted us again and the pay offer is still an insult. I voted yes.",
         "The inspection found caseloads unmanageable. Nobody upstairs listened, as usual.",
         "ok"]
CONTEXTS = ["Pay ballot\nThe union has opened its ballot on pay.", "Pay ballot\nThe union has opened its ballot on pay.",
            ""]


def _vector(text: str) -> np.ndarray:
    """A made-up unit vector per text, the same wherever it is computed."""
    rng = np.random.default_rng(int(content_hash(text)[:8], 16))
    v = rng.normal(size=384).astype(np.float32)  # the shipped models read 384 dimensions
    return v / np.linalg.norm(v)


def _setup():
    cfg = load_config()
    section = cfg.section("classify")
    e = embed_settings(cfg.section("embed"))
    model_id = model_id_for(e.model)
    models, _ = load_models(section, resolve_path(typed(cfg, PathsSettings).models_dir), model_id, e.unit)
    return taxonomy_from_config(section), models, apply_params(classify_settings(section)), e, model_id


def test_shard_requests_are_the_texts_their_sentences_and_contexts_once():
    got = shard_requests(["One. Two!", "Two!", None], ["ctx", "ctx", None])
    assert got == ["One. Two!", "One.", "Two!", "", "ctx"]


def test_a_shard_with_every_vector_sent_embeds_nothing_and_labels_as_in_process(monkeypatch):
    taxonomy, models, params, e, model_id = _setup()
    asked: list[str] = []

    def embed_fn(texts):
        asked.extend(texts)
        return np.stack([_vector(t) for t in texts]), model_id

    want = classify_texts(["a", "b", "c"], TEXTS, taxonomy, reusing_encoder(embed_fn, model_id), models, params,
                          CONTEXTS)
    known = {content_hash(t): _vector(t) for t in asked}
    monkeypatch.setattr(embed, "embed_texts", lambda *a, **k: pytest.fail("embedded on the worker"))
    got = classify_shard(ClassifyShard(["a", "b", "c"], TEXTS, CONTEXTS, known), taxonomy, models, params, e, model_id)
    assert got.fresh == {}
    assert set(got.frames) == {"themes", "sentiment", "sentences"} and len(got.frames["sentences"])
    for name, frame in want.items():
        pd.testing.assert_frame_equal(got.frames[name], frame, check_exact=True, obj=name)


def test_what_was_not_sent_is_embedded_once_and_handed_back(monkeypatch):
    taxonomy, models, params, e, model_id = _setup()
    calls: list[list[str]] = []

    def fake(texts, *a, **k):
        calls.append(list(texts))
        return Embedded(np.stack([_vector(t) for t in texts]), [1] * len(texts), model_id, "cpu")

    monkeypatch.setattr(embed, "embed_texts", fake)
    sent = {content_hash(t): _vector(t) for t in shard_requests(TEXTS, CONTEXTS)}
    res = classify_shard(ClassifyShard(["a", "b", "c"], TEXTS, CONTEXTS, sent), taxonomy, models, params, e, model_id)
    embedded = [t for c in calls for t in c]
    assert embedded and len(embedded) == len(set(embedded))  # each once
    assert not set(map(content_hash, embedded)) & set(sent)  # nothing that was sent
    assert set(res.fresh) == set(map(content_hash, embedded))
    assert all(np.array_equal(res.fresh[content_hash(t)], _vector(t)) for t in embedded)


def test_a_shard_tags_only_what_was_not_sent_and_hands_the_tags_back(monkeypatch):
    """Tags go like vectors: a shard sent no tags tags its usable texts and contexts and
    hands their tags back under its tagger key; sent those, it runs the tagger on none
    and labels alike; tags sent under another tagger key are not used."""
    import pipeline.nlp as nlp_module
    from pipeline.classify.text import load_nlp
    from pipeline.nlp import tagger_key

    taxonomy, models, params, e, model_id = _setup()
    monkeypatch.setattr(embed, "embed_texts", lambda texts, *a, **k: Embedded(
        np.stack([_vector(t) for t in texts]), [1] * len(texts), model_id, "cpu"))
    sent = {content_hash(t): _vector(t) for t in shard_requests(TEXTS, CONTEXTS)}
    key = tagger_key(load_nlp())
    first = classify_shard(ClassifyShard(["a", "b", "c"], TEXTS, CONTEXTS, sent, {}, key), taxonomy, models, params,
                           e, model_id)
    assert first.tagger == key
    usable = [t for t in TEXTS if len(t.strip()) >= params.min_chars]
    assert set(first.fresh_tags) == {content_hash(t) for t in usable + CONTEXTS[:len(usable)]}
    tagged_texts: list[str] = []
    real = nlp_module.tagged
    monkeypatch.setattr(nlp_module, "tagged", lambda nlp, ts, *a: real(nlp, tagged_texts.extend(ts) or ts, *a))
    again = classify_shard(ClassifyShard(["a", "b", "c"], TEXTS, CONTEXTS, sent, first.fresh_tags, key), taxonomy,
                           models, params, e, model_id)
    assert tagged_texts == [] and again.fresh_tags == {}
    for name, frame in first.frames.items():
        pd.testing.assert_frame_equal(again.frames[name], frame, check_exact=True, obj=name)
    other = classify_shard(ClassifyShard(["a", "b", "c"], TEXTS, CONTEXTS, sent, first.fresh_tags, "another-tagger"),
                           taxonomy, models, params, e, model_id)
    assert tagged_texts and other.fresh_tags == first.fresh_tags
