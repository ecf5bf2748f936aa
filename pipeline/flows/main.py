"""The main flow: every stage in ``pipeline.jobs.STAGES``, each one Prefect task.

Tasks take paths and JSON (never a DuckDB connection: that silently disables caching)
and return each job's small summary.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipeline.config import Config
from pipeline.errors import UserError
from pipeline.flows.dask import dask_for_run, run_mapper
from pipeline.jobs import STAGES, JobContext
from pipeline.jobs.context import Progress
from pipeline.jobs.progress import LineProgress
from pipeline.jobs.runlog import begin, end, ending
from pipeline.report.settings import ReportSettings
from pipeline.sections import ProgressSettings
from pipeline.settings import typed

# Where the stages' progress goes. A callable cannot be a flow or task parameter (Prefect
# records parameters), so the caller in this process (the CLI) registers it here; with
# none registered (a deployment on a worker), progress becomes log lines of the run.
_SINKS: list[Progress] = []
_SINKS_LOCK = threading.Lock()


@contextmanager
def progress_to(callback: Progress | None) -> Iterator[None]:
    """Send the stages' progress ``(label, done, total)`` to ``callback`` for the block."""
    if callback is None:
        yield
        return
    with _SINKS_LOCK:
        _SINKS.append(callback)
    try:
        yield
    finally:
        with _SINKS_LOCK:
            _SINKS.remove(callback)


def _stage_progress(interval: float) -> Progress:
    """The callback a stage's job reports to: the registered sinks, else the run's log."""
    with _SINKS_LOCK:
        sinks = list(_SINKS)
    if sinks:
        def forward(label: str, done: int, total: int) -> None:
            for sink in sinks:
                sink(label, done, total)

        return forward
    logger = get_run_logger()
    return LineProgress(logger.info, interval)


def _stage_task(name: str, job):
    @task(name=name, cache_policy=NO_CACHE, retries=0)
    def run_stage(db_path: str, config_json: str, run_id: str, paths: list[str], options: dict) -> dict:
        config = Config(json.loads(config_json))
        progress = _stage_progress(typed(config, ProgressSettings).log_interval)
        ctx = JobContext(db_path, config, run_id, tuple(paths), options, progress, run_mapper(run_id))
        return job(ctx)

    return run_stage


STAGE_TASKS = {name: _stage_task(name, job) for name, job in STAGES.items()}


@task(name="report", cache_policy=NO_CACHE, retries=0)
def report_task(db_path: str, config_json: str, run_id: str) -> dict:
    """The flow's last step: the HTML report (``report.out``) from what the stages wrote."""
    from pipeline.jobs.report import report_job

    return report_job(JobContext(db_path, Config(json.loads(config_json)), run_id))


@flow(name="probation-corpus", log_prints=True)
def main_flow(paths: list[str], db_path: str, config_json: str, stages: list[str] | None = None,
              options: dict | None = None, run_label: str = "main") -> dict:
    """Run the stages in order on ``paths``, then (a whole-flow run, ``report.in_flow``) write the
    report; records one row in ``runs`` (``flow`` = ``run_label``)."""
    config = Config(json.loads(config_json))
    selected = stages or list(STAGES)
    unknown = [s for s in selected if s not in STAGES]
    if unknown:
        raise UserError(f"unknown stage(s) {unknown}; stages: {list(STAGES)}")
    run_id = begin(db_path, run_label, {"paths": paths, "stages": selected, "options": options or {}}, config)
    summary: dict = {"run_id": run_id, "stages": {}}
    try:
        with dask_for_run(run_id, config):  # [scale] runner = "dask": the stages' shards run on Dask
            for name in [s for s in STAGES if s in selected]:
                summary["stages"][name] = STAGE_TASKS[name](db_path, config_json, run_id, paths,
                                                            (options or {}).get(name, {}))
    except BaseException as exc:
        status, error = ending(exc)  # failed (first line of the error) or interrupted
        end(db_path, run_id, status, summary, error)
        raise
    end(db_path, run_id, "completed", summary)
    if stages is None and typed(config, ReportSettings).in_flow:
        # after the run is recorded as completed, so the report's provenance shows it so
        summary["report"] = report_task(db_path, config_json, run_id)
    return summary
