"""The Dask runner: the flow on a local Dask cluster of two worker processes gives the
same public views as the default runner (the corpus is SYNTHETIC: benchmarks/generate.py).
Also the [scale] settings' checks, which need no cluster."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from benchmarks.generate import generate, write_jsonl
from pipeline.api import Corpus
from pipeline.config import ConfigError, load_config
from pipeline.flows.dask import mapper_for, runner_settings
from pipeline.jobs.context import serial_map
from pipeline.store import connect

STAGES = ["ingest", "clean", "dedupe", "segment", "embed", "topics", "index"]
# Columns that record when or in which run something happened, or where a run's model
# was saved: they differ between any two runs, whatever the runner.
RUN_COLUMNS = ("run_id", "first_run_id", "last_run_id", "model_run", "created_at", "started_at", "finished_at",
               "fitted_at", "model_path", "config", "params", "code_version", "model_versions", "summary",
               "embedded_at", "ingested_at", "updated_at", "indexed_at", "built_at", "run", "is_current")


def _untimed(value):
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if "seconds" not in k}
    return value


def _views(db: str) -> dict[str, pd.DataFrame]:
    conn = connect(db, read_only=True)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' ORDER BY 1").fetchall()]
        out = {}
        for name in names:
            if name == "runs":
                continue
            df = conn.execute(f'SELECT * FROM "{name}"').df()
            keep = [c for c in df.columns if c not in RUN_COLUMNS and not c.endswith("_run_id")]
            df = df[keep].copy()
            if "metrics" in keep:  # a model's fit timings differ between any two fits
                df["metrics"] = df["metrics"].map(lambda m: json.dumps(_untimed(json.loads(m)), sort_keys=True)
                                                  if isinstance(m, str) else m)
            for c in keep:  # list and struct cells (top_terms, ...) compared as their text
                if df[c].dtype == object:
                    df[c] = df[c].map(lambda v: repr(v.tolist()) if isinstance(v, np.ndarray)
                                      else repr(v) if isinstance(v, (list, dict, tuple)) else v)
            out[name] = df.sort_values(keep, kind="mergesort").reset_index(drop=True) if keep and len(df) else df
        return out
    finally:
        conn.close()


def test_scale_settings_are_checked():
    assert runner_settings(load_config()).runner == "default"
    with pytest.raises(ConfigError, match="scale.runner"):
        runner_settings(load_config(overrides={"scale": {"runner": "spark"}}))
    with pytest.raises(ConfigError, match="n_workers"):
        runner_settings(load_config(overrides={"scale": {"n_workers": 0}}))
    assert mapper_for("no-such-run") is None
    assert list(serial_map(lambda x: x * 2, [1, 2, 3])) == [2, 4, 6]


@pytest.mark.slow
def test_dask_runner_gives_the_same_views_as_the_default(tmp_path):
    paths = [str(p) for p in write_jsonl(generate(160, seed=3), tmp_path / "corpus")]
    small = {"dedupe": {"chunk_size": 40}, "embed": {"device": "cpu"}}
    dbs = {}
    for runner in ("default", "dask"):
        db = str(tmp_path / f"{runner}.duckdb")
        overrides = {**small, "scale": {"runner": runner, "n_workers": 2, "shard_size": 50},
                     "paths": {"models_dir": str(tmp_path / f"models_{runner}")}}
        summary = Corpus(db, overrides=overrides).run(paths, stages=STAGES)
        assert summary["stages"]["dedupe"]["chunks"] >= 4
        assert summary["stages"]["topics"]["action"] == "fit"
        dbs[runner] = db
    default, dask = _views(dbs["default"]), _views(dbs["dask"])
    assert default.keys() == dask.keys()
    assert len(default["documents"]) > 160 and len(default["duplicates"]) and len(default["doc_topics"])
    for name in default:
        pd.testing.assert_frame_equal(dask[name], default[name], check_exact=True, obj=name)
