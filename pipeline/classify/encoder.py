"""An encoder that embeds each text once: vectors already stored (by content hash) are
reused, only the others are embedded. Pure: the lookup of stored vectors and the
embedding function are passed in (the job wires them to the store and the embed stage)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from pipeline.classify.similarity import Encoder
from pipeline.embed import content_hash
from pipeline.embed.registry import MixedEmbeddingsError

Lookup = Callable[[Sequence[str]], Mapping[str, np.ndarray]]
"""``lookup(hashes) -> {hash: vector}`` of the vectors already stored for these hashes."""
EmbedFn = Callable[[Sequence[str]], tuple[np.ndarray, str]]
"""``embed(texts) -> (vectors, model_id)`` of freshly embedded texts."""
Store = Callable[[Sequence[str], np.ndarray], None]
"""``store(hashes, vectors)``: keep freshly embedded vectors for later runs."""


def reusing_encoder(embed: EmbedFn, model_id: str, lookup: Lookup | None = None,
                    store: Store | None = None) -> Encoder:
    """``encoder(texts)``: stored vectors where ``lookup`` has them, fresh ones (embedded
    once per distinct text, then passed to ``store``) for the rest. Refuses to mix
    vectors of two models (:class:`MixedEmbeddingsError`)."""

    def encoder(texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        hashes = [content_hash(t) for t in texts]
        found = dict(lookup(hashes)) if lookup is not None and hashes else {}
        todo = list(dict.fromkeys(h for h in hashes if h not in found))
        if todo:
            first = {h: t for h, t in zip(reversed(hashes), reversed(texts))}
            fresh, fresh_model = embed([first[h] for h in todo])
            if fresh_model != model_id:
                raise MixedEmbeddingsError(f"embedding model changed during the run ({model_id} -> {fresh_model})",
                                           "run classify again")
            fresh = np.asarray(fresh, dtype=np.float32)
            if found and fresh.shape[1] != len(next(iter(found.values()))):
                raise MixedEmbeddingsError(f"stored vectors and fresh {model_id} vectors differ in size",
                                           "re-run embed with embed.on_model_change = \"recompute\"")
            if store is not None:
                store(todo, fresh)
            found.update(zip(todo, fresh))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([np.asarray(found[h], dtype=np.float32) for h in hashes])

    return encoder


def check_same_embedder(state: Mapping | None, model_id: str, chunking: str) -> None:
    """Refuse to classify when the store's current embeddings come from another model or
    chunking than ``embed.model`` gives: the stored document vectors and the freshly
    embedded sentences, contexts and prototypes would come from two models."""
    if state is None or (state["model_id"], state["chunking"]) == (model_id, chunking):
        return
    raise MixedEmbeddingsError(
        f"the stored embeddings come from {state['model_id']} ({state['chunking']}) but embed.model gives "
        f"{model_id} ({chunking}); classify will not mix vectors of two models",
        "run the embed stage with embed.on_model_change = \"recompute\" first, or restore the old embed settings")
