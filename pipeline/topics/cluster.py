"""HDBSCAN that does not let one topic swallow the corpus.

With the ``eom`` selection, a small dense island (a few dozen near-identical texts) that
HDBSCAN may call a cluster makes the rest of the corpus a cluster too, and that one often
outscores its own sub-clusters: the fit returns the island and one topic holding nearly
every document. On 151,254 generated comments a ``min_cluster_size`` of 10 gave 3 topics,
the largest holding 99.9% of the documents; 76 or more gave 14 to 22 topics, none above
11%; the stage with this guard tried 10, 20, 40 and kept 80: 22 topics, the largest
10% (docs/performance.md). The guard below refits on the same reduced vectors with the
smallest topic size doubled while the largest topic holds more than
``topics.max_topic_share`` of the documents. Each refit is HDBSCAN alone; UMAP runs once.
The refits share one minimum spanning tree: it depends on the vectors and ``min_samples``,
not on ``min_cluster_size``, so it is built once (about 6 CPU-s at 151k documents) and only
the condensed tree is made again (:class:`TreeMemo`, HDBSCAN's own ``memory`` hook).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Attempt:
    """One HDBSCAN fit of the guard."""

    min_cluster_size: int
    topics: int
    largest_share: float  # the largest topic's documents / all documents (outliers included)


def largest_share(labels: np.ndarray) -> float:
    """Share of all documents in the largest cluster (label -1 is no cluster)."""
    labels = np.asarray(labels)
    kept = labels[labels >= 0]
    if len(labels) == 0 or len(kept) == 0:
        return 0.0
    return float(np.bincount(kept).max() / len(labels))


def n_clusters(labels: np.ndarray) -> int:
    labels = np.asarray(labels)
    return int(len(np.unique(labels[labels >= 0])))


def _host(values: Any) -> np.ndarray:
    """A NumPy array of a CPU or GPU (cuML: CuPy or cuDF) result."""
    for name in ("to_numpy", "get"):
        if hasattr(values, name) and not isinstance(values, np.ndarray):
            return np.asarray(getattr(values, name)())
    return np.asarray(values)


def _key(value: Any) -> Any:
    """A hashable stand-in for one argument: an array by its shape, type and a digest of its
    bytes; anything else by its ``repr``."""
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        return ("ndarray", data.shape, data.dtype.str, hashlib.blake2b(data.view(np.uint8).ravel(), digest_size=16).hexdigest())
    return repr(value)


class TreeMemo:
    """What HDBSCAN's ``memory`` argument needs (``cache(func)``), in memory: each call of a
    wrapped function is computed once for the same arguments (arrays compared by content)
    and its result handed back again after. HDBSCAN wraps only its tree-building step
    with it (the minimum spanning tree and single-linkage tree: from the vectors and
    ``min_samples``), so the guard's refits with other ``min_cluster_size`` values reuse the
    first fit's tree. Held for one guard fit; ``computed`` counts the calls that ran."""

    def __init__(self) -> None:
        self._results: dict[Any, Any] = {}
        self.computed = 0

    def cache(self, func: Callable[..., Any]) -> Callable[..., Any]:
        def cached(*args: Any, **kwargs: Any) -> Any:
            key = (func.__module__, func.__qualname__, tuple(_key(a) for a in args),
                   tuple(sorted((k, _key(v)) for k, v in kwargs.items())))
            if key not in self._results:
                self._results[key] = func(*args, **kwargs)
                self.computed += 1
            return self._results[key]
        return cached


class SizeGuardedHDBSCAN:
    """What BERTopic calls as its ``hdbscan_model``: ``fit(X)`` sets ``labels_`` and
    ``probabilities_``.

    ``make(min_cluster_size, memory)`` builds one unfitted HDBSCAN (CPU or cuML); ``memory``
    is the fit's :class:`TreeMemo`, for HDBSCAN's ``memory`` argument (cuML has none). The first fit
    uses ``min_cluster_size``; while its largest topic holds more than ``max_share`` of
    the documents, it is refitted with the size doubled, at most ``max_tries`` fits in
    all and never above half the documents. When no fit passes, the one whose largest
    topic is smallest is kept (the first of equals) and ``collapsed_`` says so. A
    ``max_share`` of 1 or ``max_tries`` of 1 is plain HDBSCAN. ``attempts_`` records
    every fit (the model card keeps them).
    """

    def __init__(self, make: Callable[[int, TreeMemo], Any], min_cluster_size: int, max_share: float,
                 max_tries: int):
        self.make = make
        self.min_cluster_size = min_cluster_size
        self.max_share = max_share
        self.max_tries = max_tries

    def fit(self, X: Any, y: Any = None) -> "SizeGuardedHDBSCAN":
        n = len(X)
        size = self.min_cluster_size
        fits: list[tuple[Attempt, np.ndarray, np.ndarray]] = []
        memo = TreeMemo()  # the refits' shared tree, dropped with the fit
        while True:
            model = self.make(size, memo)
            model.fit(X)
            labels = _host(model.labels_).astype(int)
            probs = _host(model.probabilities_).astype(float) if hasattr(model, "probabilities_") \
                else np.ones(len(labels))
            fits.append((Attempt(size, n_clusters(labels), round(largest_share(labels), 4)), labels, probs))
            if fits[-1][0].largest_share <= self.max_share or len(fits) >= self.max_tries or 2 * size > n // 2:
                break
            size *= 2
        passing = [i for i, (a, _, _) in enumerate(fits) if a.largest_share <= self.max_share]
        best = passing[0] if passing else min(range(len(fits)), key=lambda i: (fits[i][0].largest_share, i))
        chosen, self.labels_, self.probabilities_ = fits[best]
        self.min_cluster_size_ = chosen.min_cluster_size
        self.collapsed_ = chosen.largest_share > self.max_share
        self.attempts_ = [asdict(a) for a, _, _ in fits]
        self.trees_built_ = memo.computed
        return self

    def summary(self) -> dict[str, Any]:
        """What the model card records of the guard (after ``fit``)."""
        return {"hdbscan_min_cluster_size_used": self.min_cluster_size_, "largest_topic_share_over_limit": self.collapsed_,
                "hdbscan_attempts": self.attempts_}
