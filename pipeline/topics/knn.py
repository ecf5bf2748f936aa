"""Exact nearest neighbours for UMAP, by blocked matrix products.

UMAP finds each point's neighbours with pynndescent, whose numba functions are compiled
anew in every process (about 55 CPU-s at 30,000 documents before any work, on the 2-core
machine of ``docs/performance.md``) and which only approximates them. Up to some tens of
thousands of documents (``topics.exact_knn_max_docs``), the exact neighbours by one BLAS
product per block of rows cost less than that compilation; UMAP takes them as
``precomputed_knn``.
"""

from __future__ import annotations

import numpy as np

METRICS = ("cosine", "euclidean")
"""The UMAP metrics computed here; any other is left to UMAP."""


def exact_knn(x: np.ndarray, k: int, metric: str, block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, distances)``, each ``(n, k)``: every row's ``k`` nearest rows (itself
    first, at distance 0 up to float error), nearest first, ties by lower index; distances
    as UMAP measures them (``cosine``: 1 - cosine similarity; ``euclidean``). Memory is
    ``block`` x n floats at a time."""
    if metric not in METRICS:
        raise ValueError(f"exact_knn computes {METRICS}, not {metric!r}")
    x = np.asarray(x, dtype=np.float32)
    n = len(x)
    k = min(k, n)
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x = x / np.where(norms == 0, 1.0, norms)
    sq = np.einsum("ij,ij->i", x, x)
    idx = np.empty((n, k), dtype=np.int32)
    dist = np.empty((n, k), dtype=np.float32)
    for a in range(0, n, block):
        b = min(n, a + block)
        dot = x[a:b] @ x.T
        # squared euclidean (for unit vectors 2 - 2 cos): the smaller, the nearer
        d = sq[a:b, None] + sq[None, :] - 2.0 * dot
        d[np.arange(b - a), np.arange(a, b)] = -np.inf  # a row is its own nearest neighbour
        part = np.argpartition(d, k - 1, axis=1)[:, :k]
        pd = np.take_along_axis(d, part, 1)
        order = np.lexsort((part, pd), axis=1)
        near = np.take_along_axis(part, order, 1)
        idx[a:b] = near
        if metric == "cosine":
            dist[a:b] = np.maximum(0.0, 1.0 - np.take_along_axis(dot, near, 1))
        else:
            dist[a:b] = np.sqrt(np.maximum(0.0, np.take_along_axis(d, near, 1)))
        dist[a:b, 0] = 0.0
    return idx, dist


__all__ = ["METRICS", "exact_knn"]
