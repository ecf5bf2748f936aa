"""Classify a shard of documents with the stored vectors it reads sent along, so that a
worker (``scale.runner = "dask"``) never opens the database. Pure apart from loading
the embedding model, and only for a text whose vector was not sent.

The job looks up, for each shard, the stored vectors of :func:`shard_requests` (each own
text, each of its sentences as the embed stage split them, each thread context) and
sends them with the texts. The shard's encoder reads those; anything else it is asked
for (a vector not stored yet) is embedded where the shard runs, with ``[embed]``'s
settings, and comes back in :attr:`ShardResult.fresh` for the job to keep in the
store's sentence cache, as the in-process encoder did. Stored tags go the same way: the
job sends those of the shard's texts and contexts (``token_tags``), the shard tags only
the others (``pipeline.nlp.reusing_tagger``) and sends their tags back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.classify.apply import ApplyParams, Models, classify_texts
from pipeline.classify.encoder import EmbedFn, Lookup, reusing_encoder
from pipeline.classify.taxonomy import Taxonomy
from pipeline.classify.text import load_nlp
from pipeline.embed import content_hash
from pipeline.embed.encode import text_units
from pipeline.embed.registry import cpu_flags, resolve_device
from pipeline.embed.settings import EmbedSettings
from pipeline.nlp import sent_tagger
from pipeline.sentences import sentence_spans


@dataclass(frozen=True)
class ClassifyShard:
    """Documents to classify (``doc_ids``, own ``texts``, thread ``contexts``), the
    stored vectors they read and the stored tags of the texts and contexts, by content
    hash; ``tagger``: the ``pipeline.nlp.tagger_key`` the tags are for."""

    doc_ids: list[str]
    texts: list[str]
    contexts: list[str]
    vectors: Mapping[str, np.ndarray] = field(default_factory=dict)
    tags: Mapping[str, bytes] = field(default_factory=dict)
    tagger: str | None = None


@dataclass(frozen=True)
class ShardResult:
    """``classify_texts``' frames for the shard, the vectors embedded for it (content
    hash -> vector) that were not sent, and the tags of the texts it tagged (content hash
    -> tags, under the worker's ``tagger`` key)."""

    frames: dict[str, pd.DataFrame]
    fresh: dict[str, np.ndarray]
    fresh_tags: dict[str, bytes] = field(default_factory=dict)
    tagger: str | None = None


def shard_requests(texts: Sequence[str], contexts: Sequence[str]) -> list[str]:
    """The texts a shard's encoder reads whatever the models: each own text, each of its
    sentences (``pipeline.sentences``, the embed stage's split) and each distinct
    context, each once."""
    out: dict[str, None] = {}
    for t in texts:
        t = t or ""
        out[t] = None
        for a, b in sentence_spans(t):
            out[t[a:b]] = None
    for c in contexts:
        out[c or ""] = None
    return list(out)


def sentence_embedder(e: EmbedSettings, lookup: Lookup | None = None) -> tuple[EmbedFn, dict[str, np.ndarray]]:
    """``embed(texts) -> (vectors, model id)`` with ``[embed]``'s settings, and the
    vectors of the sentences of every text it embedded (by content hash; filled as it
    runs, with ``embed.unit = "sentences"``), which a lookup may read.

    With ``embed.unit = "sentences"`` and a ``lookup`` (content hashes -> vectors), the
    sentences of a text that already have a vector (stored by the embed stage: a thread
    context is its post's title and the start of the post's own words, whose sentences
    the embed stage encoded) are not encoded again; only the others are
    (``pipeline.embed.encode.embed_units``' ``known``)."""
    seen: dict[str, np.ndarray] = {}

    def embed(texts: Sequence[str]):
        from pipeline import embed as embedding  # looked up at call time (tests replace embed_texts)

        known: dict[str, np.ndarray] = {}
        if lookup is not None and e.unit == "sentences":
            whole = set(texts)  # looked up already, and not found: that is why they are embedded
            units = list(dict.fromkeys(u for t in texts for u in text_units(t, e.unit) if u.strip() and u not in whole))
            hashes = [content_hash(u) for u in units]
            found = lookup(hashes) if units else {}
            known = {u: found[h] for u, h in zip(units, hashes) if h in found}
        device = resolve_device(e.device)
        res = embedding.embed_texts(list(texts), e.model, e.batch_size, device, e.chunk_tokens, e.chunk_overlap,
                                    precision=e.precision(device, cpu_flags()),
                                    batch_tokens=e.batch_tokens, unit=e.unit, known=known or None)
        for s, v in zip(res.sentences, res.sentence_vectors if res.sentences else ()):
            seen.setdefault(content_hash(s), v)
        return res.vectors, res.model_id

    return embed, seen


def classify_shard(shard: ClassifyShard, taxonomy: Taxonomy, models: Models, params: ApplyParams,
                   embed: EmbedSettings, model_id: str) -> ShardResult:
    """``classify_texts`` over the shard, reading the vectors sent with it; a text whose
    vector was not sent is embedded here (once) and returned in ``fresh``."""
    fresh: dict[str, np.ndarray] = {}
    sent = shard.vectors

    def lookup(hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for h in hashes:  # in the in-process encoder's order: this run's embeddings first
            v = seen.get(h)
            if v is None:
                v = fresh.get(h)
            if v is None:
                v = sent.get(h)
            if v is not None:
                found[h] = v
        return found

    def store(hashes: Sequence[str], vectors: np.ndarray) -> None:
        fresh.update(zip(hashes, vectors))

    embed_fn, seen = sentence_embedder(embed, lookup)

    encoder = reusing_encoder(embed_fn, model_id, lookup, store)
    tagger, fresh_tags, key = sent_tagger(load_nlp(), shard.tags, shard.tagger, content_hash)
    frames = classify_texts(shard.doc_ids, shard.texts, taxonomy, encoder, models, params, shard.contexts, tagger)
    return ShardResult(frames, fresh, fresh_tags, key)


__all__ = ["ClassifyShard", "ShardResult", "classify_shard", "sentence_embedder", "shard_requests"]
