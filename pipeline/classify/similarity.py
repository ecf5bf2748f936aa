"""Embedding similarity between documents and theme prototypes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from pipeline.classify.taxonomy import Taxonomy

Encoder = Callable[[Sequence[str]], np.ndarray]
"""``encode(texts) -> (n, d)`` L2-normalised embeddings (``pipeline.embed.encode``)."""


def l2_normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


def theme_prototypes(taxonomy: Taxonomy, encoder: Encoder) -> np.ndarray:
    """One unit vector per theme: the mean embedding of its description and examples."""
    texts: list[str] = []
    owner: list[int] = []
    for j, theme in enumerate(taxonomy):
        for t in (theme.description, *theme.examples):
            texts.append(t)
            owner.append(j)
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    emb = np.asarray(encoder(texts), dtype=np.float32)
    protos = np.zeros((len(taxonomy), emb.shape[1]), dtype=np.float32)
    for j in range(len(taxonomy)):
        protos[j] = emb[[i for i, o in enumerate(owner) if o == j]].mean(axis=0)
    return l2_normalise(protos)


def target_embeddings(taxonomy: Taxonomy, encoder: Encoder) -> np.ndarray:
    """One unit vector per theme's stance target statement."""
    if not len(taxonomy):
        return np.zeros((0, 0), dtype=np.float32)
    return l2_normalise(np.asarray(encoder([t.target for t in taxonomy]), dtype=np.float32))


def similarities(embeddings: np.ndarray, prototypes: np.ndarray) -> np.ndarray:
    """Cosine similarity of each document to each prototype, shape (n, k)."""
    if embeddings.shape[0] == 0 or prototypes.shape[0] == 0:
        return np.zeros((embeddings.shape[0], prototypes.shape[0]), dtype=np.float32)
    return (l2_normalise(embeddings.astype(np.float32)) @ prototypes.T).astype(np.float32)


def theme_vectors(taxonomy: Taxonomy, encoder: Encoder) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The theme prototypes and each theme's target vector by name (built once per run)."""
    protos = theme_prototypes(taxonomy, encoder)
    tvec = target_embeddings(taxonomy, encoder)
    return protos, {t.name: tvec[j] for j, t in enumerate(taxonomy)}
