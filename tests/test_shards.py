"""``pipeline.shards.spans`` and ``slices``: the one way every stage cuts a sequence into
shards, batches or chunks (clean's and segment's shards, dedupe's chunks, classify's
batches, the embed, topics and quotes jobs' shards, the tagger's chunks, NLI batches)."""

import numpy as np
import pytest

from pipeline.shards import slices, spans


@pytest.mark.parametrize("n", [0, 1, 2, 6, 7, 8, 13])
@pytest.mark.parametrize("size", [1, 2, 3, 7, 100])
def test_spans_cover_every_item_once_in_order(n: int, size: int) -> None:
    got = list(spans(n, size))
    assert [i for start, stop in got for i in range(start, stop)] == list(range(n))
    assert all(0 < stop - start <= size for start, stop in got)
    # only the last may be short
    assert all(stop - start == size for start, stop in got[:-1])
    assert len(got) == -(-n // size)


def test_slices_keep_the_sequence_type_and_are_lazy() -> None:
    assert list(slices([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(slices("abcde", 3)) == ["abc", "de"]
    assert list(slices((), 4)) == []
    parts = list(slices(np.arange(5), 2))
    assert [p.tolist() for p in parts] == [[0, 1], [2, 3], [4]]
    gen = slices(list(range(10**6)), 10)
    assert next(gen) == list(range(10))  # the first slice without cutting the rest


@pytest.mark.parametrize("size", [0, -3])
def test_a_size_under_one_counts_as_one(size: int) -> None:
    assert list(slices([1, 2, 3], size)) == [[1], [2], [3]]
    assert list(spans(2, size)) == [(0, 1), (1, 2)]
