"""Readable topic labels from top terms."""

from __future__ import annotations

from collections.abc import Sequence

OUTLIER_LABEL = "(outliers)"


def topic_label(terms: Sequence[str], n: int) -> str:
    """``"inspection / hmip / report"``: the first ``n`` terms that add a word.

    A term is skipped when every word of it is already in the label (so ``"union rep"``
    after ``"union"`` and ``"rep"``), and a single word is skipped when it is part of a
    chosen phrase.
    """
    chosen: list[str] = []
    words: set[str] = set()
    for term in terms:
        parts = term.split()
        if not parts or set(parts) <= words:
            continue
        chosen.append(term)
        words.update(parts)
        if len(chosen) == n:
            break
    return " / ".join(chosen)
