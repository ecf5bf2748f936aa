"""UMAP's and pynndescent's numba functions kept compiled between processes
(``paths.compiled_dir``, ``pipeline/topics/compiled.py``): a second process loads what the
first compiled, and the reduction is the same bits as one compiled afresh."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.topics.compiled import keep_compiled

FIT = r"""
import json, sys, warnings
import numpy as np
folder = sys.argv[1]
turned = None
if folder:
    from pipeline.topics.compiled import keep_compiled
    turned = keep_compiled(folder)
from umap.umap_ import smooth_knn_dist
from pynndescent import NNDescent
from pipeline.config import load_config
from pipeline.topics import TopicSettings, cluster_embeddings

settings = TopicSettings.from_config(load_config(None, cwd=None).section("topics"))
x = np.random.default_rng(0).normal(size=(300, 16)).astype(np.float32)
with warnings.catch_warnings(record=True) as shown:
    reduced = cluster_embeddings([f"d{i:03d}" for i in range(300)], x, settings).reduced
    if folder:  # nn_descent cannot be cached (numba finds dynamic globals in it): compiled, no warning
        NNDescent(x, n_neighbors=5, random_state=0, n_jobs=1)
print(json.dumps({"turned": turned, "hits": sum(smooth_knn_dist.stats.cache_hits.values()),
                  "misses": sum(smooth_knn_dist.stats.cache_misses.values()),
                  "reduced": reduced.tobytes().hex(), "warnings": [str(w.message) for w in shown if "cache" in str(w.message)]}))
"""


def _fit(folder: str, tmp_path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    out = subprocess.run([sys.executable, "-c", FIT, folder], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_second_process_loads_what_the_first_compiled_and_reduces_the_same(tmp_path):
    folder = tmp_path / "compiled"
    first = _fit(str(folder), tmp_path)
    assert first["turned"] > 50 and first["misses"] >= 1 and first["hits"] == 0  # compiled, then saved
    assert list(folder.rglob("*.smooth_knn_dist-*.nbi")) and first["warnings"] == []
    second = _fit(str(folder), tmp_path)
    assert second["hits"] >= 1 and second["misses"] == 0  # loaded, not compiled
    uncached = _fit("", tmp_path)
    assert uncached["hits"] == 0  # compiled afresh
    assert first["reduced"] == second["reduced"] == uncached["reduced"]


def test_a_folder_that_cannot_be_made_or_written_turns_nothing_on(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert keep_compiled(blocker / "compiled") == 0



@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_folder_that_exists_but_cannot_be_written_turns_nothing_on():
    assert keep_compiled("/proc/self") == 0  # a folder no user, root included, makes files in
