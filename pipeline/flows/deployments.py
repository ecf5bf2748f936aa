"""Deployments on a real Prefect server: apply ``prefect.yaml``, show them, trigger runs.

``prefect.yaml`` at the project root is the one description of the deployments
(``nightly-sync``, ``weekly-refit``, ``run-stage``). :func:`deploy` creates its
``process`` work pool(s) when missing and applies the file with Prefect's own
``prefect deploy --all``, so what researchers deploy by hand and what this module
deploys are the same thing. Every function talks to the server in ``PREFECT_API_URL``
and refuses, in one line, when none is configured or it does not answer.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import yaml
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterState,
    FlowRunFilterStateType,
    WorkPoolFilter,
    WorkPoolFilterName,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL

import pipeline
from pipeline.errors import UserError
from pipeline.jobs import STAGES

REPO_ROOT = Path(pipeline.__file__).resolve().parent.parent
PREFECT_FILE = REPO_ROOT / "prefect.yaml"
ROOT_ENV = "PROBATION_CORPUS_ROOT"  # read by the pull step of prefect.yaml
WORK_POOL_TYPE = "process"
# One flow run at a time: DuckDB has one writer, so the nightly sync, the weekly refit
# and a manual re-run queue behind each other instead of failing on the lock.
WORK_POOL_CONCURRENCY = 1
RUN_STAGE = "run-stage"  # the deployment that re-runs one stage
FINAL_STATES = {StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}


class SchedulingError(UserError, ValueError):
    """No server, an unreachable server, a bad prefect.yaml or a failed deploy (one line)."""


@dataclass(frozen=True)
class ScheduleInfo:
    """One schedule of a deployment: a cron expression in a time zone."""

    cron: str
    timezone: str | None
    active: bool = True


@dataclass(frozen=True)
class DeploymentSpec:
    """A deployment as ``prefect.yaml`` describes it."""

    name: str
    entrypoint: str
    work_pool: str
    schedules: tuple[ScheduleInfo, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeploymentStatus:
    """A deployment of ``prefect.yaml`` and what the server knows of it."""

    spec: DeploymentSpec
    deployed: bool
    id: UUID | None = None
    flow_name: str | None = None
    paused: bool = False
    schedules: tuple[ScheduleInfo, ...] = ()
    next_run: datetime | None = None
    last_run: tuple[str, datetime | None] | None = None  # (state name, start time)


@dataclass(frozen=True)
class FlowRunInfo:
    """A flow run created from a deployment."""

    id: UUID
    name: str
    deployment: str
    state: str
    state_type: str
    message: str | None = None


def read_prefect_file(path: str | Path = PREFECT_FILE) -> list[DeploymentSpec]:
    """The deployments declared in ``prefect.yaml``."""
    p = Path(path)
    if not p.is_file():
        raise SchedulingError(f"no deployment file at {p}")
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SchedulingError(f"{p} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("deployments") or [], list):
        raise SchedulingError(f"{p}: expected a mapping with a `deployments` list")
    specs = []
    for entry in doc.get("deployments") or []:
        pool = (entry.get("work_pool") or {}).get("name") if isinstance(entry, dict) else None
        if not pool or not entry.get("name") or not entry.get("entrypoint"):
            raise SchedulingError(f"{p}: every deployment needs name, entrypoint and work_pool.name")
        schedules = tuple(
            ScheduleInfo(s["cron"], s.get("timezone"), bool(s.get("active", True)))
            for s in entry.get("schedules") or [] if "cron" in s
        )
        specs.append(DeploymentSpec(entry["name"], entry["entrypoint"], pool, schedules,
                                    dict(entry.get("parameters") or {})))
    if not specs:
        raise SchedulingError(f"{p} declares no deployments")
    return specs


def api_url() -> str:
    """The configured Prefect server, or a one-line error saying how to configure one."""
    url = PREFECT_API_URL.value()
    if not url:
        raise SchedulingError(
            "no Prefect server configured: start one (`prefect server start`) and set "
            "PREFECT_API_URL, e.g. http://127.0.0.1:4200/api (docs/scheduling.md)")
    return url


@contextmanager
def _client() -> Iterator[SyncPrefectClient]:
    """A client of the configured server, checked to answer; HTTP errors become one line."""
    url = api_url()
    with get_client(sync_client=True) as client:
        error = client.api_healthcheck()
        if error is not None:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise SchedulingError(f"the Prefect server at {url} does not answer: {reason}")
        try:
            yield client
        except httpx.HTTPError as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SchedulingError(f"the Prefect server at {url} refused a request: {reason}") from exc


def check_server() -> str:
    """The configured server's URL once it answers; else a one-line :class:`SchedulingError`."""
    with _client():
        return api_url()


def ensure_work_pools(client: SyncPrefectClient, names: Sequence[str]) -> list[str]:
    """Create each named ``process`` work pool that does not exist; returns those created.

    A new pool runs one flow run at a time (``WORK_POOL_CONCURRENCY``); an existing
    pool is left as it is.
    """
    from prefect.workers.process import ProcessWorker

    created = []
    for name in dict.fromkeys(names):
        try:
            pool = client.read_work_pool(name)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(
                name=name, type=WORK_POOL_TYPE, concurrency_limit=WORK_POOL_CONCURRENCY,
                base_job_template=ProcessWorker.get_default_base_job_template()))
            created.append(name)
            continue
        if pool.type != WORK_POOL_TYPE:
            raise SchedulingError(f"work pool {name!r} exists with type {pool.type!r}, not {WORK_POOL_TYPE!r}")
    return created


def _prefect_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault(ROOT_ENV, str(root))
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    return env


def deploy(prefect_file: str | Path = PREFECT_FILE, timeout_s: float = 600) -> tuple[list[str], list[DeploymentStatus]]:
    """Create the work pool(s) if missing and apply every deployment of ``prefect_file``.

    Runs ``prefect --no-prompt deploy --all`` from the file's folder (the project root)
    with ``PROBATION_CORPUS_ROOT`` set to it unless already set. Returns the pools
    created and the deployments as the server now has them.
    """
    path = Path(prefect_file).resolve()
    specs = read_prefect_file(path)
    with _client() as client:
        created = ensure_work_pools(client, [s.work_pool for s in specs])
    cmd = [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all", "--prefect-file", str(path)]
    try:
        proc = subprocess.run(cmd, cwd=path.parent, env=_prefect_env(path.parent), capture_output=True,
                              text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise SchedulingError(f"`prefect deploy` did not finish in {timeout_s:.0f} s") from exc
    if proc.returncode != 0:
        raise SchedulingError(f"`prefect deploy` failed: {_last_error_line(proc.stdout + proc.stderr)}")
    statuses = show(path)
    missing = [s.spec.name for s in statuses if not s.deployed]
    if missing:
        raise SchedulingError(f"`prefect deploy` left out {', '.join(missing)}")
    return created, statuses


def _last_error_line(output: str) -> str:
    lines = [ln.strip(" │╭╮╰╯─") for ln in output.splitlines()]
    lines = [ln for ln in lines if ln]
    for ln in reversed(lines):
        if "error" in ln.lower() or "exception" in ln.lower():
            return ln
    return lines[-1] if lines else "no output"


def _schedules(deployment) -> tuple[ScheduleInfo, ...]:
    out = []
    for s in deployment.schedules or []:
        cron = getattr(s.schedule, "cron", None)
        if cron is not None:
            out.append(ScheduleInfo(cron, getattr(s.schedule, "timezone", None), bool(s.active)))
    return tuple(out)


def _flow_runs(client: SyncPrefectClient, deployment_id: UUID, states: list[StateType] | None,
               sort: FlowRunSort) -> list:
    flt = FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]))
    if states:
        flt.state = FlowRunFilterState(type=FlowRunFilterStateType(any_=states))
    return client.read_flow_runs(flow_run_filter=flt, sort=sort, limit=1)


def _read_deployments(client: SyncPrefectClient, specs: Sequence[DeploymentSpec]) -> list:
    """The server's deployments with the names and work pools of ``specs``."""
    return [d for d in client.read_deployments(
        deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[s.name for s in specs])),
        work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=sorted({s.work_pool for s in specs}))),
    ) if any(d.name == s.name and d.work_pool_name == s.work_pool for s in specs)]


def show(prefect_file: str | Path = PREFECT_FILE) -> list[DeploymentStatus]:
    """Each deployment of ``prefect_file`` with its schedules, next and last run on the server."""
    specs = read_prefect_file(prefect_file)
    with _client() as client:
        found = {d.name: d for d in _read_deployments(client, specs)}
        out = []
        for spec in specs:
            d = found.get(spec.name)
            if d is None:
                out.append(DeploymentStatus(spec, deployed=False))
                continue
            flow = client.read_flow(d.flow_id)
            nxt = _flow_runs(client, d.id, [StateType.SCHEDULED], FlowRunSort.EXPECTED_START_TIME_ASC)
            last = _flow_runs(client, d.id, sorted(FINAL_STATES | {StateType.RUNNING}),
                              FlowRunSort.START_TIME_DESC)
            out.append(DeploymentStatus(
                spec, deployed=True, id=d.id, flow_name=flow.name, paused=bool(d.paused),
                schedules=_schedules(d),
                next_run=nxt[0].expected_start_time if nxt else None,
                last_run=(last[0].state_name or "", last[0].start_time) if last else None,
            ))
    return out


def trigger(deployment: str, parameters: Mapping[str, Any], prefect_file: str | Path = PREFECT_FILE,
            wait_s: float | None = None, poll_s: float = 2.0) -> FlowRunInfo:
    """Create a flow run of ``deployment`` (a name in ``prefect_file``) for the worker to run.

    With ``wait_s``, waits up to that many seconds for the run to finish.
    """
    specs = [s for s in read_prefect_file(prefect_file) if s.name == deployment]
    if not specs:
        raise SchedulingError(f"no deployment {deployment!r} in {prefect_file}")
    with _client() as client:
        found = _read_deployments(client, specs)
        if not found:
            raise SchedulingError(
                f"deployment {deployment!r} is not on the server: run `probation-corpus schedule deploy`")
        run = client.create_flow_run_from_deployment(found[0].id, parameters=dict(parameters))
        if wait_s is not None:
            deadline = time.monotonic() + wait_s
            while run.state_type not in FINAL_STATES and time.monotonic() < deadline:
                time.sleep(poll_s)
                run = client.read_flow_run(run.id)
    state = run.state
    return FlowRunInfo(run.id, run.name, deployment, state.name if state else "Unknown",
                       state.type.value if state else "UNKNOWN", state.message if state else None)


def parse_options(items: Sequence[str]) -> dict[str, Any]:
    """``["refit=true"]`` -> ``{"refit": True}`` (values read as TOML, else kept as text)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SchedulingError(f"option {item!r} must look like key=value")
        try:
            out[key.strip()] = tomllib.loads(f"v = {value.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = value.strip()
    return out


def rerun_stage(stage: str, inputs: Sequence[str] = (), db_path: str | None = None,
                config_path: str | None = None, overrides: Sequence[str] = (),
                options: Sequence[str] = (), wait_s: float | None = None,
                prefect_file: str | Path = PREFECT_FILE) -> FlowRunInfo:
    """Trigger the ``run-stage`` deployment for ``stage``.

    The worker runs on this machine, so paths are made absolute here (they would
    otherwise be read from the project root); empty ones fall back to the config.
    ``options`` (``key=value``) go to the stage's job, e.g. ``refit=true`` for topics.
    """
    if stage not in STAGES:
        raise SchedulingError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    params: dict[str, Any] = {"stage": stage}
    if options:
        params["options"] = parse_options(options)
    if inputs:
        params["inputs"] = [str(Path(p).resolve()) for p in inputs]
    if db_path:
        params["db_path"] = str(Path(db_path).resolve())
    if config_path:
        params["config_path"] = str(Path(config_path).resolve())
    if overrides:
        params["overrides"] = list(overrides)
    return trigger(RUN_STAGE, params, prefect_file, wait_s)


def worker_command(pool: str) -> list[str]:
    """The command that starts a ``process`` worker on ``pool`` with this Python."""
    return [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--type", WORK_POOL_TYPE]


def run_worker(pool: str | None = None, prefect_file: str | Path = PREFECT_FILE) -> int:
    """Run a worker in the foreground from the project root until interrupted; its exit code."""
    path = Path(prefect_file).resolve()
    pool = pool or read_prefect_file(path)[0].work_pool
    check_server()
    return supervise(worker_command(pool), cwd=path.parent, env=_prefect_env(path.parent))


def supervise(cmd: list[str], cwd: Path, env: dict[str, str], grace_s: float = 30.0) -> int:
    """Run ``cmd`` as a child and pass SIGTERM and SIGINT on to it, then wait for it
    (``grace_s`` seconds, then kill): stopping the wrapper never leaves the worker running.
    The child has its own process group, so Ctrl-C reaches it once (through us).
    Returns its exit code, or 0 when it stopped because we were asked to stop."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, process_group=0)
    asked: list[float] = []

    def forward(signum, frame):
        asked.append(time.monotonic())
        if proc.poll() is None:
            proc.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        code = None
        while code is None:
            try:
                code = proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                if asked and time.monotonic() - asked[0] > grace_s:
                    proc.kill()  # asked to stop and still running after the grace period
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return 0 if asked else code
