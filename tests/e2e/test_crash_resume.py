"""Crash test (issue 14): kill a run with a real SIGKILL in the middle of each text stage
(ingest, clean, dedupe, segment) and of every later stage (quotes, embed, topics,
classify, index, with the real small models), re-run, and compare every public view with
an uninterrupted run; the killed run is then marked ``interrupted``. Input: the text
fixtures plus a generated 300 KB copy so that every stage runs long enough to be killed
inside."""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.hostile import text_copy
from pipeline.api import Corpus
from pipeline.jobs import STAGE_TARGETS
from pipeline.store import connect

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "text_dump"
STAGES = ["ingest", "clean", "dedupe", "segment"]
ALL_STAGES = list(STAGE_TARGETS)  # quotes, embed, topics, classify, index after the text stages
VOLATILE = {"ingested_at", "at", "created_at", "computed_at", "updated_at",
            "model_path",     # topic_models.model_path is the folder named after the run id
            "code_version"}   # the git commit of the run (the tree may change between runs)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[str]:
    d = tmp_path_factory.mktemp("crash_inputs")
    (d / "big_copy.txt").write_bytes(text_copy(300 << 10, seed=5))
    return [str(FIXTURES), str(d)]


def _run(stages, inputs, db) -> dict[str, float]:
    """Run ``stages`` in this process; the seconds each took."""
    seconds = {}
    for stage in stages:
        start = time.monotonic()
        Corpus(db).run_stage(stage, inputs if stage == "ingest" else [])
        seconds[stage] = time.monotonic() - start
    return seconds


def _views(db: str) -> dict[str, list[tuple]]:
    conn = connect(db, read_only=True)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'").fetchall()]
        out = {}
        for view in sorted(set(names) - {"runs", "classify_runs"}):
            cols = [r[0] for r in conn.execute(f'DESCRIBE "{view}"').fetchall()
                    if r[0] not in VOLATILE and not r[0].endswith("run_id")]
            if cols:
                rows = conn.execute(
                    f"SELECT {', '.join(chr(34) + c + chr(34) for c in cols)} FROM \"{view}\" ORDER BY ALL").fetchall()
                if "metrics" in cols:  # topic_models.metrics holds fit timings (two clean runs differ)
                    i = cols.index("metrics")
                    rows = [r[:i] + (_untimed(r[i]),) + r[i + 1:] for r in rows]
                out[view] = rows
        return out
    finally:
        conn.close()


def _untimed(metrics: str | None):
    """A metrics JSON without its ``*_seconds`` timings."""
    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if not k.endswith("_seconds")}
        return [strip(x) for x in v] if isinstance(v, list) else v
    return json.dumps(strip(json.loads(metrics)), sort_keys=True) if metrics else metrics


def _lock_held(db: str) -> bool:
    path = db + ".lock"
    if not os.path.exists(path):
        return False
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


CHILD = """
import sys
from pipeline.api import Corpus
Corpus(sys.argv[2]).run_stage(sys.argv[1], sys.argv[3:])
"""


@pytest.fixture(scope="module")
def reference_run(inputs, tmp_path_factory) -> tuple[dict, dict[str, float]]:
    """The views after an uninterrupted run of the text stages, and each stage's seconds."""
    db = str(tmp_path_factory.mktemp("crash_ref") / "ref.duckdb")
    seconds = _run(STAGES, inputs, db)
    return _views(db), seconds


@pytest.fixture(scope="module")
def reference(reference_run) -> dict:
    return reference_run[0]


def _into_the_work(seconds: float, at_most: float) -> float:
    """How long after a stage takes the database lock to kill it: a third of what the
    stage took uninterrupted on this machine (a fast idle machine finishes ingest and
    clean in a few tenths of a second), at most ``at_most``."""
    return min(at_most, seconds / 3)


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_a_run_killed_inside_a_stage_resumes_to_the_same_views(stage, inputs, reference, reference_run, tmp_path):
    db = str(tmp_path / "crash.duckdb")
    before = STAGES[: STAGES.index(stage)]
    _run(before, inputs, db)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = inputs if stage == "ingest" else []
    proc = subprocess.Popen([sys.executable, "-c", CHILD, stage, db, *args], env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while not _lock_held(db) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(_into_the_work(reference_run[1][stage], 0.3))  # inside the stage's work
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"{stage} finished before it could be killed"
    _run(STAGES[STAGES.index(stage):], inputs, db)
    assert _views(db) == reference
    conn = connect(db, read_only=True)
    try:
        statuses = conn.execute("SELECT flow, status FROM runs ORDER BY started_at").fetchall()
    finally:
        conn.close()
    # the killed run is marked interrupted by the re-run (unless the kill came before its
    # row was written); no row is left running
    assert all(s != "running" for _, s in statuses), statuses
    assert (stage, "completed") in statuses
    assert set(s for _, s in statuses) <= {"completed", "interrupted"}


# --- The model stages (and quotes, index): one uninterrupted reference run, the database
# copied before each stage; a run is killed inside the stage on a copy, re-run, and every
# public view compared with the reference right after that stage (later stages read only
# those views, so equal views there mean equal views at the end).

MODEL_STAGES = [s for s in ALL_STAGES if s not in STAGES]

PROGRESS_CHILD = """
import sys
from pipeline.api import Corpus
def progress(label, done, total):
    print("progress", label, done, total, flush=True)
Corpus(sys.argv[2]).run_stage(sys.argv[1], sys.argv[3:], progress=progress)
"""


def _copy_db(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)
    if Path(str(src) + ".wal").exists():
        shutil.copyfile(str(src) + ".wal", str(dst) + ".wal")


@pytest.fixture(scope="module")
def _no_models_left(tmp_path_factory):
    """The topics stage saves each fitted model under paths.models_dir (the repository's
    models/topics/<run id>, git-ignored): remove the ones these tests made."""
    topics = REPO / "models" / "topics"
    before = set(topics.iterdir()) if topics.exists() else set()
    try:
        yield
    finally:
        for folder in (set(topics.iterdir()) if topics.exists() else set()) - before:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def model_reference(inputs, tmp_path_factory, _no_models_left) -> dict:
    """stage -> (database before it, views after it, seconds of its work after its first
    progress report) from one uninterrupted run."""
    d = tmp_path_factory.mktemp("crash_models")
    db = d / "ref.duckdb"
    _run(STAGES, inputs, str(db))
    out = {}
    for stage in MODEL_STAGES:
        before = d / f"before_{stage}.duckdb"
        _copy_db(db, before)
        first: list[float] = []
        Corpus(str(db)).run_stage(stage, [], progress=lambda *a: first.append(time.monotonic()))
        work = time.monotonic() - (first[0] if first else time.monotonic())
        out[stage] = (before, _views(str(db)), work)
    return out


def _kill_inside(stage: str, db: str, work_s: float, cwd: Path) -> int:
    """Start ``stage`` in a child process, SIGKILL it a third of the way through its work
    (timed from its first progress report), return its exit status."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", PROGRESS_CHILD, stage, db], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 600
        ready = False
        while not ready and proc.poll() is None and time.monotonic() < deadline:
            r, _, _ = select.select([proc.stdout], [], [], 1.0)
            if r:
                line = proc.stdout.readline()
                ready = line.startswith(f"progress {stage} ")
        time.sleep(work_s / 3)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    return proc.returncode


@pytest.mark.slow
@pytest.mark.parametrize("stage", MODEL_STAGES)
def test_a_run_killed_inside_a_model_stage_resumes_to_the_same_views(stage, model_reference, tmp_path):
    before, expected, work = model_reference[stage]
    db = tmp_path / "crash.duckdb"
    _copy_db(before, db)
    code = _kill_inside(stage, str(db), work, tmp_path)
    assert code == -signal.SIGKILL, f"{stage} finished before it could be killed"
    Corpus(str(db)).run_stage(stage, [])
    got = _views(str(db))
    differ = {v: (len(expected[v]), len(got.get(v, [])), [repr(r)[-300:] for r in expected[v][:3]],
                  [repr(r)[-300:] for r in got.get(v, [])[:3]])
              for v in expected if got.get(v) != expected[v]}
    assert got == expected, differ
    conn = connect(str(db), read_only=True)
    try:
        statuses = conn.execute("SELECT flow, status FROM runs WHERE flow = ? ORDER BY started_at",
                                [stage]).fetchall()
    finally:
        conn.close()
    assert statuses[-1] == (stage, "completed") and all(s != "running" for _, s in statuses), statuses


@pytest.mark.slow
def test_a_streamed_ingest_killed_half_way_resumes_to_the_same_views(inputs, reference, reference_run, tmp_path):
    """The 300 KB copy streamed in batches of 50 documents (./probation-corpus.toml of the
    killed run), killed, then re-run: the same views as the uninterrupted whole read."""
    (tmp_path / "probation-corpus.toml").write_text(
        "[ingest]\nstream_min_mb = 0\nbatch_documents = 50\n", encoding="utf-8")
    db = str(tmp_path / "crash.duckdb")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, "ingest", db, *inputs], env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while not _lock_held(db) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(_into_the_work(reference_run[1]["ingest"], 0.5))  # into the batches
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, "ingest finished before it could be killed"
    overrides = ["ingest.stream_min_mb=0", "ingest.batch_documents=50"]
    Corpus(db, overrides=overrides).run_stage("ingest", inputs)
    _run(STAGES[1:], inputs, db)
    assert _views(db) == reference
