"""The main flow through Prefect's local mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.api import Corpus
from pipeline.store import connect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text_dump"

pytestmark = pytest.mark.slow


def test_flow_runs_stages_and_records_the_run(tmp_db):
    summary = Corpus(tmp_db).run([str(FIXTURES)], stages=["ingest"])
    assert summary["stages"]["ingest"]["outcomes"]["ingested"] == 9
    conn = connect(tmp_db)
    flow, status, params, cfg = conn.execute(
        "SELECT flow, status, params, config FROM runs WHERE run_id = ?", [summary["run_id"]]).fetchone()
    assert (flow, status) == ("main", "completed")
    assert json.loads(params)["stages"] == ["ingest"]
    assert json.loads(cfg)["paths"]["db"]
    # documents written by the task carry the flow's run id
    assert conn.execute("SELECT count(*) FROM document_rows WHERE first_run_id = ?",
                        [summary["run_id"]]).fetchone()[0] == 28


def test_unknown_stage_is_refused(tmp_db):
    with pytest.raises(Exception, match="unknown stage"):
        Corpus(tmp_db).run([str(FIXTURES)], stages=["nosuch"])
