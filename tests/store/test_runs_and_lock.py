"""Runs end with a status; one writer at a time; readers retry, then say a run is writing
(issue 14). Every test uses real processes and real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.api import Corpus
from pipeline.cli.main import main
from pipeline.store import connect

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "text_dump"


def _runs(db: str) -> list[tuple]:
    conn = connect(db, read_only=True)
    try:
        return conn.execute("SELECT flow, status, error FROM runs ORDER BY started_at").fetchall()
    finally:
        conn.close()


def _spawn(code: str, tmp_path: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", code], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(proc: subprocess.Popen, marker: str = "READY") -> None:
    line = proc.stdout.readline()
    assert marker in line, (line, proc.stderr.read() if proc.poll() is not None else "")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(30)


HOLD_A_RUN = """
import sys, time
from pipeline.config import load_config
from pipeline.jobs.runlog import recorded_run
with recorded_run({db!r}, "holder", {{}}, load_config()) as (run_id, summary):
    print("READY", flush=True)
    time.sleep(120)
"""


def test_a_failed_run_keeps_the_first_line_of_its_error(tmp_db):
    from pipeline.config import load_config
    from pipeline.jobs.runlog import recorded_run

    with pytest.raises(RuntimeError):
        with recorded_run(tmp_db, "job", {}, load_config()):
            raise RuntimeError("first line\nsecond line\nthird")
    assert _runs(tmp_db) == [("job", "failed", "RuntimeError: first line")]


def test_ctrl_c_is_interrupted_not_failed(tmp_db):
    from pipeline.config import load_config
    from pipeline.jobs.runlog import recorded_run

    with pytest.raises(KeyboardInterrupt):
        with recorded_run(tmp_db, "job", {}, load_config()):
            raise KeyboardInterrupt
    assert _runs(tmp_db) == [("job", "interrupted", "KeyboardInterrupt")]


def test_sigterm_during_a_run_is_recorded_as_interrupted(tmp_path):
    db = str(tmp_path / "t.duckdb")
    proc = _spawn(HOLD_A_RUN.format(db=db), tmp_path)
    try:
        _wait_for(proc)
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    finally:
        _stop(proc)
    assert _runs(db) == [("holder", "interrupted", "RunInterrupted: signal 15 (SIGTERM)")]


def test_a_killed_run_is_marked_interrupted_by_the_next_run(tmp_path):
    db = str(tmp_path / "k.duckdb")
    proc = _spawn(HOLD_A_RUN.format(db=db), tmp_path)
    try:
        _wait_for(proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        _stop(proc)
    assert _runs(db)[0][1] == "running"  # nothing could record the kill
    Corpus(db).ingest([str(FIXTURES)])
    runs = _runs(db)
    assert [(f, s) for f, s, _ in runs] == [("holder", "interrupted"), ("ingest", "completed")]
    assert "killed" in runs[0][2]


def test_a_second_writer_waits_then_stops_with_one_line(tmp_path):
    db = str(tmp_path / "w.duckdb")
    proc = _spawn(HOLD_A_RUN.format(db=db), tmp_path)
    try:
        _wait_for(proc)
        t0 = time.monotonic()
        out = CliRunner().invoke(main, ["ingest", str(FIXTURES), "--db", db, "--wait", "1.5"])
        waited = time.monotonic() - t0
        assert out.exit_code == 1, out.output
        last = out.output.strip().splitlines()[-1]
        assert "another run is still writing" in last and "--wait" in last
        assert "Traceback" not in out.output and waited >= 1.5
        # the reader is not blocked by the writer lock (only by DuckDB's own, while open)
        res = CliRunner().invoke(main, ["sql", "SELECT flow, status FROM runs", "--db", db, "--format", "json"])
        assert json.loads(res.output) == [{"flow": "holder", "status": "running"}]
    finally:
        _stop(proc)
    out = CliRunner().invoke(main, ["ingest", str(FIXTURES), "--db", db, "--wait", "5"])
    assert out.exit_code == 0, out.output  # the lock died with its holder


def test_a_second_writer_that_waits_long_enough_runs(tmp_path):
    db = str(tmp_path / "w2.duckdb")
    code = HOLD_A_RUN.format(db=db).replace("time.sleep(120)", "time.sleep(2)")
    proc = _spawn(code, tmp_path)
    try:
        _wait_for(proc)
        out = CliRunner().invoke(main, ["ingest", str(FIXTURES), "--db", db, "--wait", "60"])
        assert out.exit_code == 0, out.output
        assert "waiting up to 60 s" in out.output
    finally:
        _stop(proc)
    assert [s for _, s, _ in _runs(db)] == ["completed", "completed"]


HOLD_DUCKDB = """
import time, duckdb
conn = duckdb.connect({db!r})
print("READY", flush=True)
time.sleep({hold})
conn.close()
"""


def test_a_reader_during_a_write_retries_then_says_a_run_is_writing(tmp_path):
    db = str(tmp_path / "r.duckdb")
    Corpus(db).ingest([str(FIXTURES)])
    proc = _spawn(HOLD_DUCKDB.format(db=db, hold=120), tmp_path)
    try:
        _wait_for(proc)
        out = CliRunner().invoke(main, ["sql", "SELECT 1 AS x", "--db", db, "--set", "store.reader_retry_s=1"])
        assert out.exit_code == 1
        lines = out.output.strip().splitlines()
        assert len(lines) == 1 and "a run is writing" in lines[0], out.output
    finally:
        _stop(proc)


def test_a_reader_retries_until_the_writer_lets_go(tmp_path):
    db = str(tmp_path / "r2.duckdb")
    Corpus(db).ingest([str(FIXTURES)])
    proc = _spawn(HOLD_DUCKDB.format(db=db, hold=2), tmp_path)
    try:
        _wait_for(proc)
        out = CliRunner().invoke(main, ["sql", "SELECT 1 AS x", "--db", db, "--format", "json",
                                        "--set", "store.reader_retry_s=60"])
        assert out.exit_code == 0, out.output
        assert json.loads(out.output) == [{"x": 1}]
        st = CliRunner().invoke(main, ["status", "--db", db])
        assert st.exit_code == 0
    finally:
        _stop(proc)
