"""Sentence embeddings, offline: a small model registry, token-window chunking with
length-weighted pooling (long texts are never truncated) and content hashing.

Public API (stable; used by other stages)::

    encode(texts, model=None, batch_size=32, device=None) -> np.ndarray
    load_model(name_or_path=None, device=None) -> (model, model_id)
"""

from pipeline.embed.chunking import Chunk, chunk_text, chunking_key, token_windows
from pipeline.embed.encode import Embedded, content_hash, embed_texts, embed_with, encode, model_window, pool_chunks
from pipeline.embed.registry import (
    DEFAULT_MODEL,
    MPNET_MODEL,
    REGISTRY,
    EmbedError,
    MixedEmbeddingsError,
    load_model,
    model_fingerprint,
    model_id_for,
    resolve_device,
    resolve_model,
)

__all__ = [
    "DEFAULT_MODEL", "MPNET_MODEL", "REGISTRY", "Chunk", "EmbedError", "Embedded", "MixedEmbeddingsError", "chunk_text", "chunking_key", "content_hash", "embed_texts",
    "embed_with", "encode", "load_model", "model_fingerprint", "model_id_for", "model_window", "pool_chunks",
    "resolve_device", "resolve_model", "token_windows",
]
