"""The main flow: every stage in ``pipeline.jobs.STAGES``, each one Prefect task.

Tasks take paths and JSON (never a DuckDB connection: that silently disables caching)
and return each job's small summary.
"""

from __future__ import annotations

import json

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from pipeline.config import Config
from pipeline.jobs import STAGES, JobContext
from pipeline.jobs.runlog import begin, end, ending, sigterm_interrupts


def _stage_task(name: str, job):
    @task(name=name, cache_policy=NO_CACHE, retries=0)
    def run_stage(db_path: str, config_json: str, run_id: str, paths: list[str], options: dict) -> dict:
        ctx = JobContext(db_path, Config(json.loads(config_json)), run_id, tuple(paths), options)
        return job(ctx)

    return run_stage


STAGE_TASKS = {name: _stage_task(name, job) for name, job in STAGES.items()}


@flow(name="probation-corpus", log_prints=True)
def main_flow(paths: list[str], db_path: str, config_json: str, stages: list[str] | None = None,
              options: dict | None = None, run_label: str = "main") -> dict:
    """Run the stages in order on ``paths``; records one row in ``runs`` (``flow`` = ``run_label``)."""
    config = Config(json.loads(config_json))
    selected = stages or list(STAGES)
    unknown = [s for s in selected if s not in STAGES]
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}; stages: {list(STAGES)}")
    run_id = begin(db_path, run_label, {"paths": paths, "stages": selected, "options": options or {}}, config)
    summary: dict = {"run_id": run_id, "stages": {}}
    try:
        for name in [s for s in STAGES if s in selected]:
            summary["stages"][name] = STAGE_TASKS[name](db_path, config_json, run_id, paths,
                                                        (options or {}).get(name, {}))
    except BaseException as exc:
        status, error = ending(exc)  # failed (first line of the error) or interrupted
        end(db_path, run_id, status, summary, error)
        raise
    end(db_path, run_id, "completed", summary)
    return summary
