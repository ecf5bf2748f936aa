"""The dedupe benchmark runs end to end on a small subset (its figures are not judged
here, only that it produces them)."""

from __future__ import annotations

import re

from benchmarks import dedupe_bench


def test_dedupe_bench_small(capsys, sample_dir):
    assert dedupe_bench.main(["--bases", "6", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    for rel in ("exact", "near", "contains", "contained_in"):
        assert re.search(rf"{rel}\s+ours\s+P=\d\.\d{{3}} R=\d\.\d{{3}} F1=\d\.\d{{3}}", out), rel
    assert out.count("baseline P=") >= 8
    assert "segments      ours" in out and "words         ours" in out
    assert re.search(r"dedupe [\d.]+s \(\d+x baseline\)", out)


def test_scoring_functions():
    import pandas as pd

    pred = pd.DataFrame([("b", "a", "near", 0.9, "m"), ("c", "a", "contains", 1.0, "m"), ("d", "x", "exact", 1, "m")],
                        columns=["doc_id", "canonical_id", "relation", "similarity", "method"])
    scores, neg = dedupe_bench.score_relations([("b", "a", "near"), ("c", "b", "contains"), ("e", "a", "exact")],
                                               pred, negatives=[("d", "x"), ("e", "a")])
    assert (scores["near"].tp, scores["contains"].tp, scores["exact"].fn, scores["exact"].fp) == (1, 1, 1, 1)
    assert neg == 1
    words, segs = dedupe_bench.score_segments({"t": [(0, 9)]}, {"t": [(0, 9), (14, 19)]}, {"t": "one two x and three"})
    assert (segs.tp, segs.fp, segs.fn) == (1, 1, 0) and (words.tp, words.fp) == (3, 1)
