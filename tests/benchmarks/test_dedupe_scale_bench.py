"""The dedupe scale benchmark runs end to end on a tiny SYNTHETIC corpus: a first run
per size, the +1% run hashes only the new documents, the no-input run hashes none."""

from __future__ import annotations

import pytest

from benchmarks.dedupe_scale_bench import measure


@pytest.mark.slow  # seven stage processes
def test_first_incremental_and_no_input_runs(tmp_path):
    r = measure(100, 2, tmp_path, "varied")
    assert r["first_docs"] < r["documents"]
    assert r["full"]["summary"]["hashed"] == r["first_docs"]
    assert r["incr"]["summary"]["hashed"] == r["documents"] - r["first_docs"]
    assert r["none"]["summary"]["hashed"] == 0
    assert all(r[k]["cpu"] > 0 and r[k]["maxrss_mib"] > 0 for k in ("full", "incr", "none"))
