"""Exact nearest neighbours for UMAP, by blocked matrix products.

UMAP finds each point's neighbours with pynndescent, whose numba functions are compiled
anew in every process (about 55 CPU-s at 30,000 documents before any work, on the 2-core
machine of ``docs/performance.md``) and which only approximates them. Up to some tens of
thousands of documents (``topics.exact_knn_max_docs``), the exact neighbours by one BLAS
product per block of rows cost less than that compilation; UMAP takes them as
``precomputed_knn``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from pipeline.shards import spans

METRICS = ("cosine", "euclidean")
"""The UMAP metrics computed here; any other is left to UMAP."""


def exact_knn(x: np.ndarray, k: int, metric: str, block: int = 1024,
              threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, distances)``, each ``(n, k)``: every row's ``k`` nearest rows (itself
    first, at distance 0 up to float error), nearest first, ties by lower index; distances
    as UMAP measures them (``cosine``: 1 - cosine similarity; ``euclidean``). Memory is
    three ``block`` x n float buffers, reused. Each block's product runs on BLAS's threads;
    its distances and ranking on ``threads`` threads, each a share of the block's rows
    (numpy releases the GIL there): the same result for any ``threads``."""
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
    threads = max(1, threads)
    rows = min(block, n)
    dot_buf, d_buf, twice_buf = (np.empty((rows, n), dtype=np.float32) for _ in range(3))

    def rank(a: int, lo: int, hi: int) -> None:
        """Rows ``a + lo`` to ``a + hi`` of the result, from rows ``lo:hi`` of the block's product."""
        dot, d, twice = dot_buf[lo:hi], d_buf[lo:hi], twice_buf[lo:hi]
        # squared euclidean (for unit vectors 2 - 2 cos): the smaller, the nearer;
        # computed as sq_i + sq_j - 2 dot in that order (the same bits as one expression)
        np.add(sq[a + lo:a + hi, None], sq[None, :], out=d)
        np.multiply(dot, 2.0, out=twice)
        np.subtract(d, twice, out=d)
        d[np.arange(hi - lo), np.arange(a + lo, a + hi)] = -np.inf  # a row is its own nearest neighbour
        part = np.argpartition(d, k - 1, axis=1)[:, :k]
        pd = np.take_along_axis(d, part, 1)
        order = np.lexsort((part, pd), axis=1)
        near = np.take_along_axis(part, order, 1)
        idx[a + lo:a + hi] = near
        if metric == "cosine":
            dist[a + lo:a + hi] = np.maximum(0.0, 1.0 - np.take_along_axis(dot, near, 1))
        else:
            dist[a + lo:a + hi] = np.sqrt(np.maximum(0.0, np.take_along_axis(d, near, 1)))
        dist[a + lo:a + hi, 0] = 0.0

    with ThreadPoolExecutor(threads, thread_name_prefix="exact-knn") as pool:
        for a, b in spans(n, block):
            np.matmul(x[a:b], x.T, out=dot_buf[:b - a])
            cuts = np.linspace(0, b - a, threads + 1).astype(int)
            for done in [pool.submit(rank, a, lo, hi) for lo, hi in zip(cuts[:-1], cuts[1:]) if hi > lo]:
                done.result()
    return idx, dist


__all__ = ["METRICS", "exact_knn"]
