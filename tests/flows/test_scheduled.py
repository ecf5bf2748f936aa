"""The deployment flows (nightly-sync, weekly-refit, run-stage) in Prefect's local mode.

The real server and worker are in test_deployments.py; here the flows' own logic:
config defaults, paths read from the working directory, the ``runs`` label.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.config import ConfigError
from pipeline.flows.scheduled import nightly_sync, run_stage, weekly_refit
from pipeline.store import connect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text_dump"

pytestmark = pytest.mark.slow


def _runs(db: Path) -> list[tuple]:
    conn = connect(db)
    try:
        return conn.execute("SELECT flow, status, params FROM runs ORDER BY started_at").fetchall()
    finally:
        conn.close()


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project root with a corpus folder and a config naming it, as the working directory."""
    shutil.copytree(FIXTURES, tmp_path / "incoming")
    (tmp_path / "probation-corpus.toml").write_text(
        '[paths]\ndb = "out/nightly.duckdb"\n\n[schedule]\nsync_paths = ["incoming"]\nsync_stages = ["ingest"]\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_nightly_sync_reads_config_and_paths_from_the_project_root(project):
    summary = nightly_sync()
    assert summary["stages"]["ingest"]["outcomes"]["ingested"] == 9
    (flow, status, params), = _runs(project / "out" / "nightly.duckdb")
    assert (flow, status) == ("nightly-sync", "completed")
    assert json.loads(params)["paths"] == [str(project / "incoming")]
    # a second night with nothing new changes nothing
    again = nightly_sync()
    assert again["stages"]["ingest"]["new_documents"] == 0


def test_parameters_override_the_config(project, tmp_path):
    db = tmp_path / "other.duckdb"
    run_stage(stage="ingest", inputs=[str(FIXTURES)], db_path=str(db))
    (flow, status, params), = _runs(db)
    assert (flow, status) == ("run-stage:ingest", "completed")
    assert json.loads(params)["stages"] == ["ingest"]
    assert not (project / "out" / "nightly.duckdb").exists()


def test_missing_input_folder_is_a_clear_error(project):
    with pytest.raises(ConfigError, match="nosuch"):
        nightly_sync(inputs=["nosuch"])
    assert not (project / "out").exists()  # nothing was opened or written


def test_unknown_stage_is_refused(project):
    with pytest.raises(Exception, match="stage"):
        run_stage(stage="nosuch")


def test_weekly_refit_runs_topics_in_refit_mode(project):
    db = project / "out" / "nightly.duckdb"
    nightly_sync()
    # no embeddings in this database: the refit itself fails, and says why
    with pytest.raises(Exception, match="embed"):
        weekly_refit()
    flow, status, params = _runs(db)[-1]
    assert (flow, status) == ("weekly-refit", "failed")
    assert json.loads(params)["stages"] == ["topics"]
    assert json.loads(params)["options"] == {"topics": {"refit": True}}


def test_weekly_refit_refuses_stages_that_do_not_follow_topics(project):
    with pytest.raises(Exception, match="after_refit: ingest"):
        weekly_refit(overrides=['schedule.after_refit=["ingest"]'])
    assert not (project / "out").exists()


def test_weekly_refit_then_compacts_the_database(project, sample_run, tmp_path):
    """A successful refit (the sample's database, which has embeddings) is followed by
    the compaction of the file (schedule.compact_after_refit), recorded as its own run;
    with the setting off, none."""
    db = tmp_path / "refit.duckdb"
    shutil.copy(sample_run[0], db)
    models = f'paths.models_dir="{tmp_path / "models"}"'
    summary = weekly_refit(db_path=str(db), overrides=[models])
    assert summary["stages"]["topics"]["action"] == "fit"
    assert summary["compact"]["mib_after"] <= summary["compact"]["mib_before"]
    assert [r[:2] for r in _runs(db)[-2:]] == [("weekly-refit", "completed"), ("weekly-refit:compact", "completed")]
    weekly_refit(db_path=str(db), overrides=[models, "schedule.compact_after_refit=false"])
    assert _runs(db)[-1][:2] == ("weekly-refit", "completed")
