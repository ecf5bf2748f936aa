"""The deployments of prefect.yaml on a REAL Prefect server with a REAL process worker.

The slow tests start their own server (temporary PREFECT_HOME, free port), apply the
repo's prefect.yaml through `probation-corpus schedule deploy`, check the cron schedules
and that the server's scheduler turns them into the next runs, then switch the schedules
off (so no real 02:30 run can reach the worker) and start a process worker from the repo
that runs `run-stage` and `nightly-sync` into temporary databases.
The fast tests check the file and the one-line refusals without a server.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.settings import PREFECT_API_URL, temporary_settings

from pipeline.cli.main import main
from pipeline.flows import deployments, scheduled
from pipeline.store import connect

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "text_dump"
SERVER_START_S = 120  # a cold server migrates its SQLite database first
RUN_WAIT_S = 180
SCHEDULER_WAIT_S = 60  # the scheduler looks at new deployments every few seconds
POOL = "probation-local"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the file and the refusals (no server) ---------------------------------------------

def test_prefect_file_declares_the_deployments():
    specs = {s.name: s for s in deployments.read_prefect_file(REPO / "prefect.yaml")}
    assert set(specs) == {"nightly-sync", "weekly-refit", "run-stage"}
    assert specs["nightly-sync"].schedules == (deployments.ScheduleInfo("30 2 * * *", "Europe/London"),)
    assert specs["weekly-refit"].schedules == (deployments.ScheduleInfo("0 4 * * 0", "Europe/London"),)
    assert specs["run-stage"].schedules == ()
    assert {s.work_pool for s in specs.values()} == {POOL}
    for spec in specs.values():
        path, name = spec.entrypoint.split(":")
        assert (REPO / path).resolve() == Path(scheduled.__file__).resolve()
        assert isinstance(getattr(scheduled, name), Flow)
        assert getattr(scheduled, name).name == spec.name


def test_commands_refuse_without_a_server():
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        result = CliRunner().invoke(main, ["schedule", "show"])
    assert result.exit_code == 1
    assert "no Prefect server configured" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_commands_refuse_a_server_that_does_not_answer():
    with temporary_settings(updates={PREFECT_API_URL: f"http://127.0.0.1:{_free_port()}/api"}):
        result = CliRunner().invoke(main, ["schedule", "deploy"])
    assert result.exit_code == 1
    assert "does not answer" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_stage_options_are_read_as_toml_values():
    assert deployments.parse_options(["refit=true", "n=3", "name=plain text"]) == {
        "refit": True, "n": 3, "name": "plain text"}
    with pytest.raises(deployments.SchedulingError, match="key=value"):
        deployments.parse_options(["refit"])


def test_rerun_refuses_an_unknown_stage():
    result = CliRunner().invoke(main, ["schedule", "rerun", "nosuch"])
    assert result.exit_code == 1
    assert "unknown stage 'nosuch'" in result.output


# --- a real server and worker ------------------------------------------------------------

@dataclass(frozen=True)
class Server:
    url: str
    env: dict[str, str]
    logs: Path


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc; flow runs start their own session)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def _stop(proc: subprocess.Popen, grace_s: float = 15) -> None:
    """Stop a process started in its own session, its group and every descendant."""
    below = _descendants(proc.pid)
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(grace_s)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            pass
    targets = [(os.killpg, proc.pid)] + [(os.kill, pid) for pid in below]
    for kill, target in targets:
        try:
            kill(target, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    proc.wait(10)


def _start(cmd: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    with log.open("wb") as fh:
        return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _tail(log: Path, n: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-n:]) if log.exists() else ""


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("prefect_home")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({
        "PREFECT_HOME": str(home), "PREFECT_API_URL": url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "PREFECT_UI_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_LOGGING_LEVEL": "INFO", "PROBATION_CORPUS_ROOT": str(REPO),
    })
    logs = home / "server.log"
    proc = _start([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                   "--port", str(port)], env, home, logs)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"prefect server exited with {proc.returncode}:\n{_tail(logs)}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"prefect server not healthy after {SERVER_START_S} s:\n{_tail(logs)}")
            time.sleep(0.5)
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)  # for `prefect deploy`, run by `schedule deploy` as a subprocess
        try:
            with temporary_settings(updates={PREFECT_API_URL: url}):
                yield Server(url, env, logs)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def deployed(server) -> list[deployments.DeploymentStatus]:
    result = CliRunner().invoke(main, ["schedule", "deploy"])
    assert result.exit_code == 0, result.output
    assert f"created work pool {POOL}" in result.output
    return deployments.show()


def _switch_schedules_off(statuses: list[deployments.DeploymentStatus]) -> None:
    """Deactivate every schedule and delete the runs it created: the worker sees none."""
    with get_client(sync_client=True) as client:
        for st in statuses:
            for sched in client.read_deployment_schedules(st.id):
                client.update_deployment_schedule(st.id, sched.id, active=False)
            scheduled = client.read_flow_runs(flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[st.id]),
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))))
            for run in scheduled:
                client.delete_flow_run(run.id)


@pytest.fixture(scope="module")
def worker(server, deployed, tmp_path_factory) -> Iterator[Path]:
    _switch_schedules_off(deployed)
    logs = tmp_path_factory.mktemp("worker") / "worker.log"
    proc = _start(deployments.worker_command(POOL), server.env, REPO, logs)
    try:
        yield logs
    finally:
        _stop(proc)


def _run_id(output: str) -> UUID:
    """The flow run id printed by `schedule rerun`: 'flow run NAME (ID): STATE'."""
    return UUID(output.split("(", 1)[1].split(")", 1)[0])


def _documents(db: Path) -> int:
    conn = connect(db, read_only=True)
    try:
        return conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    finally:
        conn.close()


def _runs(db: Path) -> list[tuple]:
    conn = connect(db, read_only=True)
    try:
        return conn.execute("SELECT flow, status, params FROM runs").fetchall()
    finally:
        conn.close()


@pytest.mark.slow
def test_schedules_are_registered_as_cron(deployed):
    by_name = {s.spec.name: s for s in deployed}
    assert all(s.deployed and s.spec.work_pool == POOL and not s.paused for s in deployed)
    assert by_name["nightly-sync"].schedules == (deployments.ScheduleInfo("30 2 * * *", "Europe/London", True),)
    assert by_name["weekly-refit"].schedules == (deployments.ScheduleInfo("0 4 * * 0", "Europe/London", True),)
    assert by_name["run-stage"].schedules == ()
    # as the server stores them: the pull step starts flow runs at the project root
    with get_client(sync_client=True) as client:
        d = client.read_deployment(by_name["nightly-sync"].id)
        assert d.pull_steps == [{"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}]
        assert d.entrypoint == "pipeline/flows/scheduled.py:nightly_sync"
        pool = client.read_work_pool(POOL)
        assert (pool.type, pool.concurrency_limit) == ("process", 1)
    again = CliRunner().invoke(main, ["schedule", "deploy"])  # re-deploying updates in place
    assert again.exit_code == 0, again.output
    assert "created work pool" not in again.output
    assert [s.id for s in deployments.show()] == [s.id for s in deployed]


@pytest.mark.slow
def test_server_schedules_the_next_runs(server, deployed):
    """The server's scheduler service creates the next runs at 02:30 / Sunday 04:00 London."""
    by_name = {s.spec.name: s for s in deployed}
    deadline = time.monotonic() + SCHEDULER_WAIT_S
    while True:
        shown = {s.spec.name: s for s in deployments.show()}
        if shown["nightly-sync"].next_run and shown["weekly-refit"].next_run:
            break
        if time.monotonic() > deadline:
            errors = [ln for ln in server.logs.read_text(errors="replace").splitlines()
                      if "Error" in ln or "ERROR" in ln]
            hint = (" (SQLAlchemy 2.1 breaks Prefect 3.8.8's scheduler; pin SQLAlchemy==2.0.58)"
                    if any("bulk_dml" in ln for ln in errors) else "")
            pytest.fail(f"no scheduled runs after {SCHEDULER_WAIT_S} s{hint}:\n" + "\n".join(errors[-5:]))
        time.sleep(1)
    london = ZoneInfo("Europe/London")
    with get_client(sync_client=True) as client:
        for name, check in [("nightly-sync", lambda t: (t.hour, t.minute) == (2, 30)),
                            ("weekly-refit", lambda t: (t.weekday(), t.hour, t.minute) == (6, 4, 0))]:
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[by_name[name].id])))
            assert runs, name
            for run in runs:
                assert run.state_type == StateType.SCHEDULED
                assert check(run.expected_start_time.astimezone(london)), (name, run.expected_start_time)
        assert not client.read_flow_runs(flow_run_filter=FlowRunFilter(
            deployment_id=FlowRunFilterDeploymentId(any_=[by_name["run-stage"].id])))


def _completed(run_id: UUID, worker: Path):
    """The flow run once final (within RUN_WAIT_S); it must have completed."""
    deadline = time.monotonic() + RUN_WAIT_S
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
        while not run.state.is_final() and time.monotonic() < deadline:
            time.sleep(1)
            run = client.read_flow_run(run_id)
    assert run.state.is_completed(), f"nightly-sync ended {run.state!r}\nworker log:\n{_tail(worker)}"
    return run


@pytest.mark.slow
def test_worker_runs_the_deployments(server, worker, tmp_path):
    sync_db, stage_db = tmp_path / "nightly.duckdb", tmp_path / "stage.duckdb"
    # a path relative to the project root: the worker's flow run must start there
    nightly = deployments.trigger("nightly-sync", {
        "inputs": ["tests/fixtures/text_dump"], "db_path": str(sync_db), "stages": ["ingest"]})
    rerun = CliRunner().invoke(main, ["schedule", "rerun", "ingest", str(FIXTURES), "--db", str(stage_db),
                                      "--wait", str(RUN_WAIT_S)])
    assert rerun.exit_code == 0, f"{rerun.output}\nworker log:\n{_tail(worker)}"
    assert "Completed" in rerun.output

    run = _completed(nightly.id, worker)
    # the pool runs one flow run at a time (DuckDB has one writer): the two did not overlap
    with get_client(sync_client=True) as client:
        first, second = sorted([run, client.read_flow_run(_run_id(rerun.output))], key=lambda r: r.start_time)
    assert first.end_time <= second.start_time

    assert _documents(stage_db) > 0
    assert _documents(sync_db) == _documents(stage_db)
    (flow, status, params), = _runs(sync_db)
    assert (flow, status) == ("nightly-sync", "completed")
    assert json.loads(params)["paths"] == [str(FIXTURES)]
    assert [(f, s) for f, s, _ in _runs(stage_db)] == [("run-stage:ingest", "completed")]

    shown = {s.spec.name: s for s in deployments.show()}
    assert shown["nightly-sync"].last_run[0] == "Completed"
    assert shown["weekly-refit"].last_run is None


@pytest.mark.slow
def test_a_worker_run_parses_quotes_in_worker_processes(server, worker, tmp_path):
    """A flow run of the process worker (`python -m prefect.engine`, stage tasks in threads)
    hands the quotes shards to spawned worker processes (`scale.processes`, 2 by default)
    and stores what the stage builds in one process."""
    from benchmarks.generate import generate, write_jsonl
    from pipeline.api import Corpus

    corpus = write_jsonl(generate(100, seed=13), tmp_path / "corpus")
    stages = ["ingest", "clean", "dedupe", "segment", "quotes"]
    flow_db, here_db = tmp_path / "worker.duckdb", tmp_path / "here.duckdb"
    run = deployments.trigger("nightly-sync", {
        "inputs": [str(p) for p in corpus], "db_path": str(flow_db), "stages": stages, "blogs": [],
        "overrides": ["scale.quotes_shard_size=25"]})
    _completed(run.id, worker)
    Corpus(str(here_db), overrides={"scale": {"quotes_shard_size": 25, "processes": 1}}).run(
        [str(p) for p in corpus], stages=stages)

    quotes = "SELECT doc_id, quote, pieces::VARCHAR, reason, first_sentence FROM quote_docs ORDER BY 1"
    got = _rows(flow_db, quotes)
    assert len(got) >= 100 and got == _rows(here_db, quotes)  # at least four shards
    (summary,), = _rows(flow_db, "SELECT summary FROM runs")
    assert json.loads(summary)["stages"]["quotes"]["worker_processes"] == 2


def _rows(db: Path, sql: str) -> list[tuple]:
    conn = connect(db, read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _worker_below(pid: int) -> int | None:
    for child in _descendants(pid):
        try:
            cmd = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"worker start" in cmd:
            return child
    return None


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_sigterm_to_schedule_worker_stops_its_worker_too(server, tmp_path):
    """`schedule worker` passes SIGTERM on to its child worker and waits for it (issue 14)."""
    env = {**server.env, "PYTHONPATH": str(REPO)}
    logs = tmp_path / "wrapper.log"
    proc = _start([sys.executable, "-m", "pipeline.cli.main", "schedule", "worker", "--pool", "sigterm-test"],
                  env, REPO, logs)
    child = None
    try:
        deadline = time.monotonic() + SERVER_START_S
        while child is None and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            child = _worker_below(proc.pid)
        assert child is not None, f"no worker started:\n{_tail(logs)}"
        time.sleep(2)  # let the worker install its own handlers
        os.kill(proc.pid, signal.SIGTERM)  # the wrapper only, as a service manager would
        proc.wait(60)
        assert not _alive(child), f"worker {child} still running after its wrapper stopped:\n{_tail(logs)}"
        assert proc.returncode == 0, _tail(logs)
    finally:
        _stop(proc)
        if child is not None and _alive(child):
            os.kill(child, signal.SIGKILL)
